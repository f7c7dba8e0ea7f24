"""Building a course's assessments: a quiz's or assignment's settings, and a quiz's items.

Authors are admins and the course's trainers (`access.may_author`; the views check it).
An assessment belongs to a course; when it opens and falls due is set here as a rule
(a moment, or a session of each cohort) and worked out per cohort by `schedule.window`.
A quiz is a list of items: a question from the course's bank, or "draw N at random from
a bank category" when an attempt starts. Changing a quiz changes attempts started
afterwards only; an attempt keeps the questions it was given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, selectinload

from courses.assessments.bank import draw_shortfalls
from courses.assessments.models import Assessment, AssessmentKind, Question, QuizItem
from courses.models import Course
from lms.audit import audit
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.web.forms import one_line, plain_text

TITLE_LENGTH = 200
INSTRUCTIONS_LENGTH = 20_000
MOST_SESSIONS = 100
MOST_DAYS = 365
MOST_ATTEMPTS = 100
LONGEST_MINUTES = 600
MOST_ITEMS = 200


class AuthoringError(DomainError):
    pass


@dataclass
class AssessmentDetails:
    """An assessment's settings as its author chose them.

    It opens at `opens_at`, or after the cohort's session `opens_after_session`, or (with
    neither) as soon as a learner is confirmed; it is due at `due_at`, or
    `due_days_after_last_session` days after the cohort's last session, or never. The
    quiz settings are ignored for an assignment, whose `instructions` are its brief.
    """

    kind: AssessmentKind
    title: str
    instructions: str = ""
    required: bool = True
    opens_at: datetime | None = None
    opens_after_session: int | None = None
    due_at: datetime | None = None
    due_days_after_last_session: int | None = None
    pass_mark_percent: int = 80
    attempts_allowed: int | None = None  # None: unlimited
    time_limit_minutes: int | None = None
    shuffle_questions: bool = False
    shuffle_options: bool = False


# --- reading -----------------------------------------------------------------------------


def assessments_to_author(course: Course) -> list[Assessment]:
    """The course's assessments in their order, archived ones last."""
    return list(
        db.session.scalars(
            select(Assessment)
            .where(Assessment.course_id == course.id)
            .order_by(Assessment.archived, Assessment.position, Assessment.id)
        )
    )


def question_counts(assessment_ids: list[int]) -> dict[int, int]:
    """How many questions each quiz asks (its fixed questions and its draws): one query."""
    if not assessment_ids:
        return {}
    rows = db.session.execute(
        select(
            QuizItem.assessment_id,
            func.sum(case((QuizItem.question_id.is_not(None), 1), else_=QuizItem.draw_count)),
        )
        .where(QuizItem.assessment_id.in_(assessment_ids))
        .group_by(QuizItem.assessment_id)
    )
    return {assessment_id: int(total or 0) for assessment_id, total in rows}


def quiz_items(quiz: Assessment) -> list[QuizItem]:
    """The quiz's items in order, each with its question and the question's options."""
    return list(
        db.session.scalars(
            select(QuizItem)
            .where(QuizItem.assessment_id == quiz.id)
            .options(joinedload(QuizItem.question).selectinload(Question.options))
            .order_by(QuizItem.position, QuizItem.id)
        )
    )


def questions_to_add(quiz: Assessment, limit: int = 1_000):
    """The course's current bank questions that the quiz does not ask yet, by category."""
    asked = select(QuizItem.question_id).where(
        QuizItem.assessment_id == quiz.id, QuizItem.question_id.is_not(None)
    )
    return list(
        db.session.scalars(
            select(Question)
            .where(
                Question.course_id == quiz.course_id,
                Question.retired.is_(False),
                Question.id.not_in(asked),
            )
            .order_by(Question.category, Question.id)
            .limit(limit)
        )
    )


# --- checking ------------------------------------------------------------------------------


def _whole(value, low: int, high: int, message: str, field_name: str) -> None:
    if value is None or isinstance(value, bool) or not low <= value <= high:
        raise AuthoringError(message, field=field_name)


def _check(details: AssessmentDetails) -> AssessmentDetails:
    """The details tidied, or the first rule they break, beside its field."""
    kind = AssessmentKind(details.kind)
    title = one_line(details.title or "")
    if not title:
        raise AuthoringError("Enter a title", field="title")
    if len(title) > TITLE_LENGTH:
        raise AuthoringError(f"Title must be {TITLE_LENGTH} characters or fewer", field="title")
    instructions = plain_text(details.instructions or "")
    if kind == AssessmentKind.ASSIGNMENT and not instructions:
        raise AuthoringError("Enter the brief: what the learner must submit", field="instructions")
    if len(instructions) > INSTRUCTIONS_LENGTH:
        what = "The brief" if kind == AssessmentKind.ASSIGNMENT else "Instructions"
        raise AuthoringError(
            f"{what} must be {INSTRUCTIONS_LENGTH:,} characters or fewer", field="instructions"
        )
    if details.opens_at is not None and details.opens_after_session is not None:
        raise AuthoringError(
            "Choose a date or a session for it to open, not both", field="opens_after_session"
        )
    if details.opens_after_session is not None:
        _whole(
            details.opens_after_session,
            1,
            MOST_SESSIONS,
            f"Enter a session number from 1 to {MOST_SESSIONS}",
            "opens_after_session",
        )
    if details.due_at is not None and details.due_days_after_last_session is not None:
        raise AuthoringError(
            "Choose a due date or a number of days after the last session, not both",
            field="due_days_after_last_session",
        )
    if details.due_days_after_last_session is not None:
        _whole(
            details.due_days_after_last_session,
            0,
            MOST_DAYS,
            f"Enter a number of days from 0 to {MOST_DAYS}",
            "due_days_after_last_session",
        )
    for moment, name in ((details.opens_at, "opens_date"), (details.due_at, "due_date")):
        if moment is not None and moment.tzinfo is None:
            raise AuthoringError("Enter a date and time in UK time", field=name)
    if details.opens_at and details.due_at and details.due_at <= details.opens_at:
        raise AuthoringError("The due date must be after the date it opens", field="due_date")
    quiz = kind == AssessmentKind.QUIZ
    if quiz:
        _whole(
            details.pass_mark_percent,
            0,
            100,
            "Enter a pass mark from 0 to 100",
            "pass_mark_percent",
        )
        if details.attempts_allowed is not None:
            _whole(
                details.attempts_allowed,
                1,
                MOST_ATTEMPTS,
                f"Attempts allowed must be from 1 to {MOST_ATTEMPTS}, or empty for unlimited",
                "attempts_allowed",
            )
        if details.time_limit_minutes is not None:
            _whole(
                details.time_limit_minutes,
                1,
                LONGEST_MINUTES,
                f"Time limit must be from 1 to {LONGEST_MINUTES} minutes, or empty for none",
                "time_limit_minutes",
            )
    return AssessmentDetails(
        kind=kind,
        title=title,
        instructions=instructions,
        required=bool(details.required),
        opens_at=details.opens_at,
        opens_after_session=details.opens_after_session,
        due_at=details.due_at,
        due_days_after_last_session=details.due_days_after_last_session,
        pass_mark_percent=details.pass_mark_percent if quiz else 80,
        attempts_allowed=details.attempts_allowed if quiz else None,
        time_limit_minutes=details.time_limit_minutes if quiz else None,
        shuffle_questions=bool(details.shuffle_questions) if quiz else False,
        shuffle_options=bool(details.shuffle_options) if quiz else False,
    )


SETTINGS = (
    "title",
    "instructions",
    "required",
    "opens_at",
    "opens_after_session",
    "due_at",
    "due_days_after_last_session",
    "pass_mark_percent",
    "attempts_allowed",
    "time_limit_minutes",
    "shuffle_questions",
    "shuffle_options",
)


def _snapshot(assessment: Assessment) -> dict:
    return {
        "kind": assessment.kind.value,
        "archived": assessment.archived,
        **{name: getattr(assessment, name) for name in SETTINGS},
    }


def _item_snapshot(item: QuizItem) -> dict:
    if item.question_id is not None:
        return {"item_id": item.id, "question_id": item.question_id, "position": item.position}
    return {
        "item_id": item.id,
        "draw_category": item.draw_category,
        "draw_count": item.draw_count,
        "position": item.position,
    }


def _changeable(assessment: Assessment) -> None:
    if assessment.archived:
        raise AuthoringError("This assessment is archived, so it cannot be changed")


def _quiz(assessment: Assessment) -> None:
    _changeable(assessment)
    if not assessment.is_quiz:
        raise AuthoringError("Only a quiz has questions")


# --- assessments ---------------------------------------------------------------------------


def create_assessment(course: Course, details: AssessmentDetails, *, by: User) -> Assessment:
    """A new quiz or assignment of the course, placed after its others."""
    clean = _check(details)
    last = db.session.scalar(
        select(func.max(Assessment.position)).where(Assessment.course_id == course.id)
    )
    assessment = Assessment(
        course_id=course.id,
        kind=clean.kind,
        position=(last or 0) + 1,
        **{name: getattr(clean, name) for name in SETTINGS},
    )
    db.session.add(assessment)
    db.session.flush()
    audit.record(by, "assessment.created", assessment, None, _snapshot(assessment))
    return assessment


def update_assessment(assessment: Assessment, details: AssessmentDetails, *, by: User) -> None:
    """Changes an assessment's settings (not its kind). Attempts already started keep
    the pass mark they started with."""
    _changeable(assessment)
    if AssessmentKind(details.kind) != assessment.kind:
        raise AuthoringError("A quiz cannot become an assignment, or an assignment a quiz")
    clean = _check(details)
    before = _snapshot(assessment)
    for name in SETTINGS:
        setattr(assessment, name, getattr(clean, name))
    db.session.flush()
    audit.record_changes(by, "assessment.updated", assessment, before, _snapshot(assessment))


def archive_assessment(assessment: Assessment, *, by: User) -> None:
    """Stops setting an assessment: learners no longer see it and it no longer counts
    towards completion; its attempts, submissions and marks stay."""
    if assessment.archived:
        raise AuthoringError("This assessment is already archived")
    assessment.archived = True
    db.session.flush()
    audit.record(by, "assessment.archived", assessment, {"archived": False}, {"archived": True})


# --- a quiz's items ------------------------------------------------------------------------


def _items(quiz: Assessment) -> list[QuizItem]:
    return list(
        db.session.scalars(
            select(QuizItem)
            .where(QuizItem.assessment_id == quiz.id)
            .options(selectinload(QuizItem.question))
            .order_by(QuizItem.position, QuizItem.id)
        )
    )


def _append(quiz: Assessment, item: QuizItem, items: list[QuizItem]) -> QuizItem:
    if len(items) >= MOST_ITEMS:
        raise AuthoringError(f"A quiz can have up to {MOST_ITEMS} items")
    item.assessment_id = quiz.id
    item.position = max((each.position for each in items), default=-1) + 1
    db.session.add(item)
    db.session.flush()
    return item


def _refuse_shortfalls(quiz: Assessment, field_name: str) -> None:
    mine = f"Quiz '{quiz.title}' "
    for problem in draw_shortfalls(quiz.course_id):
        if problem.startswith(mine):
            raise AuthoringError(problem, field=field_name)


def add_question_item(quiz: Assessment, question: Question, *, by: User) -> QuizItem:
    """Adds a current question of the course's bank to the end of the quiz, once."""
    _quiz(quiz)
    if question.course_id != quiz.course_id or question.retired:
        raise AuthoringError("Choose a question from this course's bank", field="question_id")
    items = _items(quiz)
    family = question.family_id or question.id
    if any(
        item.question is not None and (item.question.family_id or item.question_id) == family
        for item in items
    ):
        raise AuthoringError("This quiz already asks that question", field="question_id")
    item = _append(quiz, QuizItem(question_id=question.id), items)
    _refuse_shortfalls(quiz, "question_id")
    audit.record(by, "quiz.item_added", quiz, None, _item_snapshot(item))
    return item


def add_draw_item(quiz: Assessment, category: str, count: int, *, by: User) -> QuizItem:
    """Adds "draw `count` questions at random from `category`" to the end of the quiz.
    The category must hold that many current questions besides those the quiz asks."""
    _quiz(quiz)
    category = one_line(category or "")
    if not category:
        raise AuthoringError("Choose a category to draw questions from", field="category")
    pool = db.session.scalar(
        select(func.count()).where(
            Question.course_id == quiz.course_id,
            Question.retired.is_(False),
            Question.category == category,
        )
    )
    if not pool:
        raise AuthoringError("Choose a category from this course's bank", field="category")
    if count is None or isinstance(count, bool) or count < 1:
        raise AuthoringError("Enter how many questions to draw, 1 or more", field="count")
    items = _items(quiz)
    if any(item.draw_category == category for item in items):
        raise AuthoringError(
            f"This quiz already draws from '{category}'. Remove that draw to change how many",
            field="category",
        )
    asked = sum(
        1
        for item in items
        if item.question is not None
        and item.question.category == category
        and not item.question.retired
    )
    available = pool - asked
    if available <= 0:
        raise AuthoringError(
            f"This quiz already asks every question in '{category}': add questions to the "
            "category, or choose another",
            field="count",
        )
    if count > available:
        besides = f" besides the {asked} this quiz asks anyway" if asked else ""
        raise AuthoringError(
            f"'{category}' has {available} question{'s' if available != 1 else ''} to draw "
            f"from{besides}. Enter {available} or fewer",
            field="count",
        )
    item = _append(quiz, QuizItem(draw_category=category, draw_count=count), items)
    audit.record(by, "quiz.item_added", quiz, None, _item_snapshot(item))
    return item


def _own_item(quiz: Assessment, item: QuizItem) -> None:
    if item.assessment_id != quiz.id:
        raise AuthoringError("That item is not part of this quiz")


def remove_item(quiz: Assessment, item: QuizItem, *, by: User) -> None:
    """Takes an item out of the quiz; the items after it move up."""
    _quiz(quiz)
    _own_item(quiz, item)
    before = _item_snapshot(item)
    db.session.delete(item)
    db.session.flush()
    for position, each in enumerate(_items(quiz)):
        each.position = position
    db.session.flush()
    audit.record(by, "quiz.item_removed", quiz, before, None)


def move_item(
    quiz: Assessment, item: QuizItem, direction: Literal["up", "down"], *, by: User
) -> None:
    """Swaps an item with the one above or below it (at either end, nothing moves)."""
    _quiz(quiz)
    _own_item(quiz, item)
    if direction not in ("up", "down"):
        raise AuthoringError("Choose up or down")
    items = _items(quiz)
    index = next(i for i, each in enumerate(items) if each.id == item.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(items):
        return
    items[index], items[other] = items[other], items[index]
    before = _item_snapshot(item)
    for position, each in enumerate(items):
        each.position = position
    db.session.flush()
    audit.record(by, "quiz.item_moved", quiz, before, _item_snapshot(item))
