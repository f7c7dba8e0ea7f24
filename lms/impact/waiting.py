"""A learner's own evaluations: what waits for them and what they have done.

Waiting: the course survey of each cohort of theirs that has closed, rating their
confidence before a course they are confirmed on and after one they completed (courses
with learning outcomes), and each follow-up not yet answered. Surveys and ratings after a
course wait for WAITING_MONTHS after it ended: they still open from the mail after that,
but no longer count as waiting (so that a new service does not greet people with years of
old courses). `waiting_count` is the same rule in one statement, for the header and home
page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Text, cast, func, literal, select
from sqlalchemy.orm import contains_eager

from courses.models import Cohort, CohortStatus, Course, Enrolment, EnrolmentStatus
from lms.core.dates import add_months
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.timezones import local_today, start_of_local_day
from lms.impact.models import ConfidenceRating, FollowUp, Phase, ReactionResponse
from lms.impact.reaction import ANSWERABLE

WAITING_MONTHS = 12
NO_OUTCOMES = ("[]", "null")


@dataclass(frozen=True)
class Task:
    """One evaluation of one enrolment: what it is, whether it is done, and where."""

    kind: str  # "survey", "before", "after"
    enrolment: Enrolment
    done: bool

    @property
    def title(self) -> str:
        return {
            "survey": "Tell us what you thought of the course",
            "before": "Rate your confidence before the course",
            "after": "Rate your confidence after the course",
        }[self.kind]


@dataclass
class MyEvaluations:
    waiting: list[Task] = field(default_factory=list)
    done: list[Task] = field(default_factory=list)
    follow_ups_waiting: list[FollowUp] = field(default_factory=list)
    follow_ups_done: list[FollowUp] = field(default_factory=list)

    @property
    def count_waiting(self) -> int:
        return len(self.waiting) + len(self.follow_ups_waiting)


def _since(now: datetime) -> datetime:
    return start_of_local_day(add_months(local_today(now), -WAITING_MONTHS))


def _has_outcomes():
    return cast(Course.learning_outcomes, Text).not_in(NO_OUTCOMES)


def _rated(phase: Phase):
    return (
        select(ConfidenceRating.id)
        .where(ConfidenceRating.enrolment_id == Enrolment.id, ConfidenceRating.phase == phase)
        .exists()
    )


def _answered():
    return select(ReactionResponse.id).where(ReactionResponse.enrolment_id == Enrolment.id).exists()


def my_evaluations(user_id: int, now: datetime | None = None) -> MyEvaluations:
    """The learner's evaluations, waiting and done, in two statements however many."""
    since = _since(now or utcnow())
    ended = func.coalesce(Cohort.closed_at, Enrolment.ended_at)
    rows = db.session.execute(
        select(
            Enrolment,
            _answered().label("answered"),
            _rated(Phase.BEFORE).label("rated_before"),
            _rated(Phase.AFTER).label("rated_after"),
            (ended >= since).label("recent"),
        )
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .where(
            Enrolment.learner_id == user_id,
            (Enrolment.status == EnrolmentStatus.CONFIRMED)
            | (Enrolment.status.in_(ANSWERABLE) & (Cohort.status == CohortStatus.CLOSED)),
        )
        .options(contains_eager(Enrolment.cohort).contains_eager(Cohort.course))
        .order_by(ended.desc().nulls_last(), Enrolment.requested_at.desc(), Enrolment.id.desc())
    ).all()
    found = MyEvaluations()

    def add(kind: str, enrolment: Enrolment, done: bool, recent: bool = True) -> None:
        if done:
            found.done.append(Task(kind, enrolment, True))
        elif recent:
            found.waiting.append(Task(kind, enrolment, False))

    for enrolment, answered, rated_before, rated_after, recent in rows:
        outcomes = bool(enrolment.cohort.course.learning_outcomes)
        if enrolment.status == EnrolmentStatus.CONFIRMED:
            if outcomes:
                add("before", enrolment, bool(rated_before))
            continue
        add("survey", enrolment, bool(answered), bool(recent))
        if outcomes and enrolment.status == EnrolmentStatus.COMPLETED:
            add("after", enrolment, bool(rated_after), bool(recent))
    for follow_up in db.session.scalars(
        select(FollowUp)
        .join(Enrolment, Enrolment.id == FollowUp.enrolment_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .where(Enrolment.learner_id == user_id)
        .options(
            contains_eager(FollowUp.enrolment)
            .contains_eager(Enrolment.cohort)
            .contains_eager(Cohort.course)
        )
        .order_by(FollowUp.due_on.desc(), FollowUp.id.desc())
    ):
        (found.follow_ups_done if follow_up.answered_at else found.follow_ups_waiting).append(
            follow_up
        )
    return found


def waiting_count(user_id: int, now: datetime | None = None) -> int:
    """How many evaluations wait for the learner (as `my_evaluations` lists them), in one
    statement: for a count in the header or on the home page."""
    since = _since(now or utcnow())
    ended = func.coalesce(Cohort.closed_at, Enrolment.ended_at)

    def enrolments(*where):
        return (
            select(func.count(Enrolment.id))
            .join(Cohort, Cohort.id == Enrolment.cohort_id)
            .join(Course, Course.id == Cohort.course_id)
            .where(Enrolment.learner_id == user_id, *where)
            .scalar_subquery()
        )

    closed_recently = (Cohort.status == CohortStatus.CLOSED, ended >= since)
    surveys = enrolments(Enrolment.status.in_(ANSWERABLE), *closed_recently, ~_answered())
    before = enrolments(
        Enrolment.status == EnrolmentStatus.CONFIRMED, _has_outcomes(), ~_rated(Phase.BEFORE)
    )
    after = enrolments(
        Enrolment.status == EnrolmentStatus.COMPLETED,
        *closed_recently,
        _has_outcomes(),
        ~_rated(Phase.AFTER),
    )
    follow_ups = (
        select(func.count(FollowUp.id))
        .join(Enrolment, Enrolment.id == FollowUp.enrolment_id)
        .where(Enrolment.learner_id == user_id, FollowUp.answered_at.is_(None))
        .scalar_subquery()
    )
    return db.session.scalar(select(literal(0) + surveys + before + after + follow_ups)) or 0
