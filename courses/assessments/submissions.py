"""Assignments: a learner's submissions, and a trainer's mark on each.

A learner on a confirmed place sends a submission (text, one file, or both) once the
assignment is open for their cohort. It waits to be marked; a trainer of the cohort (or
an admin) marks it **passed** or **referred**, always with written feedback. A referred
learner may resubmit, as a new submission with the next number, until `resubmit_by`
(ASSIGNMENT_RESUBMIT_DAYS after the mark, to the end of that UK day); one sent later is
still taken, flagged late, as is a first submission sent after the due date. A learner
whose latest submission is waiting or passed cannot send another.

Only a learner's latest submission can be marked; marking it again is a change of mark.
Every submission, mark and change of mark writes an audit event with before and after.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import joinedload

from courses.assessments import uploads
from courses.assessments.access import SEEING
from courses.assessments.models import (
    Assessment,
    AssessmentKind,
    Submission,
    SubmissionStatus,
)
from courses.assessments.results import course_assessments
from courses.assessments.schedule import Window, window
from courses.assessments.uploads import Upload
from courses.models import Cohort, CohortStatus, Enrolment, EnrolmentStatus
from lms.audit import audit
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.locks import lock_rows
from lms.core.timezones import LONDON, to_local

TEXT_LENGTH = 50_000
FEEDBACK_LENGTH = 10_000
OUTCOMES = (SubmissionStatus.PASSED, SubmissionStatus.REFERRED)


# --- refusals ------------------------------------------------------------------------------


class SubmissionError(DomainError):
    """A rule of sending or marking a submission refused the action."""


class NotConfirmed(SubmissionError):
    def __init__(self):
        super().__init__("You need a confirmed place on this course to send a submission")


class AssignmentNotAvailable(SubmissionError):
    def __init__(self):
        super().__init__("This assignment is no longer set")


class AssignmentNotOpen(SubmissionError):
    def __init__(self, when: Window):
        super().__init__(f"This assignment is not open yet. {when.opens_words}")


class AlreadySubmitted(SubmissionError):
    def __init__(self):
        super().__init__(
            "You have already submitted this assignment. You can send another only if "
            "your trainer refers it"
        )


class AlreadyPassed(SubmissionError):
    def __init__(self):
        super().__init__("You have already passed this assignment")


class NothingSubmitted(SubmissionError):
    def __init__(self):
        super().__init__("Enter your submission or choose a file to upload", field="text")


class CohortClosed(SubmissionError):
    def __init__(self):
        super().__init__(
            "This cohort is closed, so its marks are final. An admin can reopen it to "
            "change a mark",
            field="outcome",
        )


class NotLatest(SubmissionError):
    def __init__(self):
        super().__init__(
            "The learner has sent a later submission than this one: mark that one instead"
        )


# --- reading -------------------------------------------------------------------------------


def submissions_of(assessment: Assessment, enrolment: Enrolment) -> list[Submission]:
    """The learner's submissions of the assignment, newest first, with their files and
    markers (one query)."""
    return list(
        db.session.scalars(
            select(Submission)
            .where(
                Submission.assessment_id == assessment.id,
                Submission.enrolment_id == enrolment.id,
            )
            .order_by(Submission.number.desc())
            .options(joinedload(Submission.file), joinedload(Submission.marked_by))
        ).unique()
    )


@dataclass(frozen=True)
class Standing:
    """Where a learner stands in an assignment: its dates for their cohort, their
    submissions (newest first) and whether they may send one now (or why not)."""

    window: Window
    submissions: list[Submission]
    refusal: SubmissionError | None

    @property
    def latest(self) -> Submission | None:
        return self.submissions[0] if self.submissions else None

    @property
    def may_submit(self) -> bool:
        return self.refusal is None

    @property
    def resubmitting(self) -> bool:
        return self.latest is not None and self.latest.status == SubmissionStatus.REFERRED


def standing(assessment: Assessment, enrolment: Enrolment, *, now: datetime) -> Standing:
    """The learner's standing (one query: their submissions; the cohort's sessions come
    loaded with the enrolment)."""
    found = submissions_of(assessment, enrolment)
    when = window(assessment, enrolment.cohort)
    try:
        _check_may_submit(assessment, enrolment, found[0] if found else None, when, now)
        refusal = None
    except SubmissionError as error:
        refusal = error
    return Standing(window=when, submissions=found, refusal=refusal)


def _latest(assessment: Assessment, enrolment: Enrolment) -> Submission | None:
    return db.session.scalar(
        select(Submission)
        .where(
            Submission.assessment_id == assessment.id,
            Submission.enrolment_id == enrolment.id,
        )
        .order_by(Submission.number.desc())
        .limit(1)
    )


def _check_may_submit(
    assessment: Assessment,
    enrolment: Enrolment,
    latest: Submission | None,
    when: Window,
    now: datetime,
) -> None:
    if assessment.kind != AssessmentKind.ASSIGNMENT or assessment.archived:
        raise AssignmentNotAvailable()
    if enrolment.status != EnrolmentStatus.CONFIRMED:
        raise NotConfirmed()
    if not when.is_open(now):
        raise AssignmentNotOpen(when)
    if latest is not None and latest.status == SubmissionStatus.SUBMITTED:
        raise AlreadySubmitted()
    if latest is not None and latest.status == SubmissionStatus.PASSED:
        raise AlreadyPassed()


# --- sending -------------------------------------------------------------------------------


def submit(
    assessment: Assessment,
    enrolment: Enrolment,
    text: str,
    upload: Upload | None,
    *,
    now: datetime,
    by: User,
) -> Submission:
    """Records the learner's submission (text and/or one checked file), flagged late when
    sent after the due date or, for a resubmission, after `resubmit_by`."""
    if enrolment.cohort.course_id != assessment.course_id:
        raise AssignmentNotAvailable()
    lock_rows(Enrolment, [enrolment.id])  # one submission or mark of this place at a time
    latest = _latest(assessment, enrolment)
    when = window(assessment, enrolment.cohort)
    _check_may_submit(assessment, enrolment, latest, when, now)
    text = (text or "").strip()
    if not text and upload is None:
        raise NothingSubmitted()
    if len(text) > TEXT_LENGTH:
        raise SubmissionError(
            f"Your submission must be {TEXT_LENGTH:,} characters or fewer. "
            "Upload a longer one as a file",
            field="text",
        )
    if latest is None:
        late = when.is_late(now)
    else:
        late = latest.resubmit_by is not None and now > latest.resubmit_by
    submission = Submission(
        assessment_id=assessment.id,
        enrolment_id=enrolment.id,
        number=(latest.number + 1) if latest else 1,
        text=text,
        submitted_at=now,
        late=late,
        status=SubmissionStatus.SUBMITTED,
    )
    if upload is not None:
        submission.file = uploads.store(upload)
    db.session.add(submission)
    db.session.flush()
    audit.record(
        by,
        "submission.created",
        submission,
        None,
        {
            "assessment_id": assessment.id,
            "enrolment_id": enrolment.id,
            "number": submission.number,
            "late": late,
            "characters": len(text),
            "file": (
                {"filename": upload.filename, "size": upload.size, "sha256": upload.sha256}
                if upload
                else None
            ),
        },
    )
    return submission


# --- marking -------------------------------------------------------------------------------


def resubmit_deadline(now: datetime, days: int) -> datetime:
    """The end (23:59:59 UK time) of the day `days` days after `now`, in `now`'s zone."""
    day = to_local(now + timedelta(days=days)).date()
    return datetime.combine(day, time(23, 59, 59), tzinfo=LONDON).astimezone(now.tzinfo)


def _mark_of(submission: Submission) -> dict:
    return {
        "status": submission.status.value,
        "feedback": submission.feedback,
        "resubmit_by": submission.resubmit_by,
    }


def mark_submission(
    submission: Submission,
    outcome: SubmissionStatus | str,
    feedback: str,
    *,
    now: datetime,
    by: User,
    resubmit_days: int | None = None,
) -> Submission:
    """Marks the learner's latest submission passed or referred, with feedback; marking
    it again changes the mark. A referral gives the learner until the end of the UK day
    `resubmit_days` (ASSIGNMENT_RESUBMIT_DAYS) from now to resubmit; a mark that stays
    "referred" keeps the date first given."""
    try:
        outcome = SubmissionStatus(outcome)
    except ValueError:
        outcome = None
    if outcome not in OUTCOMES:
        raise SubmissionError("Choose pass or refer", field="outcome")
    feedback = (feedback or "").strip()
    if not feedback:
        raise SubmissionError("Enter your feedback for the learner", field="feedback")
    if len(feedback) > FEEDBACK_LENGTH:
        raise SubmissionError(
            f"Your feedback must be {FEEDBACK_LENGTH:,} characters or fewer", field="feedback"
        )
    # One submission or mark of this place at a time; then read the mark as it is now.
    lock_rows(Enrolment, [submission.enrolment_id])
    db.session.refresh(submission)
    if submission.enrolment.cohort.status == CohortStatus.CLOSED:
        # Completion was decided from these marks when the cohort closed.
        raise CohortClosed()
    latest = db.session.scalar(
        select(func.max(Submission.number)).where(
            Submission.assessment_id == submission.assessment_id,
            Submission.enrolment_id == submission.enrolment_id,
        )
    )
    if latest != submission.number:
        raise NotLatest()
    first = submission.status == SubmissionStatus.SUBMITTED
    before = _mark_of(submission)
    if outcome == SubmissionStatus.PASSED:
        resubmit_by = None
    elif submission.status == SubmissionStatus.REFERRED and submission.resubmit_by:
        resubmit_by = submission.resubmit_by
    else:
        if resubmit_days is None:
            resubmit_days = current_app.config.get("ASSIGNMENT_RESUBMIT_DAYS", 14)
        resubmit_by = resubmit_deadline(now, resubmit_days)
    if not first and outcome == submission.status and feedback == submission.feedback:
        return submission  # the same mark again: nothing changes, nothing to record
    submission.status = outcome
    submission.feedback = feedback
    submission.resubmit_by = resubmit_by
    submission.marked_by_id = by.id
    submission.marked_at = now
    db.session.flush()
    audit.record(
        by,
        "submission.marked" if first else "submission.mark_changed",
        submission,
        before,
        _mark_of(submission),
    )
    return submission


# --- the marking list ----------------------------------------------------------------------

# The learners a marking list shows: those who hold, or held to the end, a place.
LISTED = SEEING


def marking_learners(cohort: Cohort):
    """The cohort's learners with a place (confirmed, completed or not completed), by
    name, learners loaded; the caller paginates."""
    return (
        select(Enrolment)
        .join(User, User.id == Enrolment.learner_id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.status.in_(LISTED))
        .order_by(User.full_name, Enrolment.id)
        .options(joinedload(Enrolment.learner))
    )


@dataclass(frozen=True)
class Latest:
    """A learner's latest submission and how many they have sent."""

    submission: Submission
    count: int


def latest_submissions(assessment: Assessment, enrolment_ids: Iterable[int]) -> dict[int, Latest]:
    """enrolment id -> their latest submission of the assignment and how many they have
    sent, for those who have sent any (one query)."""
    ids = list(dict.fromkeys(enrolment_ids))
    if not ids:
        return {}
    sent = (
        select(
            Submission.enrolment_id,
            func.max(Submission.number).label("number"),
            func.count(Submission.id).label("count"),
        )
        .where(Submission.assessment_id == assessment.id, Submission.enrolment_id.in_(ids))
        .group_by(Submission.enrolment_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Submission, sent.c.count)
        .join(
            sent,
            and_(
                sent.c.enrolment_id == Submission.enrolment_id,
                sent.c.number == Submission.number,
            ),
        )
        .where(Submission.assessment_id == assessment.id)
        .options(joinedload(Submission.file))
    ).unique()
    return {submission.enrolment_id: Latest(submission, count) for submission, count in rows}


@dataclass(frozen=True)
class MarkingCounts:
    learners: int
    waiting: int
    passed: int
    referred: int

    @property
    def not_submitted(self) -> int:
        return self.learners - self.waiting - self.passed - self.referred


def marking_counts(cohort: Cohort, assessment: Assessment) -> MarkingCounts:
    """How the cohort's listed learners stand in the assignment, by their latest
    submission (one query)."""
    latest = (
        select(Submission.enrolment_id, func.max(Submission.number).label("number"))
        .where(Submission.assessment_id == assessment.id)
        .group_by(Submission.enrolment_id)
        .subquery()
    )
    status = Submission.status

    def counting(wanted: SubmissionStatus):
        return func.coalesce(func.sum(case((status == wanted, 1), else_=0)), 0)

    row = db.session.execute(
        select(
            func.count(Enrolment.id),
            counting(SubmissionStatus.SUBMITTED),
            counting(SubmissionStatus.PASSED),
            counting(SubmissionStatus.REFERRED),
        )
        .select_from(Enrolment)
        .outerjoin(latest, latest.c.enrolment_id == Enrolment.id)
        .outerjoin(
            Submission,
            and_(
                Submission.assessment_id == assessment.id,
                Submission.enrolment_id == Enrolment.id,
                Submission.number == latest.c.number,
            ),
        )
        .where(Enrolment.cohort_id == cohort.id, Enrolment.status.in_(LISTED))
    ).one()
    return MarkingCounts(*(int(value) for value in row))


@dataclass(frozen=True)
class ToMark:
    """An assignment a cohort takes, and how many of its submissions wait for a mark."""

    assignment: Assessment
    waiting: int


def to_mark(cohorts: Iterable[Cohort]) -> dict[int, list[ToMark]]:
    """For each cohort (by id), its course's assignments in order with the submissions
    waiting for a mark, in two queries whatever the number of cohorts. A waiting
    submission is always its learner's latest: a learner sends another only once
    referred."""
    cohorts = list(cohorts)
    found: dict[int, list[ToMark]] = {cohort.id: [] for cohort in cohorts}
    if not cohorts:
        return found
    set_by_course = course_assessments({cohort.course_id for cohort in cohorts})
    rows = db.session.execute(
        select(Enrolment.cohort_id, Submission.assessment_id, func.count(Submission.id))
        .join(Enrolment, Enrolment.id == Submission.enrolment_id)
        .where(
            Enrolment.cohort_id.in_(found),
            Enrolment.status.in_(LISTED),
            Submission.status == SubmissionStatus.SUBMITTED,
        )
        .group_by(Enrolment.cohort_id, Submission.assessment_id)
    )
    waiting = {(cohort_id, assessment_id): count for cohort_id, assessment_id, count in rows}
    for cohort in cohorts:
        found[cohort.id] = [
            ToMark(assessment, waiting.get((cohort.id, assessment.id), 0))
            for assessment in set_by_course[cohort.course_id]
            if assessment.kind == AssessmentKind.ASSIGNMENT
        ]
    return found
