"""Taking a session's register: who may mark it, saving marks in one bulk upsert, and
marking the still-unmarked absent once a session is long over.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import joinedload

from courses.attendance.expected import expected_at, expected_enrolments, record_of
from courses.attendance.warnings import send_attendance_warnings
from courses.cohorts.cohorts import may_manage
from courses.models import (
    AttendanceMethod,
    AttendanceRecord,
    AttendanceStatus,
    CohortStatus,
    Enrolment,
    Session,
)
from lms.audit import audit
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db

NOTE_LENGTH = 500


class AttendanceError(DomainError):
    """An attendance rule refused the change; the message says why."""


class RegisterClosed(AttendanceError):
    pass


class NotExpected(AttendanceError):
    pass


@dataclass
class RegisterRow:
    enrolment: Enrolment
    record: AttendanceRecord | None


def register_rows(session: Session) -> list[RegisterRow]:
    """One row per expected learner with their record, if any, in two statements."""
    enrolments = expected_enrolments(session)
    records = {
        record.enrolment_id: record
        for record in db.session.scalars(
            select(AttendanceRecord)
            .where(AttendanceRecord.session_id == session.id)
            .options(joinedload(AttendanceRecord.marked_by))
        )
    }
    return [RegisterRow(enrolment, records.get(enrolment.id)) for enrolment in enrolments]


def may_mark(session: Session, user: User) -> bool:
    """Trainers of the cohort and admins, until the cohort closes; then admins only."""
    if session.cohort.status == CohortStatus.CLOSED:
        return user.is_admin
    return may_manage(user, session.cohort)


def needs_reason(session: Session) -> bool:
    """Changing a closed cohort's register must say why."""
    return session.cohort.status == CohortStatus.CLOSED


Mark = tuple[AttendanceStatus | str, str | None]


def _check_may_mark(session: Session, by: User, reason: str | None) -> None:
    cohort = session.cohort
    if session.cancelled:
        raise AttendanceError("This session was cancelled, so it has no register")
    if cohort.status == CohortStatus.CANCELLED:
        raise AttendanceError("This cohort was cancelled, so its registers cannot change")
    if cohort.status == CohortStatus.CLOSED:
        if not by.is_admin:
            raise RegisterClosed(
                "This cohort is closed. Only the PMO team can change its registers now"
            )
        if not (reason or "").strip():
            raise RegisterClosed(
                "Enter the reason for changing the register of a closed cohort", field="reason"
            )
    elif not may_manage(by, cohort):
        raise RegisterClosed("Only the cohort's trainers and the PMO team can mark its register")


def _clean_marks(marks: Mapping[int, Mark]) -> dict[int, tuple[AttendanceStatus, str | None]]:
    cleaned = {}
    for enrolment_id, (status, note) in marks.items():
        note = (note or "").strip() or None
        if note is not None and len(note) > NOTE_LENGTH:
            raise AttendanceError(f"Notes must be {NOTE_LENGTH} characters or fewer")
        try:
            cleaned[int(enrolment_id)] = (AttendanceStatus(status), note)
        except ValueError as error:
            raise AttendanceError("Choose a status from the list for each learner") from error
    return cleaned


def _upsert_for_this_database():
    """The dialect's INSERT, which knows ON CONFLICT (PostgreSQL and SQLite alike)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return postgresql.insert
    return sqlite.insert


def _upsert(rows: list[dict]) -> None:
    """Inserts or updates many records in one statement, keyed by (session, enrolment)."""
    statement = _upsert_for_this_database()(AttendanceRecord).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[AttendanceRecord.session_id, AttendanceRecord.enrolment_id],
        set_={
            name: statement.excluded[name]
            for name in ("status", "note", "method", "marked_by_id", "marked_at")
        },
    )
    db.session.execute(statement)


def mark_register(
    session: Session,
    marks: Mapping[int, Mark],
    *,
    by: User,
    now: datetime,
    reason: str | None = None,
) -> int:
    """Saves a session's register in one bulk statement; returns how many records changed.

    `marks` maps enrolment ids to (status, note); learners left out stay as they are.
    Only learners expected at the session can be marked. Trainers of the cohort and admins
    may mark it until the cohort closes; after that only admins, giving a `reason`.
    Rows whose status and note are unchanged are not written, so saving twice changes
    nothing, and a learner who checked in keeps that record. Each change writes one audit
    event with its before and after. Flushes; the caller commits.
    """
    _check_may_mark(session, by, reason)
    wanted = _clean_marks(marks)
    if not wanted:
        return 0
    _check_expected(session, wanted.keys())
    existing = _current_marks(session, wanted.keys())
    changed = {
        enrolment_id: mark
        for enrolment_id, mark in wanted.items()
        if enrolment_id not in existing
        or (existing[enrolment_id].status, existing[enrolment_id].note) != mark
    }
    if not changed:
        return 0
    _upsert(
        [
            {
                "session_id": session.id,
                "enrolment_id": enrolment_id,
                "status": status,
                "note": note,
                "method": AttendanceMethod.REGISTER,
                "marked_by_id": by.id,
                "marked_at": now,
            }
            for enrolment_id, (status, note) in changed.items()
        ]
    )
    _audit_changes(session, changed, existing, by, (reason or "").strip() or None)
    send_attendance_warnings(session.cohort, now)
    return len(changed)


def _check_expected(session: Session, enrolment_ids: Iterable[int]) -> None:
    ids = list(enrolment_ids)
    expected = set(
        db.session.scalars(
            select(Enrolment.id).where(
                Enrolment.id.in_(ids), expected_at(session.starts_at, session.cohort_id)
            )
        )
    )
    if stray := set(ids) - expected:
        raise NotExpected(
            f"{len(stray)} of the learners marked {'is' if len(stray) == 1 else 'are'} not "
            "expected at this session. Reload the register and try again"
        )


def _current_marks(session: Session, enrolment_ids: Iterable[int]) -> dict:
    """(status, note) rows of the records these learners already have at the session."""
    return {
        row.enrolment_id: row
        for row in db.session.execute(
            select(
                AttendanceRecord.enrolment_id, AttendanceRecord.status, AttendanceRecord.note
            ).where(
                AttendanceRecord.session_id == session.id,
                AttendanceRecord.enrolment_id.in_(list(enrolment_ids)),
            )
        )
    }


def _audit_changes(session, changed: dict, existing: dict, by: User, reason: str | None) -> None:
    """One audit event per changed record, in one INSERT, with its before and after."""
    records = db.session.scalars(
        select(AttendanceRecord)
        .where(
            AttendanceRecord.session_id == session.id,
            AttendanceRecord.enrolment_id.in_(changed),
        )
        .execution_options(populate_existing=True)
    )
    events = []
    for record in records:
        before = existing.get(record.enrolment_id)
        after = {"status": record.status, "note": record.note}
        if reason:
            after["reason"] = reason
        if before is None:
            ids = {"session_id": session.id, "enrolment_id": record.enrolment_id}
            events.append(audit.build(by, "attendance.marked", record, None, ids | after))
        else:
            was = {"status": before.status, "note": before.note}
            events.append(audit.build(by, "attendance.changed", record, was, after))
    audit.record_many(events)


def mark_unmarked_absent(now: datetime, *, after: timedelta | None = None) -> int:
    """Marks absent everyone still unmarked `after` (AUTO_ABSENT_AFTER_HOURS) a session
    ended; returns how many.

    One INSERT ... SELECT: only learners expected at the session (never someone who
    enrolled later), never over an existing record (an excused learner stays excused),
    and idempotent even when two ticks run at once. Each record is audited.
    """
    if after is None:
        after = timedelta(hours=current_app.config["AUTO_ABSENT_AFTER_HOURS"])
    status_type = AttendanceRecord.__table__.c.status.type
    method_type = AttendanceRecord.__table__.c.method.type
    marked_at_type = AttendanceRecord.__table__.c.marked_at.type
    unmarked = (
        select(
            Session.id,
            Enrolment.id,
            literal(AttendanceStatus.ABSENT, status_type),
            literal(AttendanceMethod.AUTOMATIC, method_type),
            literal(now, marked_at_type),
        )
        .join(Enrolment, expected_at(Session.starts_at, Session.cohort_id))
        .where(
            Session.cancelled.is_(False),
            Session.ends_at < now - after,
            ~exists().where(
                AttendanceRecord.session_id == Session.id,
                AttendanceRecord.enrolment_id == Enrolment.id,
            ),
        )
    )
    statement = (
        _upsert_for_this_database()(AttendanceRecord)
        .from_select(["session_id", "enrolment_id", "status", "method", "marked_at"], unmarked)
        .on_conflict_do_nothing(
            index_elements=[AttendanceRecord.session_id, AttendanceRecord.enrolment_id]
        )
        .returning(AttendanceRecord.id)
    )
    ids = list(db.session.scalars(statement))
    if not ids:
        return 0
    audit.record_many(
        [
            audit.build(
                None,
                "attendance.marked_absent_automatically",
                record,
                None,
                {
                    "session_id": record.session_id,
                    "enrolment_id": record.enrolment_id,
                    "status": record.status,
                },
            )
            for record in db.session.scalars(
                select(AttendanceRecord).where(AttendanceRecord.id.in_(ids))
            )
        ]
    )
    return len(ids)


def session_counts(session_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(marked, expected) for each session, in one query; sessions nobody is expected at
    are left out.
    """
    ids = list(session_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Session.id, func.count(AttendanceRecord.id), func.count(Enrolment.id))
        .join(Enrolment, expected_at(Session.starts_at, Session.cohort_id))
        .outerjoin(AttendanceRecord, record_of(Session.id, Enrolment.id))
        .where(Session.id.in_(ids))
        .group_by(Session.id)
    )
    return {session_id: (marked, expected) for session_id, marked, expected in rows}
