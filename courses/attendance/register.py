"""Taking a session's register: who may mark it, saving marks in one bulk upsert, and
marking the still-unmarked absent once a session is long over.

A register is saved against the records as the person saw them (`SeenRecord`, carried
in the page): if a learner checked in, or someone else saved a different mark, after the
page was loaded, the save is refused whole and says whose marks changed, so no mark is
ever overwritten by a page that did not show it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, literal, select
from sqlalchemy.orm import aliased, joinedload

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
from lms.core.db import insert_on_conflict
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.timezones import format_local

NOTE_LENGTH = 500


class AttendanceError(DomainError):
    """An attendance rule refused the change; the message says why."""


class RegisterClosed(AttendanceError):
    pass


class NotExpected(AttendanceError):
    pass


@dataclass(frozen=True)
class RowProblem:
    """One learner's part of a refusal, shown beside their row (`field`)."""

    field: str | None
    message: str


class RegisterChanged(AttendanceError):
    """Some learners' marks changed after the register was loaded, so nothing was saved.

    `enrolment_ids` are theirs; `problems` says so once for the page, naming them, and
    once beside each of their rows with their mark as it is now.
    """

    def __init__(self, changes: list[tuple[int, str, str]]):
        """`changes`: (enrolment id, learner's name, what their record says now)."""
        names = [name for _, name, _ in changes]
        if len(names) == 1:
            summary = (
                f"Nothing has been saved, because {names[0]}'s mark changed after you opened "
                "the register. The register now shows their mark as it is now. Check it, "
                "then save again"
            )
        else:
            listed = f"{', '.join(names[:-1])} and {names[-1]}"
            summary = (
                f"Nothing has been saved, because the marks of {listed} changed after you "
                "opened the register. The register now shows their marks as they are now. "
                "Check them, then save again"
            )
        super().__init__(summary)
        self.enrolment_ids = frozenset(enrolment_id for enrolment_id, _, _ in changes)
        self.problems = (
            RowProblem(None, summary),
            *(
                RowProblem(
                    f"status_{enrolment_id}",
                    f"{name}'s mark changed after you opened the register. It is now {now}",
                )
                for enrolment_id, name, now in changes
            ),
        )


class RegisterOutOfDate(AttendanceError):
    def __init__(self):
        super().__init__(
            "The register could not be checked against what you saw, so nothing was saved. "
            "Open the register again and mark it"
        )


@dataclass(frozen=True)
class SeenRecord:
    """A learner's attendance record as the person marking the register saw it."""

    id: int
    version: int

    @classmethod
    def of(cls, record) -> SeenRecord | None:
        """The record as seen now; None for a learner with no record yet."""
        return None if record is None else cls(record.id, record.version)


# enrolment id -> the record the page showed for the learner (None: no record yet)
Seen = Mapping[int, SeenRecord | None]


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


def check_may_mark(session: Session, by: User, reason: str | None = None) -> None:
    """Refuses (AttendanceError) unless `by` may change the session's register now."""
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


def _upsert(rows: list[dict]) -> set[int]:
    """Inserts or updates many records in one statement, keyed by (session, enrolment);
    returns the enrolment ids it wrote.

    Each row carries the version it gives the record: one more than the version it was
    read at (1 for a new record). A record is only updated while it still has the version
    read, and a new one only inserted while there is none, so a change made by someone
    else in the meantime leaves that row unwritten rather than overwritten.
    """
    statement = insert_on_conflict(db.session, AttendanceRecord).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[AttendanceRecord.session_id, AttendanceRecord.enrolment_id],
        set_={
            name: statement.excluded[name]
            for name in ("status", "note", "method", "marked_by_id", "marked_at", "version")
        },
        where=AttendanceRecord.version == statement.excluded.version - 1,
    ).returning(AttendanceRecord.enrolment_id)
    return set(db.session.scalars(statement))


def mark_register(
    session: Session,
    marks: Mapping[int, Mark],
    *,
    by: User,
    now: datetime,
    reason: str | None = None,
    seen: Seen | None = None,
) -> int:
    """Saves a session's register in one bulk statement; returns how many records changed.

    `marks` maps enrolment ids to (status, note); learners left out stay as they are.
    Only learners expected at the session can be marked. Trainers of the cohort and admins
    may mark it until the cohort closes; after that only admins, giving a `reason`.
    Rows whose status and note are unchanged are not written, so saving twice changes
    nothing, and a learner who checked in keeps that record. Each change writes one audit
    event with its before and after. Flushes; the caller commits.

    `seen` gives, for every learner marked, the record the page showed (None: none yet).
    If any of them has changed since and the save would change it again, nothing is
    saved: RegisterChanged names them. A record changed to what the save asks for anyway
    is no clash. Without `seen`, the records as read here are what the save is checked
    against, so a change made while it runs is still never overwritten.
    """
    check_may_mark(session, by, reason)
    wanted = _clean_marks(marks)
    if not wanted:
        return 0
    _check_expected(session, wanted.keys())
    existing = _current_marks(session, wanted.keys())
    if seen is not None:
        _refuse_stale(session, wanted, existing, seen)
    changed = {
        enrolment_id: mark
        for enrolment_id, mark in wanted.items()
        if enrolment_id not in existing
        or (existing[enrolment_id].status, existing[enrolment_id].note) != mark
    }
    if not changed:
        return 0
    written = _upsert(
        [
            {
                "session_id": session.id,
                "enrolment_id": enrolment_id,
                "status": status,
                "note": note,
                "method": AttendanceMethod.REGISTER,
                "marked_by_id": by.id,
                "marked_at": now,
                "version": existing[enrolment_id].version + 1 if enrolment_id in existing else 1,
            }
            for enrolment_id, (status, note) in changed.items()
        ]
    )
    if unwritten := set(changed) - written:  # changed by someone else since read above
        raise RegisterChanged(_changes(session, unwritten))
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


def _refuse_stale(session: Session, wanted: dict, existing: dict, seen: Seen) -> None:
    """Refuses the save if a learner's record is not the one the page showed and the save
    would change it (RegisterChanged), or if the page did not say what it showed."""
    stale = []
    for enrolment_id, mark in wanted.items():
        if enrolment_id not in seen:
            raise RegisterOutOfDate()
        now = existing.get(enrolment_id)
        if SeenRecord.of(now) == seen[enrolment_id]:
            continue
        if now is None or (now.status, now.note) != mark:
            stale.append(enrolment_id)
    if stale:
        raise RegisterChanged(_changes(session, stale))


def _changes(session: Session, enrolment_ids: Iterable[int]) -> list[tuple[int, str, str]]:
    """(enrolment id, name, what their record says now) for these learners, by name."""
    marker = aliased(User)
    rows = db.session.execute(
        select(Enrolment.id, User.full_name, AttendanceRecord, marker.full_name)
        .join(User, User.id == Enrolment.learner_id)
        .outerjoin(
            AttendanceRecord,
            (AttendanceRecord.enrolment_id == Enrolment.id)
            & (AttendanceRecord.session_id == session.id),
        )
        .outerjoin(marker, marker.id == AttendanceRecord.marked_by_id)
        .where(Enrolment.id.in_(list(enrolment_ids)))
        .order_by(User.full_name, Enrolment.id)
        .execution_options(populate_existing=True)
    )
    return [
        (enrolment_id, name, _describe(record, marked_by))
        for enrolment_id, name, record, marked_by in rows
    ]


def _describe(record: AttendanceRecord | None, marked_by: str | None = None) -> str:
    """A record in a few words: "present (checked in at 09:02)", "not marked"."""
    if record is None:
        return "not marked"
    status = record.status.label.lower()
    if record.method == AttendanceMethod.SELF_CHECK_IN:
        return f"{status} (checked in at {format_local(record.marked_at, '%H:%M')})"
    if record.method == AttendanceMethod.AUTOMATIC:
        return f"{status} (marked automatically)"
    return f"{status} (marked by {marked_by or 'someone no longer here'})"


def _current_marks(session: Session, enrolment_ids: Iterable[int]) -> dict:
    """(id, version, status, note) rows of the records these learners already have."""
    return {
        row.enrolment_id: row
        for row in db.session.execute(
            select(
                AttendanceRecord.enrolment_id,
                AttendanceRecord.id,
                AttendanceRecord.version,
                AttendanceRecord.status,
                AttendanceRecord.note,
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
    # A note may say why someone was absent (their health, say): the audit log, which is
    # kept for good, records that a note was written or changed, never what it says.
    events = []
    for record in records:
        before = existing.get(record.enrolment_id)
        after = {"status": record.status, "has_note": record.note is not None}
        if reason:
            after["reason"] = reason
        if before is None:
            ids = {"session_id": session.id, "enrolment_id": record.enrolment_id}
            events.append(audit.build(by, "attendance.marked", record, None, ids | after))
        else:
            was = {"status": before.status, "has_note": before.note is not None}
            if before.note != record.note:
                after["note_changed"] = True
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
        insert_on_conflict(db.session, AttendanceRecord)
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
