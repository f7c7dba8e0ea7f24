"""Evaluations (Kirkpatrick 1-3) for the reports: about 180,000 rows at factor 1.

Every course asks the default questions (stored once, as the first answer would store
them); one in ten shows its trainers who answered. Each learner of a closed cohort who
completed it or did not was invited to evaluate it when it closed
(`EvaluationInvitation`), and three in ten answered the reaction survey within ten days:
five 1-5 statements (mostly 4s and 5s, some courses and trainers better liked than
others) and, one time in five, a comment. A third of those who completed rated their
confidence in each of the course's learning outcomes before (when their place was
confirmed: mostly 2s and 3s) and after (at completion: up to two points higher, at most
5). Completions between 3 and 12 months ago have had their 3- or 6-month follow-up (the
6-month one once it is due, as `flask lms tick` queues them); 45% answered it, a quarter
of those having led a project since.

The demo learner's latest closed enrolment is left unanswered, so her evaluations page
has a survey waiting; the rest of hers are like anyone's.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from courses.models import Course, EnrolmentStatus
from lms.core.dates import add_months
from lms.core.timezones import to_local
from lms.impact.models import (
    ConfidenceRating,
    CourseEvaluation,
    EvaluationInvitation,
    FollowUp,
    Phase,
    ProjectSince,
    QuestionKind,
    ReactionAnswer,
    ReactionQuestion,
    ReactionResponse,
)
from lms.impact.questions import DEFAULT_QUESTIONS
from lms.scale.assessments import Batches
from lms.scale.cohorts import closed_at
from lms.scale.world import LEARNER, EnrolmentRow, World

EVALUATING = (EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED)
NAMED = 0.1  # of courses whose trainers see who answered
RESPONDING = 0.3  # of learners invited who answer the reaction survey
COMMENTING = 0.2  # of those who also write a comment
RATING = 1 / 3  # of completers who rate their confidence before and after
FOLLOWED_UP_MONTHS = 12  # completions this recent have had their follow-up
ANSWERING = 0.45  # of follow-ups answered
ROWS_PER_ENROLMENT = 1.6  # rows written per enrolment, all tables (measured at factor 1)

COMMENTS = (
    "More time on the case studies, please.",
    "The templates were the most useful part.",
    "Shorter sessions would fit around clinical work better.",
    "More examples from outpatient services.",
    "A follow-up session after three months would help.",
    "Excellent: practical and well paced.",
)
APPLIED = (
    "I used the RAID log to run our weekly project meeting.",
    "Wrote a one-page project brief for the division's board.",
    "Set up stage gates on our discharge project.",
    "Mapped the benefits before we started, as the course showed.",
    "Used the stakeholder map to plan who to involve.",
    "Ran a lessons-learned session at the end of the pilot.",
)
SINCE = ((ProjectSince.LED, 0.25), (ProjectSince.WORKED_ON, 0.35), (ProjectSince.NEITHER, 0.4))


def seed(world: World) -> None:
    questions = _default_questions(world)
    _named_courses(world)
    outcomes = _outcomes(world)
    batches = Batches(
        world,
        EvaluationInvitation.__table__,
        ReactionResponse.__table__,
        ReactionAnswer.__table__,
        ConfidenceRating.__table__,
        FollowUp.__table__,
    )
    waiting = _demo_survey_left_waiting(world)
    liked = {course.id: world.rng.uniform(-0.6, 0.4) for course in world.courses}
    for enrolment in world.enrolments:
        closed = closed_at(enrolment.cohort)
        if closed and enrolment.status in EVALUATING:
            _reaction(world, batches, enrolment, closed, questions, liked, enrolment.id == waiting)
        if enrolment.confirmed_at and world.rng.random() < RATING:
            _confidence(world, batches, enrolment, outcomes.get(enrolment.cohort.course.id, []))
        if enrolment.status == EnrolmentStatus.COMPLETED and enrolment.ended_at:
            _follow_up(world, batches, enrolment)
    batches.flush()


def _default_questions(world: World) -> list[tuple[int, QuestionKind]]:
    table = ReactionQuestion.__table__
    ids = world.writer.ids(table, len(DEFAULT_QUESTIONS))
    now = world.now
    world.writer.insert(
        table,
        [
            {
                "id": id_,
                "course_id": None,
                "position": position,
                "kind": kind,
                "text": text,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for position, (id_, (kind, text)) in enumerate(zip(ids, DEFAULT_QUESTIONS, strict=True))
        ],
    )
    return [(id_, kind) for id_, (kind, _) in zip(ids, DEFAULT_QUESTIONS, strict=True)]


def _named_courses(world: World) -> None:
    """One course in ten shows its trainers who answered (the default keeps them
    anonymous)."""
    size = max(1, round(len(world.courses) * NAMED))
    chosen = sorted(course.id for course in world.rng.sample(world.courses, size))
    world.writer.insert(
        CourseEvaluation.__table__,
        [{"course_id": id_, "anonymous": False, "own_questions": False} for id_ in chosen],
    )


def _outcomes(world: World) -> dict[int, list[str]]:
    course = Course.__table__
    rows = world.writer.connection.execute(select(course.c.id, course.c.learning_outcomes))
    return {id_: outcomes or [] for id_, outcomes in rows}


def _demo_survey_left_waiting(world: World) -> int | None:
    learner = world.demo.get(LEARNER)
    closed = [
        enrolment
        for enrolment in world.enrolments
        if enrolment.learner_id == learner
        and closed_at(enrolment.cohort)
        and enrolment.status == EnrolmentStatus.COMPLETED
    ]
    return max(closed, key=lambda enrolment: closed_at(enrolment.cohort)).id if closed else None


def _reaction(world, batches, enrolment: EnrolmentRow, closed: datetime, questions, liked, wait):
    if closed >= world.now:
        return
    batches.add(
        EvaluationInvitation.__table__,
        {"enrolment_id": enrolment.id, "reaction_invited_at": closed},
    )
    if wait or world.rng.random() >= RESPONDING:
        return
    rng = world.rng
    (response_id,) = world.writer.ids(ReactionResponse.__table__, 1)
    answered = min(closed + timedelta(days=rng.uniform(0.1, 10)), world.now)
    batches.add(
        ReactionResponse.__table__,
        {
            "id": response_id,
            "enrolment_id": enrolment.id,
            "submitted_at": answered,
            "created_at": answered,
            "updated_at": answered,
        },
    )
    leaning = liked[enrolment.cohort.course.id] + (
        0.3 if enrolment.cohort.trainer_ids and enrolment.cohort.trainer_ids[0] % 3 == 0 else 0
    )
    answer_ids = iter(world.writer.ids(ReactionAnswer.__table__, len(questions)))
    for question_id, kind in questions:
        if kind == QuestionKind.TEXT:
            if rng.random() >= COMMENTING:
                continue
            score, text = None, rng.choice(COMMENTS)
        else:
            score, text = max(1, min(5, round(rng.gauss(4.1 + leaning, 0.8)))), None
        batches.add(
            ReactionAnswer.__table__,
            {
                "id": next(answer_ids),
                "response_id": response_id,
                "question_id": question_id,
                "score": score,
                "text": text,
            },
        )


def _confidence(world, batches, enrolment: EnrolmentRow, outcomes: list[str]) -> None:
    completed = enrolment.status == EnrolmentStatus.COMPLETED and enrolment.ended_at
    if not outcomes or not (completed or enrolment.status == EnrolmentStatus.CONFIRMED):
        return
    rng = world.rng
    for index, outcome in enumerate(outcomes):
        before = rng.choice((1, 2, 2, 3, 3, 3, 4))
        ratings = [(Phase.BEFORE, before, enrolment.confirmed_at)]
        if completed:
            after = min(5, before + rng.choice((0, 1, 1, 2, 2)))
            ratings.append((Phase.AFTER, after, enrolment.ended_at))
        for phase, score, when in ratings:
            (rating_id,) = world.writer.ids(ConfidenceRating.__table__, 1)
            batches.add(
                ConfidenceRating.__table__,
                {
                    "id": rating_id,
                    "enrolment_id": enrolment.id,
                    "phase": phase,
                    "outcome_index": index,
                    "outcome": outcome,
                    "score": score,
                    "rated_at": when,
                },
            )


def _follow_up(world, batches, enrolment: EnrolmentRow) -> None:
    completed: date = to_local(enrolment.ended_at).date()
    if add_months(completed, FOLLOWED_UP_MONTHS) < world.today:
        return
    months = 6 if add_months(completed, 6) <= world.today else 3
    due = add_months(completed, months)
    if due > world.today:
        return
    rng = world.rng
    queued = datetime.combine(due, datetime.min.time(), world.now.tzinfo) + timedelta(hours=7)
    row = {
        "enrolment_id": enrolment.id,
        "months": months,
        "due_on": due,
        "queued_at": min(queued, world.now),
        "answered_at": None,
        "project_since": None,
        "applied": None,
    }
    if rng.random() < ANSWERING:
        since = rng.choices([s for s, _ in SINCE], [w for _, w in SINCE])[0]
        row["answered_at"] = min(queued + timedelta(days=rng.uniform(0.1, 14)), world.now)
        row["project_since"] = since
        row["applied"] = rng.choice(APPLIED) if since != ProjectSince.NEITHER else None
    (row["id"],) = world.writer.ids(FollowUp.__table__, 1)
    batches.add(FollowUp.__table__, row)
