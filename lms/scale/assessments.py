"""Assessments: every course's question bank (a few questions edited after use, so an
older version is retired), a quiz on about two courses in three (fixed questions and a
draw from a category) and a required assignment on about half. Learners in closed and
running cohorts have taken the quizzes (marked as `courses.assessments.marking` marks)
and sent the assignments, which their trainers marked, passed or referred; a learner who
completed passed every required one. Closed cohorts say when they were closed. One audit
event per submitted attempt, submission and mark, as the app writes them.

The demo trainer's cohort today has a quiz and an assignment, and the demo learner on it
a failed then a passed attempt, and a referred submission with a resubmission waiting to
be marked, so the benchmark's pages have something to show.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from courses.assessments import marking
from courses.assessments.models import (
    Assessment,
    AssessmentKind,
    Attempt,
    AttemptQuestion,
    Question,
    QuestionOption,
    QuestionType,
    QuizItem,
    Submission,
    SubmissionFile,
    SubmissionStatus,
)
from courses.assessments.submissions import resubmit_deadline
from courses.models import CohortStatus
from courses.models import EnrolmentStatus as Status
from lms.audit.audit import AuditEvent
from lms.core.timezones import LONDON, to_local
from lms.scale import names
from lms.scale.cohorts import closed_at as cohort_closed_at
from lms.scale.history import audit_row
from lms.scale.world import LEARNER, CohortRow, CourseRow, EnrolmentRow, World
from lms.scale.writer import CHUNK

QUESTIONS_PER_COURSE = 20
REVISED_PER_COURSE = 2  # questions edited after attempts used them: one retired version each
FIXED = 8  # a quiz's fixed questions, then one draw
DRAW = 2
CATEGORIES = ("Planning", "Risk", "Governance", "Stakeholders", "Benefits", "Quality")
TAKING = (Status.CONFIRMED, Status.COMPLETED, Status.NOT_COMPLETED)
RESUBMIT_DAYS = 14  # ASSIGNMENT_RESUBMIT_DAYS' default

# fmt: off
# (question, correct answers, wrong answers)
SINGLE = (
    ("Which document sets out why a project is worth doing?", ("The business case",),
     ("The risk register", "The highlight report", "The lessons log", "The issue log")),
    ("Who is accountable for a project delivering its benefits?",
     ("The Senior Responsible Owner",),
     ("The project manager", "The project support officer", "The finance manager")),
    ("What is a risk?", ("An uncertain event that would affect the objectives if it happened",),
     ("Something that has already gone wrong", "A task running late",
      "A complaint from a stakeholder")),
    ("When should lessons be recorded?", ("Throughout the project",),
     ("Only at the end", "Only when something goes wrong", "Only when the board asks")),
    ("What does a highlight report tell the project board?",
     ("Progress against the plan for the period",),
     ("The full list of requirements", "The benefits achieved", "The team's rota")),
    ("Which of these measures an outcome rather than a process?",
     ("Falls per 1,000 occupied bed days",),
     ("Number of staff trained", "Audits completed", "Meetings held")),
    ("What is the critical path?",
     ("The longest chain of dependent tasks, which sets the earliest finish",),
     ("The tasks the sponsor cares most about", "The cheapest route through the plan",
      "The tasks with the most risk")),
    ("Who should help map a patient pathway?",
     ("The staff who work in it and the patients who use it",),
     ("The project manager alone", "Senior managers only", "An external consultant")),
)
MULTIPLE = (
    ("Which of these belong in a business case?",
     ("The expected benefits", "The costs", "The options considered"),
     ("The car park rota", "Every meeting's minutes")),
    ("Which of these can a project board set tolerances for?", ("Time", "Cost", "Scope"),
     ("The weather", "Annual leave")),
    ("Which of these help to engage stakeholders?",
     ("A stakeholder map", "A communications plan"),
     ("Leaving them until the end", "Sending everyone the whole plan")),
    ("What is a run chart good for?", ("Seeing change over time", "Spotting shifts and trends"),
     ("Deciding who is to blame", "Setting budgets")),
    ("What should an issue log record?",
     ("What the issue is", "Who owns it", "What is being done about it"),
     ("The owner's home address",)),
)
TRUE_FALSE = (
    ("A risk that has happened becomes an issue.", True),
    ("The project manager owns the business case.", False),
    ("Benefits should be measurable.", True),
    ("A PDSA cycle should test a change at full scale first.", False),
    ("Every change to the agreed scope should go through change control.", True),
    ("A Gantt chart can show the dependencies between tasks.", True),
    ("Stakeholders need engaging only at the start of a project.", False),
    ("Lessons learned should be shared beyond the project team.", True),
)
# fmt: on
# An edited question's first wording ended with a hint the edit took out.
FIRST_WORDING = {
    QuestionType.SINGLE: " Choose one answer.",
    QuestionType.MULTIPLE: " Choose all that apply.",
    QuestionType.TRUE_FALSE: " True or false?",
}
PASSED_FEEDBACK = "A clear account with good use of evidence from your project. Well done."
REFERRED_FEEDBACK = (
    "A good start. Please add how you will measure the benefits, with a baseline, then resubmit."
)


@dataclass(frozen=True)
class Version:
    id: int
    type: QuestionType
    points: int
    options: tuple[int, ...]
    correct: tuple[int, ...]


@dataclass(frozen=True)
class Family:
    """A question of the bank and its versions, oldest first; `revised_at` is when the
    current version replaced the older one."""

    category: str
    versions: tuple[Version, ...]
    revised_at: datetime | None

    def at(self, moment: datetime) -> Version:
        if self.revised_at is not None and moment < self.revised_at:
            return self.versions[0]
        return self.versions[-1]


@dataclass(frozen=True)
class Quiz:
    id: int
    fixed: tuple[Family, ...]
    pool: tuple[Family, ...]  # the draw's category, less the fixed questions
    required: bool
    pass_mark: int
    attempts_allowed: int | None
    time_limit: int | None
    shuffle_questions: bool
    shuffle_options: bool
    opens_after_session: int | None


@dataclass(frozen=True)
class Assignment:
    id: int
    due_days: int


def seed(world: World) -> None:
    banks = _banks(world)
    quizzes, assignments = _assessments(world, banks)
    closed_at = _close_cohorts(world)
    by_cohort: dict[int, list[EnrolmentRow]] = {}
    for enrolment in world.enrolments:
        if enrolment.status in TAKING:
            by_cohort.setdefault(enrolment.cohort.id, []).append(enrolment)
    _attempts(world, quizzes, by_cohort, closed_at)
    _submissions(world, assignments, by_cohort, closed_at)


def _topic(course: CourseRow) -> str:
    return names.COURSE_TOPICS[course.id % len(names.COURSE_TOPICS)]


def _is_todays(world: World, course: CourseRow) -> bool:
    return world.todays_cohort is not None and course is world.todays_cohort.course


# --- question banks -------------------------------------------------------------------------


def _banks(world: World) -> dict[int, list[Family]]:
    """Each course's questions: three categories, mixed types, a few edited after use."""
    rng = world.rng
    questions: list[dict] = []
    options: list[dict] = []
    banks: dict[int, list[Family]] = {}
    for course in world.courses:
        categories = rng.sample(CATEGORIES, 3)
        # Written before the oldest cohort (three years back) took it.
        written = world.now - timedelta(days=rng.randint(1300, 1500))
        revised = set(rng.sample(range(QUESTIONS_PER_COURSE), REVISED_PER_COURSE))
        families = []
        for index in range(QUESTIONS_PER_COURSE):
            question_type = rng.choices(tuple(QuestionType), weights=(5, 3, 2))[0]
            content = _content(world, question_type)
            points = 2 if rng.random() < 0.1 else 1
            category = categories[index % len(categories)]
            revised_at = None
            if index in revised:
                revised_at = world.now - timedelta(days=rng.randint(30, 700))
            wordings = [content[0] + FIRST_WORDING[question_type], content[0]]
            versions = []
            first_id = None
            for number, wording in enumerate(wordings if revised_at else wordings[1:], 1):
                (id_,) = world.writer.ids(Question.__table__, 1)
                first_id = first_id or id_
                retired = revised_at is not None and number == 1
                made = revised_at if number == 2 else written
                questions.append(
                    {
                        "id": id_,
                        "course_id": course.id,
                        "family_id": first_id,
                        "version": number,
                        "retired": retired,
                        "category": category,
                        "type": question_type,
                        "text": wording,
                        "points": points,
                        "feedback": f"See the notes on {category.lower()} from the course.",
                        "created_at": made,
                        "updated_at": revised_at if retired else made,
                    }
                )
                versions.append(_options(world, id_, question_type, points, content, options))
            families.append(Family(category, tuple(versions), revised_at))
        banks[course.id] = families
    world.writer.insert(Question.__table__, questions)
    world.writer.insert(QuestionOption.__table__, options)
    return banks


def _content(world: World, question_type: QuestionType) -> tuple[str, tuple, tuple]:
    """A question's wording, its correct answers and its wrong ones."""
    rng = world.rng
    if question_type == QuestionType.TRUE_FALSE:
        statement, true = rng.choice(TRUE_FALSE)
        return statement, ("True",) if true else ("False",), ("False",) if true else ("True",)
    if question_type == QuestionType.MULTIPLE:
        return rng.choice(MULTIPLE)
    text, correct, wrong = rng.choice(SINGLE)
    return text, correct, tuple(rng.sample(wrong, rng.randint(min(2, len(wrong)), len(wrong))))


def _options(world, question_id, question_type, points, content, rows: list[dict]) -> Version:
    _, correct, wrong = content
    if question_type == QuestionType.TRUE_FALSE:
        texts = ["True", "False"]  # True first, as the bank writes them
    else:
        texts = [*correct, *wrong]
        world.rng.shuffle(texts)
    ids = world.writer.ids(QuestionOption.__table__, len(texts))
    for position, (id_, text) in enumerate(zip(ids, texts, strict=True)):
        rows.append(
            {
                "id": id_,
                "question_id": question_id,
                "position": position,
                "text": text,
                "correct": text in correct,
                "feedback": "" if text in correct else "Not quite: look again at the notes.",
            }
        )
    right = tuple(id_ for id_, text in zip(ids, texts, strict=True) if text in correct)
    return Version(question_id, question_type, points, tuple(ids), right)


# --- quizzes and assignments ----------------------------------------------------------------


def _assessments(
    world: World, banks: dict[int, list[Family]]
) -> tuple[dict[int, Quiz], dict[int, Assignment]]:
    """A quiz on about two courses in three and an assignment on about half; today's
    cohort's course has both, open from the start."""
    rng = world.rng
    rows: list[dict] = []
    items: list[dict] = []
    quizzes: dict[int, Quiz] = {}
    assignments: dict[int, Assignment] = {}
    for course in world.courses:
        todays = _is_todays(world, course)
        topic = _topic(course)
        created = world.now - timedelta(days=rng.randint(1200, 1290))
        if todays or rng.random() < 2 / 3:
            (id_,) = world.writer.ids(Assessment.__table__, 1)
            quiz = _quiz(world, id_, banks[course.id], todays=todays)
            quizzes[course.id] = quiz
            rows.append(_quiz_row(quiz, course, topic, created))
            fixed = [{"question_id": family.versions[-1].id} for family in quiz.fixed]
            draw = {"question_id": None, "draw_category": quiz.pool[0].category, "draw_count": DRAW}
            for position, item in enumerate([*fixed, draw]):
                (item_id,) = world.writer.ids(QuizItem.__table__, 1)
                items.append(
                    {"draw_category": None, "draw_count": None}
                    | item
                    | {"id": item_id, "assessment_id": id_, "position": position}
                )
        if todays or rng.random() < 0.5:
            (id_,) = world.writer.ids(Assessment.__table__, 1)
            assignment = Assignment(id_, due_days=0)
            assignments[course.id] = assignment
            rows.append(_assignment_row(assignment, course, topic, created))
    world.writer.insert(Assessment.__table__, rows)
    world.writer.insert(QuizItem.__table__, items)
    return quizzes, assignments


def _quiz(world: World, id_: int, bank: list[Family], *, todays: bool) -> Quiz:
    rng = world.rng
    fixed = tuple(bank[:FIXED])
    draw_category = bank[0].category
    return Quiz(
        id=id_,
        fixed=fixed,
        pool=tuple(family for family in bank[FIXED:] if family.category == draw_category),
        required=todays or rng.random() < 0.9,
        pass_mark=rng.choice((70, 75, 80, 80, 80)),
        attempts_allowed=3 if todays else rng.choice((None, 3, 3, 2)),
        time_limit=rng.choice((None, None, 20, 30, 45)),
        shuffle_questions=rng.random() < 0.5,
        shuffle_options=rng.random() < 0.5,
        opens_after_session=None if todays else rng.choice((None, 1, 1)),
    )


def _quiz_row(quiz: Quiz, course: CourseRow, topic: str, created: datetime) -> dict:
    return {
        "id": quiz.id,
        "course_id": course.id,
        "kind": AssessmentKind.QUIZ,
        "title": f"{topic}: knowledge check",
        "instructions": (
            f"Answer every question. You need {quiz.pass_mark}% to pass"
            + (f", and you have {quiz.time_limit} minutes" if quiz.time_limit else "")
            + "."
        ),
        "required": quiz.required,
        "position": 1,
        "opens_at": None,
        "opens_after_session": quiz.opens_after_session,
        "due_at": None,
        "due_days_after_last_session": None,
        "pass_mark_percent": quiz.pass_mark,
        "attempts_allowed": quiz.attempts_allowed,
        "time_limit_minutes": quiz.time_limit,
        "shuffle_questions": quiz.shuffle_questions,
        "shuffle_options": quiz.shuffle_options,
        "archived": False,
        "created_at": created,
        "updated_at": created,
    }


def _assignment_row(
    assignment: Assignment, course: CourseRow, topic: str, created: datetime
) -> dict:
    return {
        "id": assignment.id,
        "course_id": course.id,
        "kind": AssessmentKind.ASSIGNMENT,
        "title": "Reflective account",
        "instructions": (
            f"Write 500 to 1,000 words on how you have used {topic.lower()} on a project at "
            "work: what you did, what happened, and what you would do differently. Upload it "
            "as a PDF or write it here."
        ),
        "required": True,
        "position": 2,
        "opens_at": None,
        "opens_after_session": None,
        "due_at": None,
        "due_days_after_last_session": assignment.due_days,
        "pass_mark_percent": 80,
        "attempts_allowed": None,
        "time_limit_minutes": None,
        "shuffle_questions": False,
        "shuffle_options": False,
        "archived": False,
        "created_at": created,
        "updated_at": created,
    }


# --- closed cohorts -------------------------------------------------------------------------


def _close_cohorts(world: World) -> dict[int, datetime]:
    """Closed cohorts were closed (`cohorts.closed_at`) when their learners' places ended,
    by their first trainer: their audit events; cohort id -> when."""
    closed_at = {
        cohort.id: cohort_closed_at(cohort)
        for cohort in world.cohorts
        if cohort.status == CohortStatus.CLOSED
    }
    outcomes = {id_: {"completed": 0, "not_completed": 0} for id_ in closed_at}
    for enrolment in world.enrolments:
        if enrolment.cohort.id in outcomes and enrolment.status in outcomes[enrolment.cohort.id]:
            outcomes[enrolment.cohort.id][enrolment.status] += 1
    before = {"status": CohortStatus.RUNNING.value}
    world.writer.insert(
        AuditEvent.__table__,
        [
            audit_row(
                world,
                when,
                cohort.trainer_ids[0],
                "cohort.closed",
                "Cohort",
                cohort.id,
                before=before,
                after={
                    "status": CohortStatus.CLOSED.value,
                    **outcomes[cohort.id],
                    "changed": sum(outcomes[cohort.id].values()),
                },
            )
            for cohort in world.cohorts
            if (when := closed_at.get(cohort.id))
        ],
    )
    return closed_at


# --- when learners could act ----------------------------------------------------------------


def _held(cohort: CohortRow):
    return [session for session in cohort.sessions if not session.cancelled]


def _span(
    world: World, cohort: CohortRow, closed_at: dict[int, datetime], opens_after: int | None
) -> tuple[datetime, datetime] | None:
    """From when to when the cohort's learners took an assessment: from when it opened
    (once the course started) until the cohort closed, or until now; None if never."""
    if cohort.status not in (CohortStatus.CLOSED, CohortStatus.RUNNING):
        return None
    held = _held(cohort)
    if not held or (opens_after and opens_after > len(held)):
        return None
    first = held[opens_after - 1].ends_at if opens_after else held[0].starts_at
    last = closed_at.get(cohort.id, world.now) - timedelta(hours=1)
    return (first, last) if first < last else None


def _due(cohort: CohortRow, days: int) -> datetime | None:
    """`schedule.window`'s due date: the end of the UK day `days` after the last session."""
    held = _held(cohort)
    if not held:
        return None
    day = to_local(held[-1].ends_at + timedelta(days=days)).date()
    return datetime.combine(day, time(23, 59, 59), tzinfo=LONDON).astimezone(
        held[-1].ends_at.tzinfo
    )


def _slots(world: World, span: tuple[datetime, datetime], count: int) -> tuple[list, timedelta]:
    """`count` moments in order, one in the first half of each equal slot of the span,
    and the slot's length (what each may take before the next)."""
    first, last = span
    slot = (last - first) / count
    return [first + slot * (i + world.rng.uniform(0, 0.5)) for i in range(count)], slot


class Batches:
    """Rows of several tables written in chunks, parents before children."""

    def __init__(self, world: World, *tables):
        self.world = world
        self.tables = tables
        self.rows: dict[str, list[dict]] = {table.name: [] for table in tables}

    def add(self, table, row: dict) -> None:
        self.rows[table.name].append(row)
        if len(self.rows[table.name]) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        for table in self.tables:
            self.world.writer.insert(table, self.rows[table.name])
            self.rows[table.name] = []


# --- attempts --------------------------------------------------------------------------------


def _attempts(world, quizzes: dict[int, Quiz], by_cohort, closed_at) -> None:
    batches = Batches(world, Attempt.__table__, AttemptQuestion.__table__, AuditEvent.__table__)
    demo = world.demo[LEARNER]
    for cohort in world.cohorts:
        quiz = quizzes.get(cohort.course.id)
        if quiz is None:
            continue
        span = _span(world, cohort, closed_at, quiz.opens_after_session)
        if span is None:
            continue
        for enrolment in by_cohort.get(cohort.id, ()):
            demo_place = cohort is world.todays_cohort and enrolment.learner_id == demo
            outcomes, in_progress = _attempt_plan(world, quiz, enrolment, demo=demo_place)
            if not outcomes and not in_progress:
                continue
            starts, slot = _slots(world, span, len(outcomes) + in_progress)
            for number, (started, passed) in enumerate(zip(starts, outcomes, strict=False), 1):
                _attempt(world, batches, quiz, enrolment, number, started, slot, passed)
            if in_progress:
                started = starts[-1]
                if quiz.time_limit:  # started just before now: its time is not up
                    started = world.now - timedelta(minutes=world.rng.randint(1, quiz.time_limit))
                _attempt(world, batches, quiz, enrolment, len(starts), started, slot, None)
    batches.flush()


def _attempt_plan(world, quiz: Quiz, enrolment: EnrolmentRow, *, demo: bool):
    """Whether each submitted attempt passed, in order, and whether one more is in
    progress. A learner who completed passed a required quiz at the last attempt."""
    rng = world.rng
    allowed = quiz.attempts_allowed or 3
    if demo:
        return [False, True], False
    roll = rng.random()
    if enrolment.status == Status.COMPLETED:
        if not quiz.required and roll < 0.2:
            return [], False
        fails = min(rng.choices((0, 1, 2), weights=(70, 22, 8))[0], allowed - 1)
        return [*[False] * fails, True], False
    if enrolment.status == Status.NOT_COMPLETED:
        if roll < 0.4:
            return [], False
        return ([False] * rng.randint(1, allowed), False) if roll < 0.75 else ([True], False)
    if roll < 0.35:  # confirmed, on a running cohort
        return [], False
    if roll < 0.65:
        return [True], False
    if roll < 0.8:
        return ([False, True] if allowed > 1 else [True]), False
    if roll < 0.92:
        return [False], False
    return [False] * rng.randint(0, allowed - 1), True


def _attempt(world, batches, quiz, enrolment, number, started, slot, passed: bool | None):
    """One attempt and its questions; `passed` None: still in progress."""
    rng = world.rng
    (id_,) = world.writer.ids(Attempt.__table__, 1)
    versions = [family.at(started) for family in quiz.fixed]
    versions += [family.at(started) for family in rng.sample(quiz.pool, DRAW)]
    if quiz.shuffle_questions:
        rng.shuffle(versions)
    orders = []
    for version in versions:
        order = list(version.options)
        if quiz.shuffle_options and version.type != QuestionType.TRUE_FALSE:
            rng.shuffle(order)
        orders.append(order)
    if passed is None:
        chosen = [
            _answer(rng, v, rng.random() < 0.8) if rng.random() < 0.5 else [] for v in versions
        ]
        points = [None] * len(versions)
    else:
        chosen, points = _marked_answers(rng, quiz, versions, passed)
    deadline = started + timedelta(minutes=quiz.time_limit) if quiz.time_limit else None
    row = {
        "id": id_,
        "assessment_id": quiz.id,
        "enrolment_id": enrolment.id,
        "number": number,
        "started_at": started,
        "deadline_at": deadline,
        "submitted_at": None,
        "timed_out": False,
        "score": None,
        "max_score": None,
        "percent": None,
        "passed": None,
        "pass_mark_percent": quiz.pass_mark,
    }
    if passed is not None:
        _submit(world, batches, quiz, row, enrolment, versions, points, slot)
    batches.add(Attempt.__table__, row)  # before its questions: a chunk may be written next
    question_ids = world.writer.ids(AttemptQuestion.__table__, len(versions))
    for position, (aq_id, version, order, picked, awarded) in enumerate(
        zip(question_ids, versions, orders, chosen, points, strict=True), 1
    ):
        batches.add(
            AttemptQuestion.__table__,
            {
                "id": aq_id,
                "attempt_id": id_,
                "question_id": version.id,
                "position": position,
                "option_order": order,
                "selected": [option for option in order if option in picked],
                "points_awarded": awarded,
            },
        )


def _submit(world, batches, quiz, row, enrolment, versions, points, slot) -> None:
    """Marks the attempt as `attempts.submit_attempt` does, with its audit event."""
    rng = world.rng
    started, deadline = row["started_at"], row["deadline_at"]
    longest = min(quiz.time_limit or 40, slot.total_seconds() * 0.45 / 60)
    row["submitted_at"] = started + timedelta(minutes=rng.uniform(min(4, longest), longest))
    if deadline and deadline - started < slot * 0.45 and rng.random() < 0.05:
        row.update(submitted_at=deadline, timed_out=True)
    score = sum(points, Decimal(0))
    max_score = Decimal(sum(version.points for version in versions))
    percent = marking.percent_of(score, max_score)
    row.update(
        score=score,
        max_score=max_score,
        percent=percent,
        passed=marking.has_passed(percent, quiz.pass_mark),
    )
    after = {
        "assessment_id": quiz.id,
        "enrolment_id": enrolment.id,
        "number": row["number"],
        "score": str(score),
        "max_score": str(max_score),
        "percent": str(percent),
        "passed": row["passed"],
        "timed_out": row["timed_out"],
    }
    actor = None if row["timed_out"] else enrolment.learner_id  # time up: the tick finished it
    event = audit_row(
        world, row["submitted_at"], actor, "attempt.submitted", "Attempt", row["id"], after=after
    )
    batches.add(AuditEvent.__table__, event)


def _answer(rng, version: Version, right: bool) -> list[int]:
    """The options a learner chose: the right ones, or a plausible wrong answer."""
    if right:
        return list(version.correct)
    if rng.random() < 0.05:
        return []  # left blank
    wrong = [option for option in version.options if option not in version.correct]
    if version.type != QuestionType.MULTIPLE:
        return [rng.choice(wrong)]
    if len(version.correct) > 1 and (not wrong or rng.random() < 0.6):
        missed = rng.choice(version.correct)
        return [option for option in version.correct if option != missed]
    return [*version.correct, rng.choice(wrong)]


def _marked_answers(rng, quiz: Quiz, versions: list[Version], passed: bool):
    """Answers that pass (or fail) the quiz as wanted, and the points each earns."""
    right = [rng.random() < (0.93 if passed else 0.5) for _ in versions]
    most = sum(version.points for version in versions)

    def passes() -> bool:
        score = sum(v.points for v, r in zip(versions, right, strict=True) if r)
        return marking.has_passed(marking.percent_of(Decimal(score), Decimal(most)), quiz.pass_mark)

    flips = list(range(len(versions)))
    rng.shuffle(flips)
    for index in flips:
        if passes() == passed:
            break
        right[index] = passed
    chosen = [_answer(rng, version, r) for version, r in zip(versions, right, strict=True)]
    points = [
        marking.points_for(version.type, version.correct, picked, version.points)
        for version, picked in zip(versions, chosen, strict=True)
    ]
    return chosen, points


# --- submissions -----------------------------------------------------------------------------

SUBMITTED = SubmissionStatus.SUBMITTED
PASSED = SubmissionStatus.PASSED
REFERRED = SubmissionStatus.REFERRED


def _submissions(world, assignments: dict[int, Assignment], by_cohort, closed_at) -> None:
    batches = Batches(world, Submission.__table__, SubmissionFile.__table__, AuditEvent.__table__)
    demo = world.demo[LEARNER]
    for cohort in world.cohorts:
        assignment = assignments.get(cohort.course.id)
        if assignment is None:
            continue
        span = _span(world, cohort, closed_at, None)
        if span is None:
            continue
        due = _due(cohort, assignment.due_days)
        for enrolment in by_cohort.get(cohort.id, ()):
            demo_place = cohort is world.todays_cohort and enrolment.learner_id == demo
            plan = _submission_plan(world, enrolment, demo=demo_place)
            if not plan:
                continue
            marks = sum(status != SUBMITTED for status in plan)
            moments, _ = _slots(world, _sending(world, span, due), len(plan) + marks)
            moments.reverse()  # popped in order
            earlier = None
            for number, status in enumerate(plan, 1):
                sent = moments.pop()
                marked = moments.pop() if status != SUBMITTED else None
                file = (demo_place and number == len(plan)) or world.rng.random() < 0.3
                earlier = _submission(
                    world, batches, assignment, cohort, enrolment, number, status, sent, marked,
                    late_after=(earlier["resubmit_by"] if earlier else due), with_file=file,
                )  # fmt: skip
    batches.flush()


def _sending(world, span: tuple[datetime, datetime], due: datetime | None):
    """When a learner sent and was marked: one in ten sent after the due date when the
    cohort ran on past it (late), the rest any time."""
    last = span[1]
    if due is not None and due + timedelta(hours=2) < last and world.rng.random() < 0.1:
        return due + timedelta(minutes=1), last
    return span


def _submission_plan(world, enrolment: EnrolmentRow, *, demo: bool) -> list[SubmissionStatus]:
    """The marks of the learner's submissions in order (the last may wait to be marked).
    A learner who completed passed the (required) assignment."""
    if demo:
        return [REFERRED, SUBMITTED]
    rng = world.rng
    if enrolment.status == Status.COMPLETED:
        return rng.choices(([PASSED], [REFERRED, PASSED]), weights=(80, 20))[0]
    if enrolment.status == Status.NOT_COMPLETED:
        return rng.choices(([], [REFERRED], [PASSED]), weights=(45, 35, 20))[0]
    plans = ([], [SUBMITTED], [PASSED], [REFERRED], [REFERRED, SUBMITTED], [REFERRED, PASSED])
    return rng.choices(plans, weights=(35, 30, 15, 8, 8, 4))[0]


def _submission(
    world,
    batches,
    assignment,
    cohort,
    enrolment,
    number,
    status,
    sent,
    marked,
    *,
    late_after,
    with_file,
) -> dict:
    """One submission, its file and its audit events (sent; marked, or marked and then
    the mark changed); returns its row."""
    rng = world.rng
    (id_,) = world.writer.ids(Submission.__table__, 1)
    code = cohort.code
    text = (
        "My account is attached."
        if with_file and rng.random() < 0.5
        else (
            f"On {code} I used what we covered on a project in my service. We mapped the "
            "current process with the team, agreed a measure for the benefit with the "
            "sponsor, and tested one change at a time. The first test did not work as we "
            "hoped, and we learned more from it than from the second. Next time I would "
            "involve patients from the start."
        )
    )
    marker = rng.choice(cohort.trainer_ids) if marked else None
    resubmit_by = resubmit_deadline(marked, RESUBMIT_DAYS) if status == REFERRED else None
    row = {
        "id": id_,
        "assessment_id": assignment.id,
        "enrolment_id": enrolment.id,
        "number": number,
        "text": text,
        "submitted_at": sent,
        "late": late_after is not None and sent > late_after,
        "status": status,
        "feedback": {PASSED: PASSED_FEEDBACK, REFERRED: REFERRED_FEEDBACK}.get(status),
        "marked_by_id": marker,
        "marked_at": marked,
        "resubmit_by": resubmit_by,
        "created_at": sent,
        "updated_at": marked or sent,
    }
    batches.add(Submission.__table__, row)
    file = None
    if with_file:
        content = (
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
            + f"% Reflective account, {code}, submission {id_}\n".encode()
            + b"trailer << /Root 1 0 R >>\n%%EOF\n"
        )
        file = {
            "filename": "reflective-account.pdf",
            "size": len(content),
            "sha256": hashlib.sha256(content).hexdigest(),
        }
        (file_id,) = world.writer.ids(SubmissionFile.__table__, 1)
        batches.add(
            SubmissionFile.__table__,
            file
            | {
                "id": file_id,
                "submission_id": id_,
                "media_type": "application/pdf",
                "stored_name": None,
                "content": content,
            },
        )
    created = {
        "assessment_id": assignment.id,
        "enrolment_id": enrolment.id,
        "number": number,
        "late": row["late"],
        "characters": len(text),
        "file": file,
    }
    learner = enrolment.learner_id
    for event in (
        audit_row(world, sent, learner, "submission.created", "Submission", id_, after=created),
        *_mark_events(world, row),
    ):
        batches.add(AuditEvent.__table__, event)
    return row


def _mark_events(world, row: dict) -> Iterator[dict]:
    """`submissions.mark_submission`'s events: marked, and one mark in fifty passed on
    second thoughts after first referring it."""
    if row["marked_at"] is None:
        return
    marker, when, id_ = row["marked_by_id"], row["marked_at"], row["id"]
    before = {"status": SUBMITTED.value, "feedback": None, "resubmit_by": None}
    after = _mark_of(row)
    if row["status"] == PASSED and world.rng.random() < 0.02:
        first = row["submitted_at"] + (when - row["submitted_at"]) / 2
        referred = {
            "status": REFERRED.value,
            "feedback": REFERRED_FEEDBACK,
            "resubmit_by": resubmit_deadline(first, RESUBMIT_DAYS).isoformat(),
        }
        yield audit_row(
            world, first, marker, "submission.marked", "Submission", id_, before=before,
            after=referred,
        )  # fmt: skip
        yield audit_row(
            world, when, marker, "submission.mark_changed", "Submission", id_, before=referred,
            after=after,
        )  # fmt: skip
        return
    yield audit_row(
        world, when, marker, "submission.marked", "Submission", id_, before=before, after=after
    )


def _mark_of(row: dict) -> dict:
    resubmit_by = row["resubmit_by"]
    return {
        "status": row["status"].value,
        "feedback": row["feedback"],
        "resubmit_by": resubmit_by.isoformat() if resubmit_by else None,
    }
