"""Running cohorts: their details, seats, trainers, status and dated sessions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import case, false, func, null, select
from sqlalchemy.orm import selectinload

# The access rules live in access.py, which enrolment's mail can import without this
# module (which stands on enrolment); callers keep importing may_manage from here too.
from courses.cohorts.access import may_manage as may_manage
from courses.cohorts.sessions import is_held, session_dates
from courses.enrolment.enrolment import (
    ACTIVE,
    confirmed_count,
    lock_cohort,
    notifications,
    promote_from_waitlist,
)
from courses.models import (
    Cohort,
    CohortStatus,
    Course,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    Session,
    cohort_trainer,
)
from lms.audit import audit
from lms.auth.models import Role, User, UserRole
from lms.core.db import utcnow
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.timezones import LONDON

COHORT_CODE = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$", re.ASCII)


class CohortError(DomainError):
    pass


def london_to_utc(day: date, clock: time, *, field_name: str) -> datetime:
    """A wall-clock time in London as a UTC instant; refuses times the clocks skip."""
    local = datetime.combine(day, clock, tzinfo=LONDON)
    instant = local.astimezone(UTC)
    if instant.astimezone(LONDON).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise CohortError(
            "That time does not exist in the UK because the clocks go forward. "
            "Choose a time after 2am",
            field=field_name,
        )
    return instant


def teaching_trainers(cohort: Cohort) -> list[User]:
    """The cohort's trainers who still hold the trainer role: the ones named to learners
    and told about the cohort (their roles load with them: `User.role_grants` is selectin)."""
    return [trainer for trainer in cohort.trainers if trainer.is_trainer]


def managed_cohorts(user: User, now: datetime):
    """Cohorts this person may manage (as `may_manage` decides): those not finished yet
    first, soonest first (cohorts without sessions after them), then finished ones, the
    latest first; the caller paginates. A trainer's dates are worked out for their own
    cohorts only."""
    if not (user.is_admin or user.is_trainer):
        return select(Cohort).where(false())
    taught = (
        None
        if user.is_admin
        else select(cohort_trainer.c.cohort_id).where(cohort_trainer.c.user_id == user.id)
    )
    dates = session_dates(taught)
    finished = dates.c.ends_at < now
    query = (
        select(Cohort)
        .outerjoin(dates, dates.c.cohort_id == Cohort.id)
        .options(selectinload(Cohort.course), selectinload(Cohort.trainers))
        .order_by(
            case((finished, 1), else_=0),
            case((finished, null()), else_=dates.c.starts_at).asc().nulls_last(),
            dates.c.starts_at.desc(),
            Cohort.code,
        )
    )
    return query if taught is None else query.where(Cohort.id.in_(taught))


def trainers_available():
    return (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.TRAINER, User.is_active_account.is_(True))
        .order_by(User.full_name)
    )


@dataclass
class CohortDetails:
    code: str
    capacity: int
    enrolment_opens_at: datetime | None = None
    enrolment_closes_at: datetime | None = None
    venue: str | None = None
    online_link: str | None = None
    trainer_ids: list[int] = field(default_factory=list)


def _snapshot(cohort: Cohort) -> dict:
    return {
        "code": cohort.code,
        "capacity": cohort.capacity,
        "enrolment_opens_at": cohort.enrolment_opens_at,
        "enrolment_closes_at": cohort.enrolment_closes_at,
        "venue": cohort.venue,
        "online_link": cohort.online_link,
        "status": cohort.status.value,
        "trainers": sorted(trainer.email for trainer in cohort.trainers),
    }


def _validate(details: CohortDetails, cohort: Cohort | None) -> list[User]:
    code = details.code.strip().upper()
    if not code:
        raise CohortError("Enter a cohort code", field="code")
    if not COHORT_CODE.match(code):
        raise CohortError(
            "Cohort code can only contain letters, numbers and hyphens, like PM-OCC-2026-1",
            field="code",
        )
    clash = db.session.scalar(select(Cohort).where(func.upper(Cohort.code) == code))
    if clash is not None and clash is not cohort:
        raise CohortError("Another cohort already has this code", field="code")
    if details.capacity < 1:
        raise CohortError("Capacity must be at least 1", field="capacity")
    if (
        details.enrolment_opens_at
        and details.enrolment_closes_at
        and details.enrolment_closes_at <= details.enrolment_opens_at
    ):
        raise CohortError("Enrolment must close after it opens", field="closes_date")
    current = {trainer.id: trainer for trainer in cohort.trainers} if cohort else {}
    wanted = set(details.trainer_ids)
    # Someone who has since lost the trainer role stays on the lists they are already on
    # (saving the form does not drop them), though may_manage no longer lets them in.
    trainers = [current[i] for i in wanted & current.keys()]
    trainers += db.session.scalars(
        trainers_available().where(User.id.in_(wanted - current.keys()))
    ).all()
    if len(trainers) != len(wanted):
        raise CohortError("Choose trainers from the list", field="trainer_ids")
    return trainers


def create_cohort(course: Course, details: CohortDetails, *, by: User) -> Cohort:
    """A new cohort of a published or draft course; a trainer creating one teaches it."""
    if course.status == CourseStatus.ARCHIVED:
        raise CohortError("This course is archived, so it cannot have new cohorts")
    if not (by.is_admin or by.is_trainer):
        raise CohortError("Only the PMO team and trainers can create cohorts")
    trainers = _validate(details, None)
    if not by.is_admin and all(trainer.id != by.id for trainer in trainers):
        trainers.append(by)
    cohort = Cohort(
        course=course,
        code=details.code.strip().upper(),
        capacity=details.capacity,
        enrolment_opens_at=details.enrolment_opens_at,
        enrolment_closes_at=details.enrolment_closes_at,
        venue=(details.venue or "").strip() or None,
        online_link=(details.online_link or "").strip() or None,
        trainers=trainers,
    )
    db.session.add(cohort)
    db.session.flush()
    audit.record(by, "cohort.created", cohort, None, _snapshot(cohort))
    return cohort


def update_cohort(cohort: Cohort, details: CohortDetails, *, by: User) -> None:
    """Changes a cohort; capacity can rise (the waitlist moves up) but never below the
    number already confirmed. Locks the cohort.
    """
    trainers = _validate(details, cohort)
    cohort = lock_cohort(cohort.id)
    confirmed = confirmed_count(cohort.id)
    if details.capacity < confirmed:
        raise CohortError(
            f"Capacity cannot be lower than the {confirmed} places already confirmed",
            field="capacity",
        )
    before = _snapshot(cohort)
    grew = details.capacity > cohort.capacity
    cohort.code = details.code.strip().upper()
    cohort.capacity = details.capacity
    cohort.enrolment_opens_at = details.enrolment_opens_at
    cohort.enrolment_closes_at = details.enrolment_closes_at
    cohort.venue = (details.venue or "").strip() or None
    cohort.online_link = (details.online_link or "").strip() or None
    cohort.trainers = trainers
    after = _snapshot(cohort)
    audit.record_changes(by, "cohort.updated", cohort, before, after)
    if grew:
        promote_from_waitlist(cohort, by=by, locked=True)


# Closing decides every learner's completion, so it is not a plain move: it goes through
# courses.cohorts.closing (close_cohort, and reopen_cohort back to running).
ALLOWED_STATUS_CHANGES = {
    CohortStatus.PLANNED: {CohortStatus.OPEN, CohortStatus.CANCELLED},
    CohortStatus.OPEN: {CohortStatus.PLANNED, CohortStatus.RUNNING, CohortStatus.CANCELLED},
    CohortStatus.RUNNING: {CohortStatus.CANCELLED},
    CohortStatus.CLOSED: set(),
    CohortStatus.CANCELLED: set(),
}


def change_status(cohort: Cohort, status: CohortStatus, *, by: User) -> None:
    """Moves a cohort along planned → open → running, or cancels it (closing is
    `courses.cohorts.closing.close_cohort`).

    Cancelling ends every pending, confirmed and waitlisted enrolment and tells each
    learner. Locks the cohort.
    """
    cohort = lock_cohort(cohort.id)
    if status not in ALLOWED_STATUS_CHANGES[cohort.status]:
        raise CohortError(f"A {cohort.status.value} cohort cannot become {status.value}")
    before = cohort.status
    cohort.status = status
    audit.record(by, f"cohort.{status.value}", cohort, {"status": before}, {"status": status})
    if status == CohortStatus.CANCELLED:
        now = utcnow()
        affected = list(
            db.session.scalars(
                select(Enrolment)
                .where(Enrolment.cohort_id == cohort.id, Enrolment.status.in_(ACTIVE))
                .options(selectinload(Enrolment.learner))
            )
        )
        for enrolment in affected:
            previous = enrolment.status
            enrolment.status = EnrolmentStatus.CANCELLED
            enrolment.ended_at = now
            audit.record(
                by,
                "enrolment.cancelled_with_cohort",
                enrolment,
                {"status": previous},
                {"status": enrolment.status},
            )
            notifications.cohort_cancelled(enrolment)


@dataclass
class SessionDetails:
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str | None = None


def sessions_may_change(cohort: Cohort) -> bool:
    """A closed or cancelled cohort's sessions are history: none is added, changed or
    cancelled. Pages offer those buttons only when this says so."""
    return cohort.status not in (CohortStatus.CLOSED, CohortStatus.CANCELLED)


def may_change_session(session: Session) -> bool:
    """The session can still be changed or cancelled: it is held, and its cohort's
    sessions may change."""
    return is_held(session) and sessions_may_change(session.cohort)


def _check_session(cohort: Cohort, details: SessionDetails) -> None:
    if not sessions_may_change(cohort):
        raise CohortError(f"This cohort is {cohort.status.value}, so its sessions cannot change")
    if not details.title.strip():
        raise CohortError("Enter a title for the session", field="title")
    if details.ends_at <= details.starts_at:
        raise CohortError("The session must end after it starts", field="end_time")


def add_session(cohort: Cohort, details: SessionDetails, *, by: User) -> Session:
    _check_session(cohort, details)
    session = Session(
        cohort=cohort,
        title=details.title.strip(),
        starts_at=details.starts_at,
        ends_at=details.ends_at,
        location=(details.location or "").strip() or None,
    )
    db.session.add(session)
    db.session.flush()
    audit.record(by, "session.created", session, None, _session_snapshot(session))
    return session


def update_session(session: Session, details: SessionDetails, *, by: User) -> None:
    if session.cancelled:
        raise CohortError("This session has been cancelled, so it cannot be changed")
    _check_session(session.cohort, details)
    before = _session_snapshot(session)
    session.title = details.title.strip()
    session.starts_at = details.starts_at
    session.ends_at = details.ends_at
    session.location = (details.location or "").strip() or None
    audit.record_changes(by, "session.updated", session, before, _session_snapshot(session))


def cancel_session(session: Session, *, by: User) -> None:
    """Cancels one session; it then shows as cancelled in calendars and leaves the rates."""
    if session.cancelled:
        return
    if not sessions_may_change(session.cohort):
        raise CohortError(
            f"This cohort is {session.cohort.status.value}, so its sessions cannot change"
        )
    session.cancelled = True
    audit.record(by, "session.cancelled", session, {"cancelled": False}, {"cancelled": True})


def _session_snapshot(session: Session) -> dict:
    return {
        "title": session.title,
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "location": session.location,
    }
