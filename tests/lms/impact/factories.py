"""Factories for evaluations (lms.impact): reaction responses, confidence ratings,
follow-ups, and the closed cohorts they belong to. Straight into the tables (no rules
asked), committed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta

import pytest

from courses.models import Cohort, CohortStatus, Course, Enrolment, EnrolmentStatus
from lms.auth.models import User
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.impact import questions as question_sets
from lms.impact.models import (
    ConfidenceRating,
    FollowUp,
    Phase,
    ProjectSince,
    QuestionKind,
    ReactionAnswer,
    ReactionResponse,
)


@pytest.fixture
def make_closed_cohort(app, make_cohort) -> Callable[..., Cohort]:
    """`make_closed_cohort(course, closed_at=..., **fields)`: a closed cohort whose one
    session ended before it closed."""

    def make(course: Course, *, closed_at: datetime | None = None, **fields) -> Cohort:
        closed_at = closed_at or utcnow().replace(microsecond=0) - timedelta(days=1)
        start = closed_at - timedelta(days=2)
        fields.setdefault("sessions", [(start, start + timedelta(hours=3))])
        return make_cohort(course, status=CohortStatus.CLOSED, closed_at=closed_at, **fields)

    return make


@pytest.fixture
def make_completion(app, make_enrolment) -> Callable[..., Enrolment]:
    """`make_completion(cohort, learner=None, ended_at=..., status=COMPLETED)`: a place that
    ended (completed unless told otherwise) when the cohort closed, or at `ended_at`."""

    def make(
        cohort: Cohort,
        learner: User | None = None,
        *,
        ended_at: datetime | None = None,
        status: EnrolmentStatus = EnrolmentStatus.COMPLETED,
    ) -> Enrolment:
        ended_at = ended_at or cohort.closed_at or utcnow()
        return make_enrolment(
            cohort,
            learner,
            status,
            confirmed_at=ended_at - timedelta(days=30),
            ended_at=ended_at,
        )

    return make


@pytest.fixture
def make_reaction_response(app) -> Callable[..., ReactionResponse]:
    """`make_reaction_response(enrolment, scores=(4, 5, ...), comment="...")`: answers to
    the questions the enrolment's course asks now (the defaults stored if need be): the
    scores to its scale questions in order (the last score repeated for any beyond), the
    comment to its first text question."""

    def make(
        enrolment: Enrolment,
        scores: Sequence[int] = (4,),
        comment: str | None = None,
        *,
        submitted_at: datetime | None = None,
    ) -> ReactionResponse:
        asked = question_sets.stored(question_sets.asked(enrolment.cohort.course))
        response = ReactionResponse(
            enrolment_id=enrolment.id, submitted_at=submitted_at or utcnow(), answers=[]
        )
        scale = [question for question in asked if question.kind == QuestionKind.SCALE]
        for number, question in enumerate(scale):
            score = scores[min(number, len(scores) - 1)]
            response.answers.append(ReactionAnswer(question_id=question.id, score=score))
        text = next((q for q in asked if q.kind == QuestionKind.TEXT), None)
        if comment is not None and text is not None:
            response.answers.append(ReactionAnswer(question_id=text.id, text=comment))
        db.session.add(response)
        db.session.commit()
        return response

    return make


@pytest.fixture
def make_confidence(app) -> Callable[..., list[ConfidenceRating]]:
    """`make_confidence(enrolment, Phase.BEFORE, [2, 3])`: a rating per learning outcome,
    the scores in the course's order of outcomes."""

    def make(
        enrolment: Enrolment,
        phase: Phase | str,
        scores: Sequence[int],
        *,
        rated_at: datetime | None = None,
    ) -> list[ConfidenceRating]:
        outcomes = enrolment.cohort.course.learning_outcomes or []
        ratings = [
            ConfidenceRating(
                enrolment_id=enrolment.id,
                phase=Phase(phase),
                outcome_index=index,
                outcome=outcomes[index] if index < len(outcomes) else f"Outcome {index + 1}",
                score=score,
                rated_at=rated_at or utcnow(),
            )
            for index, score in enumerate(scores)
        ]
        db.session.add_all(ratings)
        db.session.commit()
        return ratings

    return make


@pytest.fixture
def make_follow_up(app) -> Callable[..., FollowUp]:
    """`make_follow_up(enrolment, months=3, project_since=None, applied=None)`: queued,
    and answered when `project_since` is given."""

    def make(
        enrolment: Enrolment,
        months: int = 3,
        *,
        project_since: ProjectSince | None = None,
        applied: str | None = None,
        due_on: date | None = None,
        queued_at: datetime | None = None,
    ) -> FollowUp:
        queued_at = queued_at or utcnow()
        follow_up = FollowUp(
            enrolment_id=enrolment.id,
            months=months,
            due_on=due_on or queued_at.date(),
            queued_at=queued_at,
            project_since=project_since,
            applied=applied,
            answered_at=utcnow() if project_since is not None else None,
        )
        db.session.add(follow_up)
        db.session.commit()
        return follow_up

    return make
