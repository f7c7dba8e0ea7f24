"""Level 1, reaction: the survey a learner answers once their cohort has closed.

Who may answer: the learner of an enrolment whose cohort is closed and whose place ended
completed or not completed. They answer once (one `ReactionResponse` per enrolment) and
may change their answers later; every answer is saved in the one transaction.

A cohort's results are counts, averages and distributions from aggregate queries, and
the text answers ordered by their words. When the course is anonymous (the default),
nothing in them says who answered, and fewer than MIN_RESPONSES_SHOWN responses show only
how many there were, so that a trainer cannot guess who said what. Learners' answers are
not audited: the audit log would say who answered.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from courses.models import Cohort, CohortStatus, Course, Enrolment, EnrolmentStatus
from lms.auth.models import User
from lms.core.db import insert_on_conflict
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.outbox import queue_many_mail
from lms.impact import questions as question_sets
from lms.impact.models import (
    SCALE,
    EvaluationInvitation,
    QuestionKind,
    ReactionAnswer,
    ReactionQuestion,
    ReactionResponse,
)
from lms.web.urls import external_url

ANSWERABLE = (EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED)
TEXT_LENGTH = 2000
MIN_RESPONSES_SHOWN = 3  # an anonymous course's results show fewer only as a count
TWO_PLACES = Decimal("0.01")


class ReactionError(DomainError):
    """An answer to the survey was refused."""


class ReactionRefused(ReactionError):
    """Refused for one or more answers; `problems` names the question of each."""

    def __init__(self, problems: list[DomainError]):
        super().__init__(problems[0].message)
        self.problems = problems


# --- who may answer ------------------------------------------------------------------------


def refusal(enrolment: Enrolment) -> str | None:
    """Why the survey is not open to this enrolment's learner yet; None when it is."""
    if enrolment.cohort.status != CohortStatus.CLOSED:
        return (
            "You can tell us what you thought of the course once your cohort has closed. "
            "We will email you when it does"
        )
    if enrolment.status not in ANSWERABLE:
        return "The course survey is for learners who took part in the cohort"
    return None


def may_answer(enrolment: Enrolment) -> bool:
    return refusal(enrolment) is None


def response_of(enrolment_id: int) -> ReactionResponse | None:
    """The enrolment's response, with its answers."""
    return db.session.scalar(
        select(ReactionResponse)
        .where(ReactionResponse.enrolment_id == enrolment_id)
        .options(selectinload(ReactionResponse.answers))
    )


# --- answering -----------------------------------------------------------------------------


def _problems(
    asked: Sequence[ReactionQuestion], answers: Mapping[str, int | str | None]
) -> list[DomainError]:
    problems = []
    for question in asked:
        name = question_sets.key(question)
        value = answers.get(name)
        if question.kind == QuestionKind.SCALE:
            if not isinstance(value, int) or value not in SCALE:
                problems.append(
                    ReactionError(f"Choose how much you agree: {question.text}", field=name)
                )
        elif value is not None and len(str(value)) > TEXT_LENGTH:
            problems.append(
                ReactionError(
                    f"Your answer must be {TEXT_LENGTH:,} characters or fewer", field=name
                )
            )
    return problems


def submit(
    enrolment: Enrolment,
    asked: Sequence[ReactionQuestion],
    answers: Mapping[str, int | str | None],
    *,
    now: datetime,
) -> ReactionResponse:
    """Saves the learner's answers to the questions `asked` (as the page showed them,
    each named by its key): a score from 1 to 5 for each scale question (required), text
    for a text question (optional; left empty, any earlier text is removed). Answers to
    questions no longer asked are left as they were: they answered those words."""
    why_not = refusal(enrolment)
    if why_not:
        raise ReactionError(why_not)
    problems = _problems(asked, answers)
    if problems:
        raise ReactionRefused(problems)
    stored = question_sets.stored(asked)
    if any(question is None for question in stored):
        raise ReactionError(
            "The questions have changed since you opened this page. Check your answers and "
            "send them again"
        )
    response = response_of(enrolment.id)
    if response is None:
        response = ReactionResponse(enrolment_id=enrolment.id, submitted_at=now, answers=[])
        db.session.add(response)
    existing = {answer.question_id: answer for answer in response.answers}
    for shown, question in zip(asked, stored, strict=True):
        value = answers.get(question_sets.key(shown))
        answer = existing.get(question.id)
        if question.kind == QuestionKind.SCALE:
            score, text = int(value), None
        else:
            score, text = None, (str(value).strip() if value is not None else "") or None
            if text is None:
                if answer is not None:
                    response.answers.remove(answer)
                continue
        if answer is None:
            response.answers.append(ReactionAnswer(question_id=question.id, score=score, text=text))
        else:
            answer.score, answer.text = score, text
    response.updated_at = now
    db.session.flush()
    return response


def answers_by_key(
    asked: Sequence[ReactionQuestion], response: ReactionResponse | None
) -> dict[str, int | str]:
    """The learner's saved answers to the questions asked now, by key: to fill the form."""
    if response is None:
        return {}
    saved = {answer.question_id: answer for answer in response.answers}
    found = {}
    for question in asked:
        answer = saved.get(question.id) if question.id is not None else None
        if answer is not None:
            found[question_sets.key(question)] = (
                answer.score if question.kind == QuestionKind.SCALE else answer.text
            )
    return found


# --- inviting ------------------------------------------------------------------------------


def invite(cohort_id: int, *, now: datetime) -> int:
    """Mails each learner of a closed cohort who may answer the survey, and has not been
    invited before, a link to it (and, if they completed and the course has learning
    outcomes, to rating their confidence after it); returns how many were invited.

    Each invitation is recorded (`EvaluationInvitation`) in the same transaction, and
    only those this call recorded are mailed, so nobody is invited twice, even when the
    cohort is closed again or two of these run at once."""
    candidates = db.session.execute(
        select(
            Enrolment.id,
            Enrolment.status,
            User.email,
            User.full_name,
            Course.title,
            Course.learning_outcomes,
            Cohort.code,
        )
        .select_from(Enrolment)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .join(User, User.id == Enrolment.learner_id)
        .where(
            Enrolment.cohort_id == cohort_id,
            Cohort.status == CohortStatus.CLOSED,
            Enrolment.status.in_(ANSWERABLE),
            User.is_active_account.is_(True),
            ~select(EvaluationInvitation.enrolment_id)
            .where(EvaluationInvitation.enrolment_id == Enrolment.id)
            .exists(),
        )
        .order_by(Enrolment.id)
    ).all()
    if not candidates:
        return 0
    invited = set(
        db.session.scalars(
            insert_on_conflict(db.session, EvaluationInvitation)
            .values([{"enrolment_id": row.id, "reaction_invited_at": now} for row in candidates])
            .on_conflict_do_nothing(index_elements=["enrolment_id"])
            .returning(EvaluationInvitation.enrolment_id)
        )
    )
    messages = []
    for row in candidates:
        if row.id not in invited:
            continue
        rate_after = row.status == EnrolmentStatus.COMPLETED and bool(row.learning_outcomes)
        messages.append(
            (
                row.email,
                f"Tell us what you thought of {row.title}",
                {
                    "name": row.full_name,
                    "course_title": row.title,
                    "cohort_code": row.code,
                    "survey_link": external_url("evaluations.reaction", enrolment_id=row.id),
                    "confidence_link": external_url(
                        "evaluations.confidence", enrolment_id=row.id, phase="after"
                    )
                    if rate_after
                    else None,
                    "evaluations_link": external_url("evaluations.index"),
                },
            )
        )
    return queue_many_mail("impact/mail/reaction_invitation", messages)


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleResult:
    question: ReactionQuestion
    count: int
    average: Decimal | None  # to 2 places
    distribution: tuple[int, ...]  # how many answered 1, 2, 3, 4 and 5

    @property
    def bars(self) -> list[tuple[int, int, int]]:
        """(score, how many, percentage of the answers) for each score 1 to 5."""
        return [
            (score, number, round(100 * number / self.count) if self.count else 0)
            for score, number in zip(SCALE, self.distribution, strict=True)
        ]


@dataclass(frozen=True)
class TextResult:
    question: ReactionQuestion
    answers: tuple[str, ...]  # ordered by their words, never by who or when


@dataclass(frozen=True)
class NamedResponse:
    """One learner's response, for a course that is not anonymous."""

    name: str
    answers: dict[int, ReactionAnswer]  # by question id


@dataclass
class CohortReaction:
    responses: int
    anonymous: bool
    shown: bool  # False: too few responses to show more than their count
    questions: list[ReactionQuestion] = field(default_factory=list)
    scales: list[ScaleResult] = field(default_factory=list)
    texts: list[TextResult] = field(default_factory=list)
    named: list[NamedResponse] = field(default_factory=list)


def _of_cohort(query, cohort_id: int):
    return query.join(Enrolment, Enrolment.id == ReactionResponse.enrolment_id).where(
        Enrolment.cohort_id == cohort_id
    )


def average(total: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(TWO_PLACES, ROUND_HALF_UP)


def _text_order(text: str) -> tuple[str, str]:
    return (text.casefold(), text)


def cohort_results(cohort: Cohort, settings: question_sets.Settings) -> CohortReaction:
    """The cohort's survey results, built from aggregate queries (the same number of
    statements however many answered): per scale question the number of answers, their
    average and how many gave each score; per text question its answers, ordered by
    their words. The questions are those asked now and any others the cohort answered
    (earlier versions). For a course that is not anonymous, each response with the
    learner's name too."""
    anonymous = settings.anonymous
    responses = db.session.scalar(_of_cohort(select(func.count(ReactionResponse.id)), cohort.id))
    result = CohortReaction(
        responses=responses,
        anonymous=anonymous,
        shown=not anonymous or responses >= MIN_RESPONSES_SHOWN,
    )
    if not result.shown or not responses:
        return result
    answered_ids = _of_cohort(
        select(ReactionAnswer.question_id).join(
            ReactionResponse, ReactionResponse.id == ReactionAnswer.response_id
        ),
        cohort.id,
    )
    asked_now = question_sets.asked(cohort.course, settings)
    shown = {question.id: question for question in asked_now if question.id is not None}
    for question in db.session.scalars(
        select(ReactionQuestion).where(ReactionQuestion.id.in_(answered_ids))
    ):
        shown.setdefault(question.id, question)
    result.questions = sorted(shown.values(), key=lambda q: (q.position, q.version, q.id))

    counts: dict[int, list[int]] = {}
    for question_id, score, number in db.session.execute(
        _of_cohort(
            select(ReactionAnswer.question_id, ReactionAnswer.score, func.count())
            .select_from(ReactionAnswer)
            .join(ReactionResponse, ReactionResponse.id == ReactionAnswer.response_id),
            cohort.id,
        )
        .where(ReactionAnswer.score.is_not(None))
        .group_by(ReactionAnswer.question_id, ReactionAnswer.score)
    ):
        if score in SCALE:
            counts.setdefault(question_id, [0] * len(SCALE))[score - 1] = number
    texts: dict[int, list[str]] = {}
    for question_id, text in db.session.execute(
        _of_cohort(
            select(ReactionAnswer.question_id, ReactionAnswer.text)
            .select_from(ReactionAnswer)
            .join(ReactionResponse, ReactionResponse.id == ReactionAnswer.response_id),
            cohort.id,
        ).where(ReactionAnswer.text.is_not(None))
    ):
        if text.strip():
            texts.setdefault(question_id, []).append(text)

    for question in result.questions:
        if question.kind == QuestionKind.SCALE:
            distribution = counts.get(question.id, [0] * len(SCALE))
            total = sum(distribution)
            result.scales.append(
                ScaleResult(
                    question=question,
                    count=total,
                    average=average(
                        sum(s * n for s, n in zip(SCALE, distribution, strict=True)), total
                    ),
                    distribution=tuple(distribution),
                )
            )
        else:
            result.texts.append(
                TextResult(
                    question=question,
                    answers=tuple(sorted(texts.get(question.id, []), key=_text_order)),
                )
            )
    if not anonymous:
        result.named = _named_responses(cohort.id)
    return result


def _named_responses(cohort_id: int) -> list[NamedResponse]:
    """Each response with its learner's name, by name (only for a course that is not
    anonymous)."""
    found = db.session.scalars(
        _of_cohort(select(ReactionResponse), cohort_id)
        .join(User, User.id == Enrolment.learner_id)
        .options(
            joinedload(ReactionResponse.enrolment)
            .joinedload(Enrolment.learner)
            .lazyload(User.role_grants),
            selectinload(ReactionResponse.answers),
        )
        .order_by(func.lower(User.full_name), User.id)
    ).all()
    return [
        NamedResponse(
            name=response.enrolment.learner.full_name,
            answers={answer.question_id: answer for answer in response.answers},
        )
        for response in found
    ]
