"""Seats, the waitlist, manager approval and cancellation: the concurrency-sensitive part.

Every change to a cohort's seats happens while holding that cohort's lock
(`lock_cohort`): SELECT ... FOR UPDATE on PostgreSQL, the database write lock on
SQLite. Together with the unique (cohort, learner) constraint this keeps confirmed
enrolments within capacity under any concurrency. Waitlist positions are never
stored: a position is the rank by request time, so it has no gaps by construction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import selectinload

from courses.cohorts.sessions import first_session_start
from courses.enrolment import notifications
from courses.models import (
    Cohort,
    CohortStatus,
    Course,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
)
from lms.audit import audit
from lms.auth.models import User
from lms.core.dates import add_months
from lms.core.db import utcnow
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.locks import lock_rows
from lms.core.timezones import local_today, to_local

# Statuses that hold a place (or a claim to one) on the cohort.
ACTIVE = (EnrolmentStatus.PENDING_APPROVAL, EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED)
# Statuses after which the learner may ask again.
ENDED = (EnrolmentStatus.CANCELLED, EnrolmentStatus.REJECTED, EnrolmentStatus.WITHDRAWN)


class EnrolmentRefused(DomainError):
    """The learner cannot enrol on this cohort now; the message says why."""


class EnrolmentClosed(EnrolmentRefused):
    pass


class AlreadyEnrolled(EnrolmentRefused):
    pass


class AlreadyCompleted(EnrolmentRefused):
    """The learner has completed the course, and may not take it again (yet)."""


class PrerequisiteMissing(EnrolmentRefused):
    pass


class CourseUnavailable(EnrolmentRefused):
    pass


class CohortCancelled(EnrolmentRefused):
    pass


class NoLineManager(EnrolmentRefused):
    pass


class NotAllowed(DomainError):
    """The acting person may not make this change."""


class InvalidTransition(DomainError):
    pass


# --- locking and counting --------------------------------------------------------------


def lock_cohort(cohort_id: int) -> Cohort:
    """Takes the cohort's lock for the rest of the transaction and returns it fresh."""
    if db.session.get_bind().dialect.name == "sqlite":
        # Holding SQLite's write lock serialises every seat change (one writer anyway).
        lock_rows(Cohort, [cohort_id])
        return db.session.execute(
            select(Cohort).where(Cohort.id == cohort_id).execution_options(populate_existing=True)
        ).scalar_one()
    return db.session.execute(
        select(Cohort)
        .where(Cohort.id == cohort_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def can_cancel(enrolment: Enrolment) -> bool:
    """The learner still holds a place, a waitlist place or a request, so can give it up."""
    return enrolment.status in ACTIVE


def confirmed_count(cohort_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Enrolment)
        .where(Enrolment.cohort_id == cohort_id, Enrolment.status == EnrolmentStatus.CONFIRMED)
    )


def seats_left(cohort_ids: Iterable[int]) -> dict[int, int]:
    """Seats left per cohort, for any number of cohorts in one query."""
    ids = list(cohort_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Cohort.id, Cohort.capacity - func.count(Enrolment.id))
        .outerjoin(
            Enrolment,
            and_(Enrolment.cohort_id == Cohort.id, Enrolment.status == EnrolmentStatus.CONFIRMED),
        )
        .where(Cohort.id.in_(ids))
        .group_by(Cohort.id, Cohort.capacity)
    )
    return {cohort_id: max(left, 0) for cohort_id, left in rows}


def waitlist_positions(enrolment_ids: Iterable[int]) -> dict[int, int]:
    """Waitlist position (1 = next to be offered a seat) per waitlisted enrolment, one query."""
    ids = list(enrolment_ids)
    if not ids:
        return {}
    ranked = (
        select(
            Enrolment.id,
            func.row_number()
            .over(
                partition_by=Enrolment.cohort_id,
                order_by=(Enrolment.requested_at, Enrolment.id),
            )
            .label("position"),
        )
        .where(
            Enrolment.status == EnrolmentStatus.WAITLISTED,
            Enrolment.cohort_id.in_(
                select(Enrolment.cohort_id).where(Enrolment.id.in_(ids)).scalar_subquery()
            ),
        )
        .subquery()
    )
    rows = db.session.execute(select(ranked.c.id, ranked.c.position).where(ranked.c.id.in_(ids)))
    return dict(rows.all())


def roster(cohort_id: int):
    """A cohort's enrolments: confirmed first, then pending approval, then the waitlist in
    order, then the rest; learners loaded. The caller paginates."""
    rank = case(
        (Enrolment.status == EnrolmentStatus.CONFIRMED, 0),
        (Enrolment.status == EnrolmentStatus.PENDING_APPROVAL, 1),
        (Enrolment.status == EnrolmentStatus.WAITLISTED, 2),
        else_=3,
    )
    return (
        select(Enrolment)
        .where(Enrolment.cohort_id == cohort_id)
        .order_by(rank, Enrolment.requested_at, Enrolment.id)
        .options(selectinload(Enrolment.learner))
    )


def status_counts(cohort_id: int) -> dict[EnrolmentStatus, int]:
    """How many enrolments of the cohort are in each status, in one query."""
    rows = db.session.execute(
        select(Enrolment.status, func.count())
        .where(Enrolment.cohort_id == cohort_id)
        .group_by(Enrolment.status)
    )
    return dict(rows.all())


def awaiting_decision(manager: User):
    """Requests from the manager's reports waiting for their decision, oldest first."""
    return (
        select(Enrolment)
        .join(User, User.id == Enrolment.learner_id)
        .where(
            User.line_manager_id == manager.id, Enrolment.status == EnrolmentStatus.PENDING_APPROVAL
        )
        .order_by(Enrolment.requested_at, Enrolment.id)
        .options(
            selectinload(Enrolment.learner),
            selectinload(Enrolment.cohort).selectinload(Cohort.course),
        )
    )


# --- rules -----------------------------------------------------------------------------


def _completed_course_ids(learner: User, course_ids: list[int]) -> set[int]:
    if not course_ids:
        return set()
    return set(
        db.session.scalars(
            select(Cohort.course_id)
            .join(Enrolment, Enrolment.cohort_id == Cohort.id)
            .where(
                Enrolment.learner_id == learner.id,
                Enrolment.status == EnrolmentStatus.COMPLETED,
                Cohort.course_id.in_(course_ids),
            )
        )
    )


def check_can_self_enrol(cohort: Cohort, learner: User, now: datetime) -> None:
    """Raises the refusal a learner would see; returns quietly when they may enrol."""
    course: Course = cohort.course
    if course.status != CourseStatus.PUBLISHED:
        raise CourseUnavailable("This course is no longer taking enrolments")
    if cohort.status == CohortStatus.CANCELLED:
        raise CohortCancelled("This cohort has been cancelled")
    window_open = (
        cohort.status == CohortStatus.OPEN
        and (cohort.enrolment_opens_at is None or cohort.enrolment_opens_at <= now)
        and (cohort.enrolment_closes_at is None or now < cohort.enrolment_closes_at)
    )
    if not window_open:
        raise EnrolmentClosed("Enrolment for this cohort is not open")
    completed = _completed_course_ids(learner, [p.id for p in course.prerequisites])
    missing = [p for p in course.prerequisites if p.id not in completed]
    if missing:
        titles = ", ".join(prerequisite.title for prerequisite in missing)
        raise PrerequisiteMissing(f"You need to complete {titles} before you can enrol")
    _check_not_completed(course, learner, now)
    if course.requires_approval and learner.line_manager_id is None:
        raise NoLineManager(
            "This course needs your line manager's approval, but we do not know who your "
            "line manager is. Contact the PMO team to have it added."
        )


def _check_not_completed(course: Course, learner: User, now: datetime) -> None:
    """A learner who has completed a course does not take it again, unless the course
    allows recertification and their certificate (valid for the course's months from
    the completion) expires within CERTIFICATE_EXPIRY_NOTICE_DAYS, or has expired."""
    completed_at = db.session.scalar(
        select(func.max(Enrolment.ended_at))
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(
            Enrolment.learner_id == learner.id,
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Cohort.course_id == course.id,
        )
    )
    if completed_at is None:
        return
    months = course.certificate_validity_months
    if not course.allows_recertification or months is None:
        raise AlreadyCompleted("You have already completed this course")
    notice = timedelta(days=current_app.config["CERTIFICATE_EXPIRY_NOTICE_DAYS"])
    opens = add_months(to_local(completed_at).date(), months) - notice
    if local_today(now) < opens:
        raise AlreadyCompleted(
            "You have already completed this course. You can enrol again to renew your "
            f"certificate from {opens:%-d %B %Y}"
        )


def _existing(cohort_id: int, learner_id: int) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment).where(
            Enrolment.cohort_id == cohort_id, Enrolment.learner_id == learner_id
        )
    )


def _place(cohort: Cohort, enrolment: Enrolment, now: datetime) -> None:
    """Confirms the enrolment if a seat is free, otherwise waitlists it. Cohort must be locked."""
    if confirmed_count(cohort.id) < cohort.capacity:
        enrolment.status = EnrolmentStatus.CONFIRMED
        enrolment.confirmed_at = now
    else:
        enrolment.status = EnrolmentStatus.WAITLISTED


def _snapshot(enrolment: Enrolment) -> dict:
    return {"status": enrolment.status.value, "cohort": enrolment.cohort_id}


# --- transitions -----------------------------------------------------------------------


def enrol(
    cohort: Cohort,
    learner: User,
    *,
    by: User,
    now: datetime | None = None,
    on_behalf: bool = False,
) -> Enrolment:
    """Enrols a learner: confirmed while seats remain, otherwise waitlisted.

    A learner enrolling themself must pass every rule (window, prerequisites, course
    and cohort status); a course needing approval waits for their line manager. An
    admin enrolling someone else (or, with `on_behalf`, anyone on a list, themself
    included) skips the window, prerequisites and approval. Locks the cohort.
    """
    now = now or utcnow()
    acting_for_self = by.id == learner.id and not on_behalf
    cohort = lock_cohort(cohort.id)
    if acting_for_self:
        check_can_self_enrol(cohort, learner, now)
    elif not by.is_admin:
        raise NotAllowed("Only the PMO team can enrol other people")
    elif cohort.status in (CohortStatus.CANCELLED, CohortStatus.CLOSED):
        raise CohortCancelled("This cohort is no longer running")

    enrolment = _existing(cohort.id, learner.id)
    if enrolment is not None and enrolment.status not in ENDED:
        raise AlreadyEnrolled(
            "You are already enrolled on this cohort"
            if acting_for_self
            else f"{learner.full_name} is already enrolled on this cohort"
        )
    before = _snapshot(enrolment) if enrolment else None
    if enrolment is None:
        enrolment = Enrolment(cohort=cohort, learner=learner, status=EnrolmentStatus.WAITLISTED)
        db.session.add(enrolment)
    enrolment.requested_at = now
    enrolment.confirmed_at = enrolment.ended_at = enrolment.decided_by_id = None
    enrolment.decision_reason = None
    enrolment.reminder_sent_at = None

    if acting_for_self and cohort.course.requires_approval:
        enrolment.status = EnrolmentStatus.PENDING_APPROVAL
        db.session.flush()
        audit.record(by, "enrolment.requested", enrolment, before, _snapshot(enrolment))
        notifications.approval_requested(enrolment)
        return enrolment
    _place(cohort, enrolment, now)
    db.session.flush()
    audit.record(by, f"enrolment.{enrolment.status.value}", enrolment, before, _snapshot(enrolment))
    notifications.placed(enrolment, position=waitlist_positions([enrolment.id]).get(enrolment.id))
    return enrolment


def decide(
    enrolment: Enrolment, *, approve: bool, by: User, reason: str = "", now: datetime | None = None
) -> Enrolment:
    """The learner's line manager approves (seat or waitlist, by request time) or rejects."""
    now = now or utcnow()
    if enrolment.learner.line_manager_id != by.id:
        raise NotAllowed("Only the learner's line manager can decide this request")
    cohort = lock_cohort(enrolment.cohort_id)
    db.session.refresh(enrolment)
    if enrolment.status != EnrolmentStatus.PENDING_APPROVAL:
        raise InvalidTransition("This request has already been decided or withdrawn")
    before = _snapshot(enrolment)
    enrolment.decided_by = by
    enrolment.decision_reason = reason.strip() or None
    if approve:
        if cohort.status in (CohortStatus.CANCELLED, CohortStatus.CLOSED):
            raise CohortCancelled("This cohort is no longer running, so it cannot be approved")
        _place(cohort, enrolment, now)
        action = "enrolment.approved"
    else:
        if not enrolment.decision_reason:
            raise InvalidTransition("Give a reason for rejecting the request", field="reason")
        enrolment.status = EnrolmentStatus.REJECTED
        enrolment.ended_at = now
        action = "enrolment.rejected"
    db.session.flush()
    audit.record(by, action, enrolment, before, {**_snapshot(enrolment), "reason": reason})
    notifications.decided(enrolment)
    return enrolment


def cancel(enrolment: Enrolment, *, by: User, now: datetime | None = None) -> Enrolment:
    """The learner (or an admin) gives up a place: cancelled before the first session,
    withdrawn after it. A freed seat goes to the waitlist at once. Locks the cohort.
    """
    now = now or utcnow()
    if by.id != enrolment.learner_id and not by.is_admin:
        raise NotAllowed("You can only cancel your own enrolments")
    cohort = lock_cohort(enrolment.cohort_id)
    db.session.refresh(enrolment)
    if enrolment.status not in ACTIVE:
        raise InvalidTransition("This enrolment cannot be cancelled")
    before = _snapshot(enrolment)
    held_seat = enrolment.status == EnrolmentStatus.CONFIRMED
    started = (first := first_session_start(cohort.id)) is not None and first <= now
    enrolment.status = (
        EnrolmentStatus.WITHDRAWN if held_seat and started else EnrolmentStatus.CANCELLED
    )
    enrolment.ended_at = now
    db.session.flush()
    audit.record(by, f"enrolment.{enrolment.status.value}", enrolment, before, _snapshot(enrolment))
    notifications.ended(enrolment, by_learner=by.id == enrolment.learner_id)
    if held_seat:
        promote_from_waitlist(cohort, by=by, now=now, locked=True)
    return enrolment


def promote_from_waitlist(
    cohort: Cohort, *, by: User | None, now: datetime | None = None, locked: bool = False
) -> list[Enrolment]:
    """Offers free seats to the waitlist, first come first served, and tells each learner."""
    now = now or utcnow()
    if not locked:
        cohort = lock_cohort(cohort.id)
    if cohort.status in (CohortStatus.CANCELLED, CohortStatus.CLOSED):
        return []
    free = cohort.capacity - confirmed_count(cohort.id)
    if free <= 0:
        return []
    promoted = list(
        db.session.scalars(
            select(Enrolment)
            .where(Enrolment.cohort_id == cohort.id, Enrolment.status == EnrolmentStatus.WAITLISTED)
            .order_by(Enrolment.requested_at, Enrolment.id)
            .limit(free)
            .options(selectinload(Enrolment.learner))
        )
    )
    for enrolment in promoted:
        enrolment.status = EnrolmentStatus.CONFIRMED
        enrolment.confirmed_at = now
    db.session.flush()
    for enrolment in promoted:
        audit.record(
            by, "enrolment.promoted", enrolment, {"status": "waitlisted"}, {"status": "confirmed"}
        )
        notifications.promoted(enrolment)
    return promoted


# --- admin bulk enrolment --------------------------------------------------------------

# Each address takes the cohort's lock and queues mail, so one request stays short.
MAX_BULK_ADDRESSES = 1000
_BETWEEN_ADDRESSES = re.compile(r"[,;\s]+")


class TooManyAddresses(DomainError):
    """A bulk enrolment lists more different addresses than one request may enrol."""

    field = "emails"


@dataclass
class BulkLine:
    line: int
    email: str
    outcome: str  # enrolled, waitlisted, already enrolled, duplicate, not found, refused
    detail: str = ""


@dataclass
class BulkReport:
    lines: list[BulkLine] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for line in self.lines if line.outcome == outcome)


def bulk_entries(emails_text: str) -> list[tuple[int, str]]:
    """Each address listed, with its line number; addresses are separated by line breaks,
    commas, semicolons or spaces."""
    return [
        (number, email)
        for number, line in enumerate(emails_text.splitlines(), start=1)
        for email in _BETWEEN_ADDRESSES.split(line)
        if email
    ]


def enrol_many(cohort: Cohort, emails_text: str, *, by: User) -> BulkReport:
    """Enrols each listed address (`bulk_entries`). A list of more than
    MAX_BULK_ADDRESSES different addresses, however they are laid out, is refused whole."""
    report = BulkReport()
    entries = bulk_entries(emails_text)
    lowered = {email.lower() for _, email in entries}
    if len(lowered) > MAX_BULK_ADDRESSES:
        raise TooManyAddresses(
            f"Enrol at most {MAX_BULK_ADDRESSES:,} people at a time; "
            f"this list has {len(lowered):,} different addresses"
        )
    people = {
        user.email.lower(): user
        for user in db.session.scalars(select(User).where(func.lower(User.email).in_(lowered)))
    }
    seen: set[str] = set()
    for number, email in entries:
        learner = people.get(email.lower())
        if email.lower() in seen:
            report.lines.append(BulkLine(number, email, "duplicate", "listed earlier"))
            continue
        seen.add(email.lower())
        if learner is None or not learner.is_active:
            report.lines.append(BulkLine(number, email, "not found"))
            continue
        try:
            enrolment = enrol(cohort, learner, by=by, on_behalf=True)
        except AlreadyEnrolled:
            report.lines.append(BulkLine(number, email, "already enrolled"))
        except DomainError as error:
            report.lines.append(BulkLine(number, email, "refused", str(error)))
        else:
            outcome = "enrolled" if enrolment.status == EnrolmentStatus.CONFIRMED else "waitlisted"
            report.lines.append(BulkLine(number, email, outcome))
    return report
