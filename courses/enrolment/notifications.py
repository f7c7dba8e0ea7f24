"""Mail about enrolments, queued in the outbox in the same transaction as the change."""

from __future__ import annotations

from courses.cohorts import calendars
from courses.cohorts.sessions import held_sessions
from courses.models import Enrolment, EnrolmentStatus
from lms.core.outbox import Attachment, queue_mail
from lms.web.urls import external_url


def _calendar_attachment(enrolment: Enrolment) -> Attachment:
    return Attachment(
        filename=f"{enrolment.cohort.code}.ics",
        content_type="text/calendar",
        data=calendars.enrolment_calendar(enrolment),
    )


def _send(enrolment: Enrolment, subject: str, template: str, *, with_calendar=False, **context):
    cohort = enrolment.cohort
    queue_mail(
        enrolment.learner.email,
        subject,
        f"enrolment/mail/{template}",
        learner=enrolment.learner,
        enrolment=enrolment,
        cohort=cohort,
        course=cohort.course,
        sessions=held_sessions(cohort),
        cohort_link=external_url("cohorts.show", cohort_id=cohort.id),
        attachments=[_calendar_attachment(enrolment)] if with_calendar else None,
        **context,
    )


def placed(enrolment: Enrolment, *, position: int | None = None) -> None:
    """Confirmed (with the sessions as a calendar file) or waitlisted."""
    title = enrolment.cohort.course.title
    if enrolment.status == EnrolmentStatus.CONFIRMED:
        _send(enrolment, f"Your place is confirmed: {title}", "confirmed", with_calendar=True)
    else:
        _send(enrolment, f"You are on the waitlist: {title}", "waitlisted", position=position)


def promoted(enrolment: Enrolment) -> None:
    title = enrolment.cohort.course.title
    _send(enrolment, f"A place is now yours: {title}", "promoted", with_calendar=True)


def approval_requested(enrolment: Enrolment) -> None:
    manager = enrolment.learner.line_manager
    cohort = enrolment.cohort
    queue_mail(
        manager.email,
        f"{enrolment.learner.full_name} asks to join {cohort.course.title}",
        "enrolment/mail/approval_requested",
        manager=manager,
        learner=enrolment.learner,
        cohort=cohort,
        course=cohort.course,
        approvals_link=external_url("approvals.index"),
    )


def decided(enrolment: Enrolment) -> None:
    title = enrolment.cohort.course.title
    if enrolment.status == EnrolmentStatus.REJECTED:
        _send(enrolment, f"Your request was not approved: {title}", "rejected")
    else:
        placed(enrolment)


def ended(enrolment: Enrolment, *, by_learner: bool) -> None:
    """Confirms a cancellation or withdrawal, whoever made it."""
    word = "withdrawn" if enrolment.status == EnrolmentStatus.WITHDRAWN else "cancelled"
    _send(
        enrolment,
        f"Your enrolment is {word}: {enrolment.cohort.course.title}",
        "ended",
        word=word,
        by_learner=by_learner,
    )


def cohort_cancelled(enrolment: Enrolment) -> None:
    _send(enrolment, f"Cancelled: {enrolment.cohort.course.title}", "cohort_cancelled")


def reminder(enrolment: Enrolment) -> None:
    _send(
        enrolment,
        f"Reminder: {enrolment.cohort.course.title} starts soon",
        "reminder",
        with_calendar=True,
    )
