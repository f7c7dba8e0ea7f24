"""The questions of the reaction survey: which a course asks, and editing them.

A course asks its own questions (`CourseEvaluation.own_questions`) or the defaults, the
questions with no course. The defaults live in code (DEFAULT_QUESTIONS) until they are
first needed by something that writes (an answer, an admin's change, an invitation):
then they are stored, once. Until then pages read them from code, so that a page (a GET,
which never writes) can show them.

Every question a page shows has a `key`: "q<id>" for a stored question, "d<position>"
for a default not stored yet. Forms carry keys, and `find` turns a key back into a stored
question, storing the defaults if need be.

A question that has been answered is never rewritten: changing its words or kind retires
it (`retired_at`) and adds a new version in its place (`version` + 1, `replaces_id`), so
each answer keeps the words it answered. A question nobody has answered yet is simply
rewritten, or deleted when it is removed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, false, func, select, update

from courses.models import Course
from lms.audit import audit
from lms.auth.models import User
from lms.core.db import utcnow
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.impact.models import CourseEvaluation, QuestionKind, ReactionAnswer, ReactionQuestion

TEXT_LENGTH = 300  # ReactionQuestion.text
MOST_QUESTIONS = 20  # a short survey

DEFAULT_QUESTIONS: tuple[tuple[QuestionKind, str], ...] = (
    (QuestionKind.SCALE, "The course met its stated learning outcomes"),
    (QuestionKind.SCALE, "The trainer explained things clearly"),
    (QuestionKind.SCALE, "The activities and materials helped me learn"),
    (QuestionKind.SCALE, "I can apply what I learned in my role"),
    (QuestionKind.SCALE, "I would recommend this course to a colleague"),
    (QuestionKind.TEXT, "What one thing would improve this course?"),
)

# Held for the length of a transaction by whoever changes one set of questions (the
# defaults, or one course's): two admins, or two first answers storing the defaults, wait
# for each other instead of writing the same positions or defaults twice.
_LOCK_KEY = 0x4C4D5345  # "LMSE"
_KEY = re.compile(r"([qd])([0-9]{1,9})")


class QuestionError(DomainError):
    """A change to the questions was refused."""


class QuestionsRefused(QuestionError):
    """Refused for one or more fields; `problems` says what is wrong with each."""

    def __init__(self, problems: list[DomainError]):
        super().__init__(problems[0].message)
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """A course's evaluation settings, as stored or as a course without a row has them."""

    anonymous: bool = True
    own_questions: bool = False


# --- reading -------------------------------------------------------------------------------


def settings_of(course_id: int) -> Settings:
    """The course's settings: anonymous to trainers and the default questions, unless
    an admin has changed them."""
    row = db.session.get(CourseEvaluation, course_id)
    if row is None:
        return Settings()
    return Settings(anonymous=row.anonymous, own_questions=row.own_questions)


def key(question: ReactionQuestion) -> str:
    """What forms call the question: its id once stored, else its place among the
    defaults."""
    return f"q{question.id}" if question.id is not None else f"d{question.position}"


def _in_set(course_id: int | None):
    if course_id is None:
        return ReactionQuestion.course_id.is_(None)
    return ReactionQuestion.course_id == course_id


def _active(course_id: int | None) -> list[ReactionQuestion]:
    return list(
        db.session.scalars(
            select(ReactionQuestion)
            .where(_in_set(course_id), ReactionQuestion.retired_at.is_(None))
            .order_by(ReactionQuestion.position, ReactionQuestion.id)
        )
    )


def _defaults_stored() -> bool:
    return db.session.scalar(select(exists().where(ReactionQuestion.course_id.is_(None))))


def _defaults_from_code() -> list[ReactionQuestion]:
    """The defaults as DEFAULT_QUESTIONS has them: rows not in the session, with no id."""
    return [
        ReactionQuestion(course_id=None, position=position, kind=kind, text=text, version=1)
        for position, (kind, text) in enumerate(DEFAULT_QUESTIONS)
    ]


def default_questions() -> list[ReactionQuestion]:
    """The default questions now asked, in order (from code until they are stored)."""
    found = _active(None)
    if found or _defaults_stored():
        return found
    return _defaults_from_code()


def course_questions(course_id: int) -> list[ReactionQuestion]:
    """The course's own questions now asked, in order (asked only while the course is
    set to its own questions)."""
    return _active(course_id)


def asked(course: Course, settings: Settings | None = None) -> list[ReactionQuestion]:
    """The questions the course's survey asks now, in order."""
    settings = settings or settings_of(course.id)
    return course_questions(course.id) if settings.own_questions else default_questions()


def has_answers(question_id: int) -> bool:
    return db.session.scalar(select(exists().where(ReactionAnswer.question_id == question_id)))


def ensure_defaults() -> None:
    """Stores the default questions from DEFAULT_QUESTIONS unless they are stored already
    (even if an admin has since retired every one of them)."""
    if _defaults_stored():
        return
    _lock(None)
    if _defaults_stored():  # stored by someone else while we waited
        return
    db.session.add_all(_defaults_from_code())
    db.session.flush()


def stored(questions: Sequence[ReactionQuestion]) -> list[ReactionQuestion]:
    """The same questions, stored: a default still read from code becomes the stored
    default at its position (stored now if need be). A question no longer asked is None."""
    ids = [question.id for question in questions if question.id is not None]
    still_asked = set(
        db.session.scalars(
            select(ReactionQuestion.id).where(
                ReactionQuestion.id.in_(ids), ReactionQuestion.retired_at.is_(None)
            )
        )
        if ids
        else ()
    )
    by_position = {}
    if len(ids) < len(questions):
        ensure_defaults()
        by_position = {question.position: question for question in _active(None)}
    return [
        (question if question.id in still_asked else None)
        if question.id is not None
        else by_position.get(question.position)
        for question in questions
    ]


def find(question_key: str, course_id: int | None) -> ReactionQuestion | None:
    """The question of the set (a course's, or None: the defaults) that `question_key`
    names, stored; None if there is no such question there, or it has been retired."""
    match = _KEY.fullmatch(question_key or "")
    if match is None:
        return None
    kind, number = match[1], int(match[2])
    if kind == "d":
        if course_id is not None:
            return None
        ensure_defaults()
        return next((q for q in _active(None) if q.position == number), None)
    question = db.session.get(ReactionQuestion, number)
    if question is None or question.retired_at is not None or question.course_id != course_id:
        return None
    return question


# --- changing ------------------------------------------------------------------------------


def _lock(course_id: int | None) -> None:
    """Holds this set of questions until the transaction ends (see _LOCK_KEY): an advisory
    lock on PostgreSQL; on SQLite, whose first write takes the database's write lock, a
    write that changes nothing."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(_LOCK_KEY, course_id or 0)))
        return
    db.session.execute(
        update(ReactionQuestion)
        .where(false())
        .values(position=ReactionQuestion.position)
        .execution_options(synchronize_session=False)
    )


def _checked(kind: QuestionKind | str | None, text: str | None) -> tuple[QuestionKind, str]:
    problems = []
    try:
        kind = QuestionKind(kind)
    except ValueError:
        problems.append(QuestionError("Choose the kind of question", field="kind"))
    text = " ".join((text or "").split())
    if not text:
        problems.append(QuestionError("Enter the question", field="text"))
    elif len(text) > TEXT_LENGTH:
        problems.append(
            QuestionError(f"Enter the question in {TEXT_LENGTH} characters or fewer", field="text")
        )
    if problems:
        raise QuestionsRefused(problems)
    return kind, text


def _snapshot(question: ReactionQuestion) -> dict:
    return {
        "course_id": question.course_id,
        "kind": question.kind.value,
        "text": question.text,
        "version": question.version,
        "position": question.position,
    }


def add_question(
    course_id: int | None, kind: QuestionKind | str | None, text: str | None, *, by: User
) -> ReactionQuestion:
    """Adds a question at the end of a set (a course's own, or the defaults)."""
    kind, text = _checked(kind, text)
    if course_id is None:
        ensure_defaults()
    _lock(course_id)
    current = _active(course_id)
    if len(current) >= MOST_QUESTIONS:
        raise QuestionError(
            f"A survey asks {MOST_QUESTIONS} questions at most. Remove one before adding another",
            field="text",
        )
    question = ReactionQuestion(
        course_id=course_id,
        position=max((q.position for q in current), default=-1) + 1,
        kind=kind,
        text=text,
        version=1,
    )
    db.session.add(question)
    db.session.flush()
    audit.record(by, "evaluation.question_added", question, None, _snapshot(question))
    return question


def change_question(
    question: ReactionQuestion,
    kind: QuestionKind | str | None,
    text: str | None,
    *,
    by: User,
    now: datetime | None = None,
) -> ReactionQuestion:
    """Changes a question's words or kind: in place if nobody has answered it; otherwise
    it is retired, with its answers, and a new version takes its place. Returns the
    question now asked."""
    kind, text = _checked(kind, text)
    _lock(question.course_id)
    db.session.refresh(question)
    if question.retired_at is not None:
        raise QuestionError("This question has been retired, so it cannot be changed")
    if (question.kind, question.text) == (kind, text):
        return question
    before = _snapshot(question)
    if not has_answers(question.id):
        question.kind = kind
        question.text = text
        db.session.flush()
        audit.record(by, "evaluation.question_changed", question, before, _snapshot(question))
        return question
    question.retired_at = now or utcnow()
    replacement = ReactionQuestion(
        course_id=question.course_id,
        position=question.position,
        kind=kind,
        text=text,
        version=question.version + 1,
        replaces_id=question.id,
    )
    db.session.add(replacement)
    db.session.flush()
    audit.record(
        by,
        "evaluation.question_versioned",
        replacement,
        before,
        {**_snapshot(replacement), "replaces_id": question.id},
    )
    return replacement


def _last_stored_default(question: ReactionQuestion) -> bool:
    """Deleting it would leave no default stored, and the defaults would come back from
    code: so the last one is retired instead."""
    if question.course_id is not None:
        return False
    others = select(ReactionQuestion.id).where(
        ReactionQuestion.course_id.is_(None), ReactionQuestion.id != question.id
    )
    return not db.session.scalar(select(others.exists()))


def remove_question(question: ReactionQuestion, *, by: User, now: datetime | None = None) -> bool:
    """Stops asking a question: an answered one is retired (its answers stay in the
    results); one nobody has answered is deleted (but for the last default stored, which
    is retired, so that the defaults do not come back from code). Returns True if it was
    retired."""
    _lock(question.course_id)
    db.session.refresh(question)
    if question.retired_at is not None:
        raise QuestionError("This question has been retired already")
    before = _snapshot(question)
    if has_answers(question.id) or _last_stored_default(question):
        question.retired_at = now or utcnow()
        db.session.flush()
        audit.record(by, "evaluation.question_retired", question, before, None)
        return True
    audit.record(by, "evaluation.question_removed", question, before, None)
    db.session.delete(question)
    db.session.flush()
    return False


def move_question(question: ReactionQuestion, up: bool, *, by: User) -> None:
    """Moves a question one place up or down its set; at either end nothing moves. The
    set is numbered again from 0, so positions stay distinct."""
    _lock(question.course_id)
    current = _active(question.course_id)
    ids = [q.id for q in current]
    if question.id not in ids:
        raise QuestionError("This question has been retired, so it cannot be moved")
    index = ids.index(question.id)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(current):
        return
    current[index], current[other] = current[other], current[index]
    for position, each in enumerate(current):
        each.position = position
    db.session.flush()
    audit.record(
        by,
        "evaluation.question_moved",
        question,
        {"position": index},
        {"position": other},
    )


# --- a course's settings -------------------------------------------------------------------


def _settings_row(course: Course) -> CourseEvaluation:
    row = db.session.get(CourseEvaluation, course.id)
    if row is None:
        row = CourseEvaluation(course_id=course.id, anonymous=True, own_questions=False)
        db.session.add(row)
    return row


def change_settings(course: Course, *, anonymous: bool, own_questions: bool, by: User) -> None:
    """Sets whether trainers see who answered the survey, and whether the course asks its
    own questions. A course first given its own questions starts with a copy of the
    defaults as they are now."""
    _lock(course.id)
    row = _settings_row(course)
    before = {"anonymous": row.anonymous, "own_questions": row.own_questions}
    row.anonymous = anonymous
    row.own_questions = own_questions
    if own_questions and not before["own_questions"] and not course_questions(course.id):
        ensure_defaults()
        for question in _active(None):
            db.session.add(
                ReactionQuestion(
                    course_id=course.id,
                    position=question.position,
                    kind=question.kind,
                    text=question.text,
                    version=1,
                )
            )
    db.session.flush()
    audit.record_changes(
        by,
        "course.evaluation_settings_changed",
        course,
        before,
        {"anonymous": anonymous, "own_questions": own_questions},
    )
