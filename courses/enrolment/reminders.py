"""Reminders before a learner's first session, sent by `flask lms tick`."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from courses.cohorts.sessions import session_dates
from courses.enrolment import notifications
from courses.models import Cohort, CohortStatus, Enrolment, EnrolmentStatus
from lms.core.extensions import db

REMINDER_NOTICE = timedelta(days=2)


def send_due_reminders(now: datetime) -> int:
    """Queues one reminder per confirmed learner whose first session starts within two days.

    Idempotent even when two ticks run at once: each enrolment is claimed by a
    conditional UPDATE, so a reminder is queued at most once. Returns how many.
    """
    first_session = session_dates()
    due = (
        select(Enrolment.id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(first_session, first_session.c.cohort_id == Enrolment.cohort_id)
        .where(
            Enrolment.status == EnrolmentStatus.CONFIRMED,
            Enrolment.reminder_sent_at.is_(None),
            Cohort.status.not_in([CohortStatus.CANCELLED, CohortStatus.CLOSED]),
            first_session.c.starts_at > now,
            first_session.c.starts_at <= now + REMINDER_NOTICE,
        )
    )
    claimed = db.session.scalars(
        update(Enrolment)
        .where(Enrolment.id.in_(due.scalar_subquery()), Enrolment.reminder_sent_at.is_(None))
        .values(reminder_sent_at=now)
        .returning(Enrolment.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        return 0
    enrolments = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.id.in_(claimed))
        .options(
            selectinload(Enrolment.learner),
            selectinload(Enrolment.cohort).options(
                selectinload(Cohort.course), selectinload(Cohort.sessions)
            ),
        )
    )
    count = 0
    for enrolment in enrolments:
        notifications.reminder(enrolment)
        count += 1
    return count
