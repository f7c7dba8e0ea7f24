"""Taking a quiz: starting (or resuming) an attempt, saving answers as the learner goes,
submitting, and finishing attempts whose time ran out.

The server decides everything: whether a learner may start (a confirmed place, the quiz
open for their cohort, an attempt left), which questions an attempt asks and in what
order, whether time is up (from the attempt's `deadline_at`, never from the browser),
and the marks (`marking.py`). Answers are refused whole: one that names a question not
in the attempt, an option not of its question, or two options for a one-answer question
changes nothing.

An attempt is submitted once. Submitting claims the attempt with a conditional UPDATE
(`... WHERE submitted_at IS NULL`), so two submissions racing each other mark it once and
the second is refused; saving answers takes the same row first, so a save cannot slip
in after a submission has marked the attempt.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, inspect, select, update
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from courses.assessments import marking
from courses.assessments.models import (
    Assessment,
    Attempt,
    AttemptQuestion,
    Question,
    QuestionType,
    QuizItem,
)
from courses.assessments.schedule import Window, window
from courses.models import Enrolment, EnrolmentStatus
from lms.audit import audit
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.locks import lock_rows
from lms.core.timezones import format_local

# --- refusals ------------------------------------------------------------------------------


class AttemptError(DomainError):
    """A rule of taking a quiz refused the action."""


class NotConfirmed(AttemptError):
    def __init__(self):
        super().__init__("You need a confirmed place on this course to take this quiz")


class QuizNotAvailable(AttemptError):
    def __init__(self):
        super().__init__("This quiz is no longer set")


class QuizNotOpen(AttemptError):
    def __init__(self, when: Window):
        super().__init__(f"This quiz is not open yet. {when.opens_words}")


class QuizHasNoQuestions(AttemptError):
    def __init__(self):
        super().__init__("This quiz has no questions yet. Ask your trainer")


class NoAttemptsLeft(AttemptError):
    def __init__(self, allowed: int):
        attempts = "attempt" if allowed == 1 else "attempts"
        super().__init__(f"You have used your {allowed} {attempts} at this quiz")


class BankTooSmall(AttemptError):
    def __init__(self, category: str, wanted: int, found: int):
        super().__init__(
            f"This quiz cannot start: it asks {wanted} questions from the '{category}' "
            f"questions, and there are only {found}. Tell your trainer"
        )


class AlreadySubmitted(AttemptError):
    def __init__(self):
        super().__init__("This attempt has already been submitted")


class TimeUp(AttemptError):
    def __init__(self, deadline: datetime):
        super().__init__(
            f"Time is up for this attempt: it ended at {format_local(deadline, '%H:%M')}. "
            "Answers sent after then are not saved"
        )


class PlaceNoLongerConfirmed(AttemptError):
    def __init__(self):
        super().__init__(
            "Your place on this course is no longer confirmed, so this attempt cannot change"
        )


class AnswerNotInAttempt(AttemptError):
    def __init__(self):
        super().__init__(
            "Your answers name a question that is not in this attempt. Nothing was saved. "
            "Reload the page and try again"
        )


def answer_field(question_id: int) -> str:
    """The name of a question's field on the attempt's page (attempt_forms.answers_form)."""
    return f"q_{question_id}"


class OptionNotOfQuestion(AttemptError):
    def __init__(self, aq: AttemptQuestion):
        super().__init__(
            f"Your answer to question {aq.position} is not one of its options. Nothing was "
            "saved. Reload the page and try again",
            field=answer_field(aq.question_id),
        )


class OneAnswerOnly(AttemptError):
    def __init__(self, aq: AttemptQuestion):
        super().__init__(
            f"Choose only one answer to question {aq.position}. Nothing was saved",
            field=answer_field(aq.question_id),
        )


# --- whether a learner may start ---------------------------------------------------------


@dataclass(frozen=True)
class QuizStanding:
    """Where a learner stands with a quiz: what the quiz page shows and whether it may
    offer "Start attempt" (`refusal` is None) or "Resume attempt" (`in_progress`)."""

    window: Window
    attempts_used: int
    attempts_allowed: int | None
    in_progress: Attempt | None
    refusal: AttemptError | None

    @property
    def attempts_left(self) -> int | None:
        if self.attempts_allowed is None:
            return None
        return max(self.attempts_allowed - self.attempts_used, 0)

    @property
    def may_start(self) -> bool:
        return self.in_progress is None and self.refusal is None


def standing(
    assessment: Assessment,
    enrolment: Enrolment,
    *,
    now: datetime,
    attempts_used: int,
    in_progress: Attempt | None,
    item_count: int,
) -> QuizStanding:
    """Whether the learner may start a new attempt now, and if not, why (the first rule
    that refuses). One place for the rule, used by the quiz page and `start_attempt`."""
    when = window(assessment, enrolment.cohort)
    refusal: AttemptError | None = None
    if enrolment.status != EnrolmentStatus.CONFIRMED:
        refusal = NotConfirmed()
    elif assessment.archived or not assessment.is_quiz:
        refusal = QuizNotAvailable()
    elif not when.is_open(now):
        refusal = QuizNotOpen(when)
    elif item_count == 0:
        refusal = QuizHasNoQuestions()
    elif assessment.attempts_allowed is not None and attempts_used >= assessment.attempts_allowed:
        refusal = NoAttemptsLeft(assessment.attempts_allowed)
    return QuizStanding(when, attempts_used, assessment.attempts_allowed, in_progress, refusal)


# Answers sent this soon after the deadline still count: the browser submits when its
# countdown ends, and the request takes a moment to arrive. They count as sent at the
# deadline.
GRACE = timedelta(seconds=30)


def is_time_up(attempt: Attempt, now: datetime) -> bool:
    """Whether answers sent now come too late (past the deadline and its grace)."""
    return attempt.deadline_at is not None and now > attempt.deadline_at + GRACE


def seconds_left(attempt: Attempt, now: datetime) -> int | None:
    """Whole seconds until the attempt's deadline (0 once passed); None without a limit."""
    if attempt.deadline_at is None:
        return None
    return max(int((attempt.deadline_at - now).total_seconds()), 0)


def _attempt_counts(assessment: Assessment, enrolment: Enrolment) -> tuple[int, Attempt | None]:
    """How many attempts the learner has started at the quiz (submitted or not), and the
    one in progress, if any, in one query."""
    attempts = list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.assessment_id == assessment.id, Attempt.enrolment_id == enrolment.id)
            .order_by(Attempt.number)
        )
    )
    in_progress = next((attempt for attempt in attempts if attempt.submitted_at is None), None)
    return len(attempts), in_progress


def quiz_standing(assessment: Assessment, enrolment: Enrolment, *, now: datetime) -> QuizStanding:
    """`standing` for the quiz page, read from the database in two queries."""
    used, in_progress = _attempt_counts(assessment, enrolment)
    items = db.session.scalar(
        select(func.count(QuizItem.id)).where(QuizItem.assessment_id == assessment.id)
    )
    return standing(
        assessment,
        enrolment,
        now=now,
        attempts_used=used,
        in_progress=in_progress,
        item_count=items or 0,
    )


def attempts_of(assessment: Assessment, enrolment: Enrolment):
    """The learner's attempts at the quiz, newest first: a query the caller paginates."""
    return (
        select(Attempt)
        .where(Attempt.assessment_id == assessment.id, Attempt.enrolment_id == enrolment.id)
        .order_by(Attempt.number.desc())
    )


# --- starting ------------------------------------------------------------------------------


def start_attempt(
    assessment: Assessment,
    enrolment: Enrolment,
    *,
    now: datetime,
    rng: random.Random | None = None,
) -> Attempt:
    """Starts an attempt at the quiz, or returns the learner's attempt in progress.

    Only on a confirmed enrolment, while the quiz is open for the cohort and the learner
    has an attempt left (every attempt started counts). An attempt in progress whose time
    has run out is finished first (marked with the answers saved in time). The attempt
    asks the quiz's fixed questions and, for each draw, that many questions picked at
    random from the bank category; shuffled as the quiz says. `rng` lets tests fix the
    draw and the shuffle.
    """
    rng = rng or secrets.SystemRandom()
    if enrolment.cohort.course_id != assessment.course_id:
        raise NotConfirmed()
    # One start per place at a time: a second click waits, then resumes this attempt.
    lock_rows(Enrolment, [enrolment.id])
    used, in_progress = _attempt_counts(assessment, enrolment)
    if in_progress is not None and enrolment.status == EnrolmentStatus.CONFIRMED:
        if not is_time_up(in_progress, now):
            return in_progress
        _finish(in_progress, submitted_at=in_progress.deadline_at, timed_out=True, by=None)
    items = _quiz_items(assessment)
    refusal = standing(
        assessment,
        enrolment,
        now=now,
        attempts_used=used,
        in_progress=None,
        item_count=len(items),
    ).refusal
    if refusal is not None:
        raise refusal
    questions = _questions_for(assessment, items, rng)
    if assessment.shuffle_questions:
        rng.shuffle(questions)
    attempt = Attempt(
        assessment=assessment,
        enrolment=enrolment,
        number=used + 1,
        started_at=now,
        deadline_at=(
            now + timedelta(minutes=assessment.time_limit_minutes)
            if assessment.time_limit_minutes
            else None
        ),
        pass_mark_percent=assessment.pass_mark_percent,
        questions=[
            AttemptQuestion(
                question=question,
                position=position,
                option_order=_option_order(question, assessment.shuffle_options, rng),
                selected=[],
            )
            for position, question in enumerate(questions, start=1)
        ],
    )
    db.session.add(attempt)
    db.session.flush()
    return attempt


def _quiz_items(assessment: Assessment) -> list[QuizItem]:
    return list(
        db.session.scalars(
            select(QuizItem)
            .where(QuizItem.assessment_id == assessment.id)
            .order_by(QuizItem.position, QuizItem.id)
            .options(selectinload(QuizItem.question).selectinload(Question.options))
        )
    )


def _questions_for(
    assessment: Assessment, items: list[QuizItem], rng: random.Random
) -> list[Question]:
    """The fixed questions in the quiz's order, each draw's questions in its place."""
    fixed = {item.question.id for item in items if item.question is not None}
    chosen: list[Question] = []
    taken: set[int] = set()
    for item in items:
        if item.question is not None:
            if item.question.id not in taken:
                chosen.append(item.question)
                taken.add(item.question.id)
            continue
        excluded = fixed | taken
        conditions = [
            Question.course_id == assessment.course_id,
            Question.category == item.draw_category,
            Question.retired.is_(False),
        ]
        if excluded:
            conditions.append(Question.id.not_in(excluded))
        pool = list(
            db.session.scalars(
                select(Question)
                .where(*conditions)
                .order_by(Question.id)
                .options(selectinload(Question.options))
            )
        )
        if len(pool) < item.draw_count:
            raise BankTooSmall(item.draw_category, item.draw_count, len(pool))
        for question in rng.sample(pool, item.draw_count):
            chosen.append(question)
            taken.add(question.id)
    return chosen


def _option_order(question: Question, shuffle: bool, rng: random.Random) -> list[int]:
    """The option ids as the attempt shows them. True/false keeps True before False:
    shuffling two words only slows the reader down."""
    order = [option.id for option in question.options]
    if shuffle and question.type != QuestionType.TRUE_FALSE:
        rng.shuffle(order)
    return order


# --- answering -----------------------------------------------------------------------------


def load_questions(attempt: Attempt) -> list[AttemptQuestion]:
    """The attempt's questions in order, each with its question version and options, in
    two queries (none if already loaded)."""
    if "questions" in inspect(attempt).unloaded:
        db.session.scalars(
            select(Attempt)
            .where(Attempt.id == attempt.id)
            .options(
                selectinload(Attempt.questions)
                .selectinload(AttemptQuestion.question)
                .selectinload(Question.options)
            )
        ).all()
    return attempt.questions


def save_answers(
    attempt: Attempt, answers: Mapping[int, Iterable[int]], *, now: datetime
) -> Attempt:
    """Saves the learner's choices so far: {question id: [option ids]} (an empty list
    clears a question). Refused whole, with nothing saved, when the attempt is submitted,
    its time is up, or an answer names a question not in the attempt, an option not of
    its question, or more than one option for a single-choice or true/false question."""
    _claim(attempt, now)
    _record(attempt, _checked(attempt, answers))
    db.session.flush()
    return attempt


def _claim(attempt: Attempt, now: datetime) -> None:
    """Checks the attempt may still change and holds its row until the transaction ends,
    so a submission racing this save waits for it (or this save sees it and is refused)."""
    if attempt.enrolment.status != EnrolmentStatus.CONFIRMED:
        raise PlaceNoLongerConfirmed()
    if attempt.submitted_at is not None:
        raise AlreadySubmitted()
    if is_time_up(attempt, now):
        raise TimeUp(attempt.deadline_at)
    held = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(submitted_at=None),
        execution_options={"synchronize_session": False},
    )
    if held.rowcount != 1:
        raise AlreadySubmitted()


def _checked(
    attempt: Attempt, answers: Mapping[int, Iterable[int]]
) -> dict[AttemptQuestion, list[int]]:
    by_question = {aq.question_id: aq for aq in load_questions(attempt)}
    checked: dict[AttemptQuestion, list[int]] = {}
    for question_id, option_ids in answers.items():
        aq = by_question.get(question_id)
        if aq is None:
            raise AnswerNotInAttempt()
        chosen = list(dict.fromkeys(option_ids))
        if any(option_id not in aq.option_order for option_id in chosen):
            raise OptionNotOfQuestion(aq)
        if len(chosen) > 1 and aq.question.type != QuestionType.MULTIPLE:
            raise OneAnswerOnly(aq)
        checked[aq] = [option_id for option_id in aq.option_order if option_id in chosen]
    return checked


def _record(attempt: Attempt, checked: dict[AttemptQuestion, list[int]]) -> None:
    for aq, chosen in checked.items():
        if aq.selected != chosen:
            aq.selected = chosen  # a new list, so the JSON column is seen to change


# --- submitting and marking -----------------------------------------------------------------


def submit_attempt(
    attempt: Attempt,
    answers: Mapping[int, Iterable[int]] | None,
    *,
    now: datetime,
    by: User,
) -> Attempt:
    """Saves the answers sent with the submission, then marks the attempt.

    A second submission of the attempt is refused. Answers sent within `GRACE` of the
    deadline are saved, as sent at the deadline. Later, the answers sent are not saved:
    the attempt is finished with the answers saved in time, as submitted
    at the deadline and `timed_out` (the caller tells the learner so)."""
    if attempt.submitted_at is not None:
        raise AlreadySubmitted()
    if attempt.enrolment.status != EnrolmentStatus.CONFIRMED:
        raise PlaceNoLongerConfirmed()
    if is_time_up(attempt, now):
        _finish(attempt, submitted_at=attempt.deadline_at, timed_out=True, by=by)
        return attempt
    _claim(attempt, now)
    if answers is not None:
        _record(attempt, _checked(attempt, answers))
    if attempt.deadline_at is not None:
        now = min(now, attempt.deadline_at)  # sent within the grace: on time
    _finish(attempt, submitted_at=now, timed_out=False, by=by)
    return attempt


def finish_expired(now: datetime, *, enrolment_ids: Iterable[int] | None = None) -> int:
    """Finishes every attempt still open after its deadline and its grace (of these
    enrolments, if given): marked with the answers saved in time, as submitted at the
    deadline and timed out. Returns how many. Safe to run at any time, and twice: an
    attempt finished meanwhile is left alone. Statements: two to load, then two per
    attempt finished."""
    query = select(Attempt).where(
        Attempt.submitted_at.is_(None),
        Attempt.deadline_at.is_not(None),
        Attempt.deadline_at < now - GRACE,
    )
    if enrolment_ids is not None:
        ids = list(dict.fromkeys(enrolment_ids))
        if not ids:
            return 0
        query = query.where(Attempt.enrolment_id.in_(ids))
    attempts = db.session.scalars(
        query.order_by(Attempt.id).options(
            selectinload(Attempt.questions)
            .selectinload(AttemptQuestion.question)
            .selectinload(Question.options)
        )
    ).all()
    finished = 0
    for attempt in attempts:
        try:
            _finish(attempt, submitted_at=attempt.deadline_at, timed_out=True, by=None)
        except AlreadySubmitted:
            continue
        finished += 1
    db.session.flush()
    return finished


@dataclass(frozen=True)
class Marks:
    points: dict[int, Decimal]  # attempt question id -> points awarded
    score: Decimal
    max_score: Decimal
    percent: Decimal
    passed: bool


def mark(attempt: Attempt) -> Marks:
    """The marks for the attempt's saved answers (nothing is changed)."""
    points: dict[int, Decimal] = {}
    score = max_score = Decimal("0")
    for aq in load_questions(attempt):
        question = aq.question
        awarded = marking.points_for(
            question.type,
            [option.id for option in question.options if option.correct],
            aq.selected or [],
            question.points,
        )
        points[aq.id] = awarded
        score += awarded
        max_score += question.points
    percent = marking.percent_of(score, max_score)
    return Marks(
        points=points,
        score=score,
        max_score=max_score,
        percent=percent,
        passed=marking.has_passed(percent, attempt.pass_mark_percent),
    )


def _finish(attempt: Attempt, *, submitted_at: datetime, timed_out: bool, by: User | None):
    """Marks the attempt and claims it as submitted, unless someone else already has."""
    marks = mark(attempt)
    claimed = db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(
            submitted_at=submitted_at,
            timed_out=timed_out,
            score=marks.score,
            max_score=marks.max_score,
            percent=marks.percent,
            passed=marks.passed,
        ),
        execution_options={"synchronize_session": False},
    )
    if claimed.rowcount != 1:
        raise AlreadySubmitted()
    # The row now holds what was claimed; the object says the same, with nothing to write.
    for key, value in {
        "submitted_at": submitted_at,
        "timed_out": timed_out,
        "score": marks.score,
        "max_score": marks.max_score,
        "percent": marks.percent,
        "passed": marks.passed,
    }.items():
        set_committed_value(attempt, key, value)
    for aq in attempt.questions:
        aq.points_awarded = marks.points[aq.id]
    audit.record(
        by,
        "attempt.submitted",
        attempt,
        None,
        {
            "assessment_id": attempt.assessment_id,
            "enrolment_id": attempt.enrolment_id,
            "number": attempt.number,
            "score": str(marks.score),
            "max_score": str(marks.max_score),
            "percent": str(marks.percent),
            "passed": marks.passed,
            "timed_out": timed_out,
        },
    )


# --- what the learner's pages show ------------------------------------------------------------


@dataclass(frozen=True)
class ShownOption:
    id: int
    text: str


@dataclass(frozen=True)
class ShownQuestion:
    """A question of an attempt in progress as its page shows it: the wording and the
    options in the attempt's order, and nothing that tells which option is correct (no
    `correct` flag, no feedback), so no template can send it by mistake."""

    question_id: int
    position: int
    text: str
    type: QuestionType
    points: int
    options: tuple[ShownOption, ...]

    @property
    def one_answer(self) -> bool:
        return self.type != QuestionType.MULTIPLE


def question_sheet(attempt: Attempt) -> list[ShownQuestion]:
    """The questions of an attempt in progress, as its page shows them."""
    sheet = []
    for aq in load_questions(attempt):
        by_id = {option.id: option for option in aq.question.options}
        sheet.append(
            ShownQuestion(
                question_id=aq.question_id,
                position=aq.position,
                text=aq.question.text,
                type=aq.question.type,
                points=aq.question.points,
                options=tuple(
                    ShownOption(option_id, by_id[option_id].text)
                    for option_id in aq.option_order
                    if option_id in by_id
                ),
            )
        )
    return sheet


@dataclass(frozen=True)
class ReviewedOption:
    text: str
    chosen: bool
    correct: bool | None  # None: not revealed yet
    feedback: str  # the option's feedback, when the learner chose it


@dataclass(frozen=True)
class ReviewedQuestion:
    position: int
    text: str
    type: QuestionType
    points: int
    awarded: Decimal
    feedback: str
    options: tuple[ReviewedOption, ...]

    @property
    def right(self) -> bool:
        return self.awarded > 0

    @property
    def answered(self) -> bool:
        return any(option.chosen for option in self.options)


def reveals_answers(
    attempt: Attempt, *, passed_any: bool, attempts_used: int, in_progress: bool
) -> bool:
    """Whether a submitted attempt's page may show which options were correct: once the
    learner has passed the quiz, or has no attempts left. Never while the learner has an
    attempt in progress: it may ask the same questions."""
    if attempt.submitted_at is None or in_progress:
        return False
    allowed = attempt.assessment.attempts_allowed
    return passed_any or (allowed is not None and attempts_used >= allowed)


def review(attempt: Attempt, *, reveal: bool) -> list[ReviewedQuestion]:
    """A submitted attempt question by question: what was chosen, the points given, the
    question's feedback and that of each option chosen; which options were correct only
    when `reveal` (see `reveals_answers`)."""
    if attempt.submitted_at is None:
        raise AttemptError("This attempt has not been submitted yet")
    reviewed = []
    for aq in load_questions(attempt):
        by_id = {option.id: option for option in aq.question.options}
        chosen = set(aq.selected or [])
        reviewed.append(
            ReviewedQuestion(
                position=aq.position,
                text=aq.question.text,
                type=aq.question.type,
                points=aq.question.points,
                awarded=aq.points_awarded or Decimal("0"),
                feedback=aq.question.feedback,
                options=tuple(
                    ReviewedOption(
                        text=by_id[option_id].text,
                        chosen=option_id in chosen,
                        correct=by_id[option_id].correct if reveal else None,
                        feedback=by_id[option_id].feedback if option_id in chosen else "",
                    )
                    for option_id in aq.option_order
                    if option_id in by_id
                ),
            )
        )
    return reviewed
