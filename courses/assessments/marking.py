"""Auto-marking a quiz's answers: pure functions of the question and what was chosen.

Every question is marked all or nothing:

- single choice and true/false: the full points when exactly one option is chosen and it
  is the correct one; otherwise none.
- multiple choice: the full points when the options chosen are exactly the correct ones
  (every correct option and no other); otherwise none. There is no partial credit, so a
  learner cannot score by ticking every box.

Nothing here reads the database, so the rule is tested on its own (tests/courses/
assessments/test_marking.py) and applied alike to a learner's submission and to an
attempt that ran out of time.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from decimal import ROUND_HALF_UP, Decimal

from courses.assessments.models import QuestionType

NONE = Decimal("0")
HUNDREDTH = Decimal("0.01")


def points_for(
    question_type: QuestionType | str,
    correct_option_ids: Collection[int],
    selected_ids: Iterable[int],
    points: int | Decimal,
) -> Decimal:
    """The points a question earns for the options chosen (see the module's docstring)."""
    correct = set(correct_option_ids)
    chosen = set(selected_ids)
    if not correct or not chosen:
        return NONE
    if QuestionType(question_type) == QuestionType.MULTIPLE:
        right = chosen == correct
    else:
        right = len(chosen) == 1 and chosen <= correct
    return Decimal(points) if right else NONE


def percent_of(score: Decimal, max_score: Decimal) -> Decimal:
    """The score as a percentage of the most it could be, to two decimal places
    (half up); 0 for a quiz worth nothing."""
    if not max_score:
        return NONE.quantize(HUNDREDTH)
    return (Decimal(score) * 100 / Decimal(max_score)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def has_passed(percent: Decimal, pass_mark_percent: int) -> bool:
    """A pass is a percentage at or above the pass mark."""
    return percent >= pass_mark_percent
