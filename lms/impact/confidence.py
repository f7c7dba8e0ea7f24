"""Level 2, learning: how confident a learner is in each of the course's learning
outcomes, on a 1 to 5 scale, before the course and after it.

Before: from confirmation until completion (the place is confirmed). After: once the
place has been completed. One rating per learning outcome each time, stored with the
outcome's position and words; rating again changes the ratings. The uplift of an outcome
is the average after less the average before, over the learners who rated it both times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from courses.models import Cohort, Course, Enrolment, EnrolmentStatus
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.impact.models import SCALE, ConfidenceRating, Phase
from lms.impact.reaction import average

OUTCOME_LENGTH = 500  # ConfidenceRating.outcome
OPEN_WHILE = {Phase.BEFORE: EnrolmentStatus.CONFIRMED, Phase.AFTER: EnrolmentStatus.COMPLETED}


class ConfidenceError(DomainError):
    """A rating was refused."""


class RatingRefused(ConfidenceError):
    """Refused for one or more outcomes; `problems` names the field of each."""

    def __init__(self, problems: list[DomainError]):
        super().__init__(problems[0].message)
        self.problems = problems


def outcomes_of(course: Course) -> list[tuple[int, str]]:
    """The course's learning outcomes to rate, as (position, words); blank ones left out."""
    return [
        (index, str(words).strip())
        for index, words in enumerate(course.learning_outcomes or [])
        if str(words).strip()
    ]


def field_name(index: int) -> str:
    return f"outcome_{index}"


def refusal(enrolment: Enrolment, phase: Phase) -> str | None:
    """Why the learner cannot rate their confidence now; None when they can."""
    if not outcomes_of(enrolment.cohort.course):
        return "This course has no learning outcomes to rate your confidence against"
    if phase == Phase.BEFORE:
        if enrolment.status == EnrolmentStatus.CONFIRMED:
            return None
        if enrolment.status in (EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED):
            return "The course has finished, so it is too late to rate your confidence before it"
        return "You can rate your confidence before the course once your place is confirmed"
    if enrolment.status == EnrolmentStatus.COMPLETED:
        return None
    if enrolment.status == EnrolmentStatus.CONFIRMED:
        return "You can rate your confidence after the course once you have completed it"
    return "Rating your confidence after the course is for learners who completed it"


def ratings_of(enrolment_id: int, phase: Phase) -> dict[int, ConfidenceRating]:
    """The enrolment's ratings of the phase, by outcome position."""
    return {
        rating.outcome_index: rating
        for rating in db.session.scalars(
            select(ConfidenceRating).where(
                ConfidenceRating.enrolment_id == enrolment_id, ConfidenceRating.phase == phase
            )
        )
    }


def rate(
    enrolment: Enrolment, phase: Phase, scores: Mapping[int, int | None], *, now: datetime
) -> int:
    """Saves a score from 1 to 5 for every learning outcome of the course (all are
    required), by outcome position; a rating made before is changed. Returns how many
    outcomes were rated."""
    why_not = refusal(enrolment, phase)
    if why_not:
        raise ConfidenceError(why_not)
    outcomes = outcomes_of(enrolment.cohort.course)
    problems = [
        ConfidenceError(f"Choose how confident you are: {words}", field=field_name(index))
        for index, words in outcomes
        if scores.get(index) not in SCALE
    ]
    if problems:
        raise RatingRefused(problems)
    existing = ratings_of(enrolment.id, phase)
    for index, words in outcomes:
        rating = existing.get(index)
        if rating is None:
            rating = ConfidenceRating(enrolment_id=enrolment.id, phase=phase, outcome_index=index)
            db.session.add(rating)
        rating.outcome = words[:OUTCOME_LENGTH]
        rating.score = int(scores[index])
        rating.rated_at = now
    db.session.flush()
    return len(outcomes)


# --- uplift --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeUplift:
    index: int
    outcome: str
    pairs: int  # learners who rated the outcome both before and after
    before: Decimal | None  # the averages, to 2 places
    after: Decimal | None
    uplift: Decimal | None  # after less before, from the exact averages, to 2 places


@dataclass(frozen=True)
class Uplift:
    outcomes: list[OutcomeUplift]
    rated_before: int  # learners who rated any outcome before
    rated_after: int
    rated_both: int  # learners who rated at least one outcome both times


def uplift(course: Course, *, cohort_id: int | None = None) -> Uplift:
    """The uplift per learning outcome of the course (one cohort's, or every cohort's):
    over the learners who rated the outcome both before and after, the average after less
    the average before. Three statements, however many learners."""
    before = aliased(ConfidenceRating)
    after = aliased(ConfidenceRating)
    where = [Cohort.course_id == course.id] if cohort_id is None else [Cohort.id == cohort_id]
    pairs = db.session.execute(
        _rated_both(
            select(
                before.outcome_index,
                func.count(),
                func.sum(before.score),
                func.sum(after.score),
                func.max(after.outcome),
            ),
            before,
            after,
            where,
        ).group_by(before.outcome_index)
    ).all()
    found = {row[0]: row for row in pairs}
    current = dict(outcomes_of(course))
    outcomes = []
    for index in sorted(current.keys() | found.keys()):
        _, count, total_before, total_after, words = found.get(index, (index, 0, 0, 0, None))
        outcomes.append(
            OutcomeUplift(
                index=index,
                outcome=current.get(index) or words or "",
                pairs=count,
                before=average(total_before or 0, count),
                after=average(total_after or 0, count),
                uplift=average((total_after or 0) - (total_before or 0), count),
            )
        )
    per_phase = dict(
        db.session.execute(
            select(ConfidenceRating.phase, func.count(func.distinct(ConfidenceRating.enrolment_id)))
            .join(Enrolment, Enrolment.id == ConfidenceRating.enrolment_id)
            .join(Cohort, Cohort.id == Enrolment.cohort_id)
            .where(*where)
            .group_by(ConfidenceRating.phase)
        ).all()
    )
    both = db.session.scalar(
        _rated_both(select(func.count(func.distinct(before.enrolment_id))), before, after, where)
    )
    return Uplift(
        outcomes=outcomes,
        rated_before=per_phase.get(Phase.BEFORE, 0),
        rated_after=per_phase.get(Phase.AFTER, 0),
        rated_both=both or 0,
    )


def _rated_both(query, before, after, where):
    """`query` over each outcome an enrolment rated both before and after, of the cohorts
    `where` picks."""
    return (
        query.select_from(before)
        .join(
            after,
            and_(
                after.enrolment_id == before.enrolment_id,
                after.outcome_index == before.outcome_index,
                after.phase == Phase.AFTER,
            ),
        )
        .join(Enrolment, Enrolment.id == before.enrolment_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(before.phase == Phase.BEFORE, *where)
    )
