"""Auto-marking: courses/assessments/marking.py, each question type table-driven."""

from __future__ import annotations

from decimal import Decimal

import pytest

from courses.assessments.marking import has_passed, percent_of, points_for
from courses.assessments.models import QuestionType

SINGLE, MULTIPLE, TRUE_FALSE = QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE


@pytest.mark.parametrize(
    ("question_type", "correct", "chosen", "points", "expected"),
    [
        # single choice: exactly the one correct option
        (SINGLE, [1], [1], 2, "2"),
        (SINGLE, [1], [2], 2, "0"),
        (SINGLE, [1], [], 2, "0"),
        (SINGLE, [1], [1, 2], 2, "0"),  # two options for one answer: no marks
        (SINGLE, [1], [1, 1], 2, "2"),  # the same option twice is one choice
        # true/false: the same rule
        (TRUE_FALSE, [10], [10], 1, "1"),
        (TRUE_FALSE, [10], [11], 1, "0"),
        (TRUE_FALSE, [10], [10, 11], 1, "0"),
        (TRUE_FALSE, [10], [], 1, "0"),
        # multiple choice: all and only the correct options (all or nothing)
        (MULTIPLE, [1, 3], [1, 3], 4, "4"),
        (MULTIPLE, [1, 3], [3, 1], 4, "4"),  # order does not matter
        (MULTIPLE, [1, 3], [1], 4, "0"),  # one missing
        (MULTIPLE, [1, 3], [1, 2, 3], 4, "0"),  # one too many
        (MULTIPLE, [1, 3], [1, 2, 3, 4], 4, "0"),  # ticking every box
        (MULTIPLE, [1, 3], [], 4, "0"),
        (MULTIPLE, [2], [2], 3, "3"),  # a multiple-choice question with one correct option
        # a question with no correct option (a faulty bank entry) gives nobody marks
        (SINGLE, [], [1], 1, "0"),
        (MULTIPLE, [], [], 1, "0"),
    ],
)
def test_points_for_each_question_type(question_type, correct, chosen, points, expected):
    assert points_for(question_type, correct, chosen, points) == Decimal(expected)


def test_points_for_takes_the_type_as_its_stored_value():
    assert points_for("multiple", {1, 2}, [2, 1], 5) == Decimal("5")


@pytest.mark.parametrize(
    ("score", "max_score", "percent"),
    [
        ("0", "3", "0.00"),
        ("1", "3", "33.33"),
        ("2", "3", "66.67"),  # half up
        ("3", "3", "100.00"),
        ("7", "8", "87.50"),
        ("0", "0", "0.00"),  # nothing to score
    ],
)
def test_percent_of_is_rounded_to_two_places(score, max_score, percent):
    assert percent_of(Decimal(score), Decimal(max_score)) == Decimal(percent)


@pytest.mark.parametrize(
    ("percent", "pass_mark", "passed"),
    [("79.99", 80, False), ("80.00", 80, True), ("100", 100, True), ("0", 0, True)],
)
def test_a_pass_is_at_or_above_the_pass_mark(percent, pass_mark, passed):
    assert has_passed(Decimal(percent), pass_mark) is passed
