"""A course's question bank: writing, changing and retiring questions, with versions.

A question that any attempt has used is never changed: `update_question` writes a new
version (a new row of the same family), retires the old one and moves every quiz that
asked the old version on to the new one, so a submitted attempt keeps the wording,
options and score it was marked against. A question no attempt has used is edited in
place.

Retiring takes a question out of the bank. It is refused while a quiz asks it (remove it
from those quizzes first), so retiring never changes a quiz behind its author's back;
it is also refused when a quiz's "draw N from this category" would be left without
enough questions. Attempts that used it keep it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import selectinload

from courses.assessments.models import (
    Assessment,
    AttemptQuestion,
    Question,
    QuestionOption,
    QuestionType,
    QuizItem,
)
from courses.models import Course
from lms.audit import audit
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.web.forms import one_line, plain_text

OPTION_ROWS = 6  # the option rows the question form offers
TEXT_LENGTH = 5_000
OPTION_LENGTH = 500
CATEGORY_LENGTH = 100
FEEDBACK_LENGTH = 5_000
MOST_POINTS = 100


class QuestionError(DomainError):
    pass


@dataclass
class QuestionDetails:
    """A question as its author wrote it.

    `options` are (text, correct, feedback) in order; a row whose text, tick and feedback
    are all empty is ignored, so a form's blank rows can be passed as they are and a
    message still names the row it is about (`option_3_text`). A true or false question
    ignores `options`: its options are always "True" and "False", and `true_is_correct`
    says which is right.
    """

    type: QuestionType
    text: str
    points: int = 1
    category: str = ""
    feedback: str = ""
    options: list[tuple[str, bool, str]] = field(default_factory=list)
    true_is_correct: bool | None = None


# --- reading -----------------------------------------------------------------------------


def bank_questions(course: Course, category: str | None = None):
    """The course's current questions (not retired), by category then age, with their
    options; the caller paginates."""
    query = (
        select(Question)
        .where(Question.course_id == course.id, Question.retired.is_(False))
        .options(selectinload(Question.options))
        .order_by(Question.category, Question.id)
    )
    if category is not None:
        query = query.where(Question.category == category)
    return query


def bank_categories(course: Course) -> list[tuple[str, int]]:
    """Each named category of the course's current questions, with how many it holds."""
    rows = db.session.execute(
        select(Question.category, func.count())
        .where(
            Question.course_id == course.id,
            Question.retired.is_(False),
            Question.category != "",
        )
        .group_by(Question.category)
        .order_by(Question.category)
    )
    return [(category, count) for category, count in rows]


def quiz_counts(question_ids: list[int]) -> dict[int, int]:
    """How many quizzes (archived or not) ask each of these questions: one query."""
    if not question_ids:
        return {}
    rows = db.session.execute(
        select(QuizItem.question_id, func.count(func.distinct(QuizItem.assessment_id)))
        .where(QuizItem.question_id.in_(question_ids))
        .group_by(QuizItem.question_id)
    )
    return {question_id: count for question_id, count in rows}


def has_attempts(question: Question) -> bool:
    """Whether any attempt (in progress or submitted) has asked this version."""
    return bool(
        db.session.scalar(select(exists().where(AttemptQuestion.question_id == question.id)))
    )


def current_version(question: Question) -> Question | None:
    """The family's version in the bank now (None when the family is retired)."""
    return db.session.scalar(
        select(Question).where(
            Question.family_id == (question.family_id or question.id),
            Question.retired.is_(False),
        )
    )


# --- checking ------------------------------------------------------------------------------


def _options(details: QuestionDetails) -> list[QuestionOption]:
    if details.type == QuestionType.TRUE_FALSE:
        if details.true_is_correct is None:
            raise QuestionError(
                "Choose whether the correct answer is True or False", field="true_is_correct"
            )
        return [
            QuestionOption(text="True", correct=details.true_is_correct, position=0),
            QuestionOption(text="False", correct=not details.true_is_correct, position=1),
        ]
    options: list[QuestionOption] = []
    seen: set[str] = set()
    first_blank = None
    for row, (text, correct, feedback) in enumerate(details.options, start=1):
        text, feedback = one_line(text or ""), plain_text(feedback or "")
        if not text:
            if correct or feedback:
                raise QuestionError(f"Enter the text of option {row}", field=f"option_{row}_text")
            first_blank = first_blank or row
            continue
        if len(text) > OPTION_LENGTH:
            raise QuestionError(
                f"Option {row} must be {OPTION_LENGTH} characters or fewer",
                field=f"option_{row}_text",
            )
        if len(feedback) > FEEDBACK_LENGTH:
            raise QuestionError(
                f"The feedback for option {row} must be {FEEDBACK_LENGTH:,} characters or fewer",
                field=f"option_{row}_feedback",
            )
        if text.casefold() in seen:
            raise QuestionError(
                f"Option {row} is the same as another option. Give each option different text",
                field=f"option_{row}_text",
            )
        seen.add(text.casefold())
        options.append(
            QuestionOption(
                text=text, correct=bool(correct), feedback=feedback, position=len(options)
            )
        )
    if len(options) > OPTION_ROWS:
        raise QuestionError(
            f"A question can have up to {OPTION_ROWS} options", field="option_1_text"
        )
    if len(options) < 2:
        row = first_blank or min(len(details.options) + 1, OPTION_ROWS)
        raise QuestionError("Enter at least 2 options", field=f"option_{row}_text")
    correct = sum(1 for option in options if option.correct)
    if details.type == QuestionType.SINGLE and correct != 1:
        raise QuestionError(
            "Tick exactly one correct option for a single choice question",
            field="option_1_correct",
        )
    if details.type == QuestionType.MULTIPLE and correct < 1:
        raise QuestionError(
            "Tick at least one correct option for a multiple choice question",
            field="option_1_correct",
        )
    return options


@dataclass(frozen=True)
class _Clean:
    type: QuestionType
    text: str
    points: int
    category: str
    feedback: str
    options: list[QuestionOption]


def _clean(details: QuestionDetails) -> _Clean:
    try:
        kind = QuestionType(details.type)
    except ValueError:
        raise QuestionError("Choose the type of question", field="type") from None
    text = plain_text(details.text or "")
    if not text:
        raise QuestionError("Enter the question", field="text")
    if len(text) > TEXT_LENGTH:
        raise QuestionError(
            f"The question must be {TEXT_LENGTH:,} characters or fewer", field="text"
        )
    if details.points is None or not 1 <= details.points <= MOST_POINTS:
        raise QuestionError(
            f"Points must be a whole number from 1 to {MOST_POINTS}", field="points"
        )
    category = one_line(details.category or "")
    if len(category) > CATEGORY_LENGTH:
        raise QuestionError(
            f"Category must be {CATEGORY_LENGTH} characters or fewer", field="category"
        )
    feedback = plain_text(details.feedback or "")
    if len(feedback) > FEEDBACK_LENGTH:
        raise QuestionError(
            f"Feedback must be {FEEDBACK_LENGTH:,} characters or fewer", field="feedback"
        )
    details = QuestionDetails(
        type=kind,
        text=text,
        points=details.points,
        category=category,
        feedback=feedback,
        options=details.options,
        true_is_correct=details.true_is_correct,
    )
    return _Clean(kind, text, details.points, category, feedback, _options(details))


def _snapshot(question: Question) -> dict:
    return {
        "version": question.version,
        "type": question.type.value,
        "text": question.text,
        "points": question.points,
        "category": question.category,
        "feedback": question.feedback,
        "options": [
            {"text": option.text, "correct": option.correct, "feedback": option.feedback}
            for option in question.options
        ],
    }


def draw_shortfalls(course_id: int) -> list[str]:
    """What the course's quizzes (not archived) would fail to draw, as sentences: each
    quiz's draws from a category need that many current questions in it besides the
    ones the quiz asks anyway (an attempt never asks a question twice). Three queries."""
    draws = db.session.execute(
        select(Assessment.id, Assessment.title, QuizItem.draw_category, QuizItem.draw_count)
        .join(QuizItem, QuizItem.assessment_id == Assessment.id)
        .where(
            Assessment.course_id == course_id,
            Assessment.archived.is_(False),
            QuizItem.draw_category.is_not(None),
        )
    ).all()
    if not draws:
        return []
    wanted: dict[tuple[int, str], int] = defaultdict(int)
    titles: dict[int, str] = {}
    for quiz_id, title, category, count in draws:
        wanted[(quiz_id, category)] += count
        titles[quiz_id] = title
    categories = {category for _, category in wanted}
    pool = {
        category: count
        for category, count in db.session.execute(
            select(Question.category, func.count())
            .where(
                Question.course_id == course_id,
                Question.retired.is_(False),
                Question.category.in_(categories),
            )
            .group_by(Question.category)
        )
    }
    fixed = {
        (quiz_id, category): count
        for quiz_id, category, count in db.session.execute(
            select(QuizItem.assessment_id, Question.category, func.count())
            .join(Question, Question.id == QuizItem.question_id)
            .where(
                QuizItem.assessment_id.in_(titles.keys()),
                Question.category.in_(categories),
                Question.retired.is_(False),
            )
            .group_by(QuizItem.assessment_id, Question.category)
        )
    }
    problems = []
    for (quiz_id, category), count in sorted(wanted.items(), key=lambda row: titles[row[0][0]]):
        available = pool.get(category, 0) - fixed.get((quiz_id, category), 0)
        if count > available:
            problems.append(
                f"Quiz '{titles[quiz_id]}' draws {count} from '{category}', which would have "
                f"only {max(available, 0)} questions it can draw"
            )
    return problems


# --- changing ------------------------------------------------------------------------------


def create_question(course: Course, details: QuestionDetails, *, by: User) -> Question:
    """Adds a question to the course's bank as the first version of a new family."""
    clean = _clean(details)
    question = Question(
        course_id=course.id,
        version=1,
        type=clean.type,
        text=clean.text,
        points=clean.points,
        category=clean.category,
        feedback=clean.feedback,
        options=clean.options,
    )
    db.session.add(question)
    db.session.flush()
    question.family_id = question.id
    db.session.flush()
    audit.record(by, "question.created", question, None, _snapshot(question))
    return question


def update_question(question: Question, details: QuestionDetails, *, by: User) -> Question:
    """Saves the author's changes and returns the version now in the bank.

    A version that an attempt has asked is never changed: the changes become a new
    version (the same family, the next number), the old one is retired, and every quiz
    item that asked the old version asks the new one. Otherwise the question is changed
    in place and its options replaced.
    """
    if question.retired:
        raise QuestionError(
            "This version of the question has been replaced or retired, so it cannot be "
            "changed. Change the version in the bank instead"
        )
    clean = _clean(details)
    before = _snapshot(question)
    if has_attempts(question):
        changed = Question(
            course_id=question.course_id,
            family_id=question.family_id or question.id,
            version=question.version + 1,
            type=clean.type,
            text=clean.text,
            points=clean.points,
            category=clean.category,
            feedback=clean.feedback,
            options=clean.options,
        )
        question.retired = True
        db.session.add(changed)
        db.session.flush()
        db.session.execute(
            update(QuizItem)
            .where(QuizItem.question_id == question.id)
            .values(question_id=changed.id)
            .execution_options(synchronize_session="fetch")
        )
        # The whole of both versions, so the log shows what the new version replaced.
        audit.record(
            by,
            "question.updated",
            changed,
            {**before, "question_id": question.id},
            {**_snapshot(changed), "question_id": changed.id, "replaces_question_id": question.id},
        )
    else:
        changed = question
        question.type = clean.type
        question.text = clean.text
        question.points = clean.points
        question.category = clean.category
        question.feedback = clean.feedback
        question.options = clean.options
        db.session.flush()
        audit.record_changes(by, "question.updated", question, before, _snapshot(question))
    if clean.category != before["category"]:
        _refuse_shortfalls(question.course_id, field_name="category")
    return changed


def retire_question(question: Question, *, by: User) -> None:
    """Takes a question out of the bank; refused while a quiz asks it, or when a quiz
    would be left unable to draw from its category."""
    if question.retired:
        raise QuestionError("This question has already been taken out of the bank")
    titles = db.session.scalars(
        select(Assessment.title)
        .join(QuizItem, QuizItem.assessment_id == Assessment.id)
        .where(QuizItem.question_id == question.id)
        .order_by(Assessment.title)
        .distinct()
    ).all()
    if titles:
        named = ", ".join(f"'{title}'" for title in titles)
        raise QuestionError(
            f"This question is in {_quizzes(len(titles))}: {named}. "
            "Remove it from them first, then retire it"
        )
    question.retired = True
    db.session.flush()
    _refuse_shortfalls(question.course_id)
    audit.record(by, "question.retired", question, {"retired": False}, {"retired": True})


def _quizzes(count: int) -> str:
    return "1 quiz" if count == 1 else f"{count} quizzes"


def _refuse_shortfalls(course_id: int, field_name: str | None = None) -> None:
    problems = draw_shortfalls(course_id)
    if problems:
        raise QuestionError(problems[0] + ". Change that quiz's draw first", field=field_name)
