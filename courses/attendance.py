"""Attendance: who is expected at each session, the register, rates and warnings.

A learner is *expected* at a session when their place was confirmed on or before the
session started and they had not left the cohort by then. Only expected learners can
be marked, are marked absent automatically, and count in their rate: someone who
enrolled after a session is never absent from it.

The same rule is written twice, once as SQL (`_expected`) for the bulk statements and
the aggregates, and once in Python (`is_expected`) for the grid; keep them together.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

from flask import current_app
from sqlalchemy import (
    and_,
    case,
    distinct,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased, joinedload, selectinload

from courses import cohorts
from courses.models import (
    AttendanceMethod,
    AttendanceRecord,
    AttendanceStatus,
    Cohort,
    CohortStatus,
    Course,
    Enrolment,
    EnrolmentStatus,
    Session,
)
from lms import audit
from lms.auth.models import User
from lms.domain import DomainError
from lms.extensions import db
from lms.outbox import queue_mail
from lms.urls import external_url

S = EnrolmentStatus
A = AttendanceStatus
ATTENDED = tuple(status for status in AttendanceStatus if status.attended)
# Statuses of a learner who kept their place to the end of the cohort (or still holds it).
STAYED = (S.CONFIRMED, S.COMPLETED, S.NOT_COMPLETED)
# Statuses of a learner who left part-way: expected only at sessions before they left.
LEFT = (S.WITHDRAWN, S.CANCELLED)
NOTE_LENGTH = 500


class AttendanceError(DomainError):
    """An attendance rule refused the change; the message says why."""


class RegisterClosed(AttendanceError):
    pass


class NotExpected(AttendanceError):
    pass


# --- who is expected -----------------------------------------------------------------------


def _expected(starts_at, cohort_id):
    """SQL: the enrolment was confirmed for a session of `cohort_id` starting at `starts_at`.

    Both arguments may be columns (for joins across many sessions) or plain values.
    """
    return and_(
        Enrolment.cohort_id == cohort_id,
        Enrolment.confirmed_at <= starts_at,
        or_(
            Enrolment.status.in_(STAYED),
            and_(Enrolment.status.in_(LEFT), Enrolment.ended_at > starts_at),
        ),
    )


def is_expected(enrolment: Enrolment, session: Session) -> bool:
    """The Python twin of `_expected`, for pages that already hold both objects."""
    if enrolment.confirmed_at is None or enrolment.confirmed_at > session.starts_at:
        return False
    if enrolment.status in STAYED:
        return True
    return (
        enrolment.status in LEFT
        and enrolment.ended_at is not None
        and enrolment.ended_at > session.starts_at
    )


def expected_query(session: Session):
    """The enrolments expected at `session`, by learner name, learners loaded."""
    return (
        select(Enrolment)
        .join(User, User.id == Enrolment.learner_id)
        .where(_expected(session.starts_at, session.cohort_id))
        .order_by(User.full_name, Enrolment.id)
        .options(joinedload(Enrolment.learner))
    )


def expected_enrolments(session: Session) -> list[Enrolment]:
    """Everyone confirmed for `session`: confirmed on or before it started, and still on
    the cohort then (a withdrawn learner is expected only at sessions before they left).
    """
    return list(db.session.scalars(expected_query(session)))


def cohort_learners(cohort: Cohort):
    """Enrolments expected at one or more of the cohort's sessions, by name; the caller
    paginates. These are the rows of the attendance grid.
    """
    return (
        select(Enrolment)
        .join(User, User.id == Enrolment.learner_id)
        .where(
            Enrolment.cohort_id == cohort.id,
            exists().where(
                Session.cohort_id == cohort.id,
                Session.cancelled.is_(False),
                _expected(Session.starts_at, Session.cohort_id),
            ),
        )
        .order_by(User.full_name, Enrolment.id)
        .options(joinedload(Enrolment.learner))
    )


# --- the register --------------------------------------------------------------------------


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
    return cohorts.may_manage(user, session.cohort)


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
    elif not cohorts.may_manage(by, cohort):
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
    expected = set(
        db.session.scalars(
            select(Enrolment.id).where(
                Enrolment.id.in_(wanted), _expected(session.starts_at, session.cohort_id)
            )
        )
    )
    if stray := wanted.keys() - expected:
        raise NotExpected(
            f"{len(stray)} of the learners marked {'is' if len(stray) == 1 else 'are'} not "
            "expected at this session. Reload the register and try again"
        )
    existing = {
        row.enrolment_id: row
        for row in db.session.execute(
            select(
                AttendanceRecord.enrolment_id, AttendanceRecord.status, AttendanceRecord.note
            ).where(
                AttendanceRecord.session_id == session.id,
                AttendanceRecord.enrolment_id.in_(wanted),
            )
        )
    }
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
    records = db.session.scalars(
        select(AttendanceRecord)
        .where(
            AttendanceRecord.session_id == session.id,
            AttendanceRecord.enrolment_id.in_(changed),
        )
        .execution_options(populate_existing=True)
    )
    reason = (reason or "").strip() or None
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
    send_attendance_warnings(session.cohort, now)
    return len(changed)


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
        .join(Enrolment, _expected(Session.starts_at, Session.cohort_id))
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


# --- rates ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rate:
    """Attendance so far: `attended` of `counted` sessions (held, less the excused ones)."""

    held: int = 0  # sessions held so far at which the learner was expected
    attended: int = 0  # present, late or left early
    excused: int = 0
    marked: int = 0  # sessions with a record of any status

    @property
    def counted(self) -> int:
        return self.held - self.excused

    @property
    def not_attended(self) -> int:
        """Absent, or held but not marked."""
        return self.counted - self.attended

    @property
    def unmarked(self) -> int:
        return self.held - self.marked

    @property
    def percent(self) -> Decimal | None:
        if self.counted <= 0:
            return None
        return Decimal(self.attended * 100) / Decimal(self.counted)

    def below(self, threshold: int) -> bool:
        """Below `threshold` percent, compared exactly (no rounding)."""
        return self.counted > 0 and self.attended * 100 < threshold * self.counted

    @property
    def label(self) -> str:
        """The whole percentage, rounded down so a rate never looks higher than it is."""
        if self.held == 0:
            return "No sessions held yet"
        if self.percent is None:
            return "All sessions excused"
        return f"{self.percent.to_integral_value(rounding=ROUND_FLOOR)}%"


def _attended_sum():
    return func.coalesce(func.sum(case((AttendanceRecord.status.in_(ATTENDED), 1), else_=0)), 0)


def _excused_sum():
    return func.coalesce(func.sum(case((AttendanceRecord.status == A.EXCUSED, 1), else_=0)), 0)


def _record_of(session_id, enrolment_id):
    return and_(
        AttendanceRecord.session_id == session_id, AttendanceRecord.enrolment_id == enrolment_id
    )


def attendance_rates(enrolment_ids: Iterable[int], now: datetime) -> dict[int, Rate]:
    """Each enrolment's attendance so far, for many enrolments in one aggregate query.

    Attendance % = sessions attended (present, late or left early) ÷ sessions held so
    far. A session counts as held once it has started, unless it was cancelled, and only
    if the learner was expected at it (confirmed by its start, not yet withdrawn).
    Excused sessions leave the denominator; absent and held-but-unmarked sessions count
    as not attended. `Rate.percent` is None while nothing counts. Every id asked for
    gets a Rate. This is the rule completion uses.
    """
    ids = list(dict.fromkeys(enrolment_ids))
    rates = {enrolment_id: Rate() for enrolment_id in ids}
    if not ids:
        return rates
    rows = db.session.execute(
        select(
            Enrolment.id,
            func.count(Session.id),
            _attended_sum(),
            _excused_sum(),
            func.count(AttendanceRecord.id),
        )
        .join(
            Session,
            and_(
                Session.cancelled.is_(False),
                Session.starts_at < now,
                _expected(Session.starts_at, Session.cohort_id),
            ),
        )
        .outerjoin(AttendanceRecord, _record_of(Session.id, Enrolment.id))
        .where(Enrolment.id.in_(ids))
        .group_by(Enrolment.id)
    )
    for enrolment_id, held, attended, excused, marked in rows:
        rates[enrolment_id] = Rate(int(held), int(attended), int(excused), int(marked))
    return rates


def attendance_rate(enrolment: Enrolment, now: datetime) -> Decimal | None:
    """One enrolment's attendance % so far (see `attendance_rates`); None before any
    session counts.
    """
    return attendance_rates([enrolment.id], now)[enrolment.id].percent


# --- warnings ------------------------------------------------------------------------------


def send_attendance_warnings(cohort: Cohort | None, now: datetime) -> int:
    """Tells a learner, and each of their trainers, once, when the learner's attendance
    falls below the course's minimum while the cohort still has sessions to come.

    `cohort=None` checks every cohort. Sessions count once their register says
    something (or `mark_unmarked_absent` has marked them), so nobody is warned in the
    minutes between a session starting and its register being taken. Each enrolment is
    claimed by a conditional UPDATE of `attendance_warning_sent_at`, so two runs at once
    never warn twice. Returns how many learners were warned.
    """
    counted = func.count(AttendanceRecord.id) - _excused_sum()
    later = aliased(Session)
    to_come = exists().where(
        later.cohort_id == Enrolment.cohort_id,
        later.cancelled.is_(False),
        later.starts_at > now,
    )
    below = (
        select(Enrolment.id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .join(
            Session,
            and_(
                Session.cancelled.is_(False),
                Session.starts_at < now,
                _expected(Session.starts_at, Session.cohort_id),
            ),
        )
        .join(AttendanceRecord, _record_of(Session.id, Enrolment.id))
        .where(
            Enrolment.status == S.CONFIRMED,
            Enrolment.attendance_warning_sent_at.is_(None),
            Cohort.status.not_in([CohortStatus.CLOSED, CohortStatus.CANCELLED]),
            to_come,
        )
        .group_by(Enrolment.id, Course.min_attendance_percent)
        .having(counted > 0, _attended_sum() * 100 < Course.min_attendance_percent * counted)
    )
    if cohort is not None:
        below = below.where(Enrolment.cohort_id == cohort.id)
    claimed = db.session.scalars(
        update(Enrolment)
        .where(
            Enrolment.id.in_(below.scalar_subquery()),
            Enrolment.attendance_warning_sent_at.is_(None),
        )
        .values(attendance_warning_sent_at=now)
        .returning(Enrolment.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        return 0
    rates = attendance_rates(claimed, now)
    enrolments = db.session.scalars(
        select(Enrolment)
        .where(Enrolment.id.in_(claimed))
        .options(
            selectinload(Enrolment.learner),
            selectinload(Enrolment.cohort).options(
                selectinload(Cohort.course),
                selectinload(Cohort.trainers),
                selectinload(Cohort.sessions),
            ),
        )
        .execution_options(populate_existing=True)
    )
    count = 0
    for enrolment in enrolments:
        _warn(enrolment, rates[enrolment.id], now)
        count += 1
    return count


def _warn(enrolment: Enrolment, rate: Rate, now: datetime) -> None:
    cohort = enrolment.cohort
    course = cohort.course
    context = {
        "learner": enrolment.learner,
        "enrolment": enrolment,
        "cohort": cohort,
        "course": course,
        "rate": rate,
        "trainers": cohort.trainers,
        "sessions": [s for s in cohort.sessions if not s.cancelled and s.starts_at > now],
    }
    queue_mail(
        enrolment.learner.email,
        f"Your attendance is below {course.min_attendance_percent}%: {course.title}",
        "courses/mail/attendance_warning",
        cohort_link=external_url("cohorts.show", cohort_id=cohort.id),
        **context,
    )
    grid_link = external_url("attendance.cohort_grid", cohort_id=cohort.id)
    for trainer in cohort.trainers:
        queue_mail(
            trainer.email,
            f"{enrolment.learner.full_name}'s attendance is below "
            f"{course.min_attendance_percent}%: {cohort.code}",
            "courses/mail/attendance_warning_trainer",
            trainer=trainer,
            grid_link=grid_link,
            **context,
        )


# --- what the teaching pages show ----------------------------------------------------------


def session_counts(session_ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """(marked, expected) for each session, in one query; sessions nobody is expected at
    are left out.
    """
    ids = list(session_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Session.id, func.count(AttendanceRecord.id), func.count(Enrolment.id))
        .join(Enrolment, _expected(Session.starts_at, Session.cohort_id))
        .outerjoin(AttendanceRecord, _record_of(Session.id, Enrolment.id))
        .where(Session.id.in_(ids))
        .group_by(Session.id)
    )
    return {session_id: (marked, expected) for session_id, marked, expected in rows}


@dataclass(frozen=True)
class Cell:
    """One square of the attendance grid: what to say, and the tag colour beside it."""

    text: str
    colour: str | None = None  # an NHS.UK tag modifier, or None for plain text
    note: str | None = None


STATUS_COLOURS = {
    A.PRESENT: "green",
    A.LATE: "yellow",
    A.LEFT_EARLY: "orange",
    A.ABSENT: "red",
    A.EXCUSED: "blue",
}


@dataclass
class Grid:
    sessions: list[Session]
    enrolments: list[Enrolment]
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    rates: dict[int, Rate] = field(default_factory=dict)

    def cell(self, enrolment: Enrolment, session: Session) -> Cell:
        return self.cells[(enrolment.id, session.id)]


def cohort_grid(cohort: Cohort, enrolments: list[Enrolment], now: datetime) -> Grid:
    """Learners by the cohort's sessions, with each learner's rate, in two queries.

    `cohort.sessions` must be loaded; `enrolments` are the rows to show (a page of
    `cohort_learners`).
    """
    sessions = [session for session in cohort.sessions if not session.cancelled]
    grid = Grid(sessions=sessions, enrolments=enrolments)
    ids = [enrolment.id for enrolment in enrolments]
    records = {}
    if ids:
        records = {
            (row.enrolment_id, row.session_id): row
            for row in db.session.execute(
                select(
                    AttendanceRecord.enrolment_id,
                    AttendanceRecord.session_id,
                    AttendanceRecord.status,
                    AttendanceRecord.note,
                ).where(AttendanceRecord.enrolment_id.in_(ids))
            )
        }
    for enrolment in enrolments:
        for session in sessions:
            record = records.get((enrolment.id, session.id))
            grid.cells[(enrolment.id, session.id)] = _cell(enrolment, session, record, now)
    grid.rates = attendance_rates(ids, now)
    return grid


def _cell(enrolment: Enrolment, session: Session, record, now: datetime) -> Cell:
    if record is not None:
        return Cell(record.status.label, STATUS_COLOURS[record.status], record.note)
    if not is_expected(enrolment, session):
        return Cell("Not expected")
    if session.starts_at >= now:
        return Cell("To come")
    return Cell("Not marked", "white")


# --- the admin report ----------------------------------------------------------------------


@dataclass(frozen=True)
class CourseAttendance:
    course_id: int
    code: str
    title: str
    min_attendance_percent: int
    cohorts: int
    sessions: int
    rate: Rate  # over every expected learner at every session held in the range


def course_attendance(starts: datetime, ends: datetime, now: datetime) -> list[CourseAttendance]:
    """Attendance per course at the sessions held between `starts` and `ends`, in one
    aggregate query: attended ÷ (expected places less excused ones), as for one learner.
    """
    held = and_(
        Session.cohort_id == Cohort.id,
        Session.cancelled.is_(False),
        Session.starts_at >= starts,
        Session.starts_at < ends,
        Session.starts_at < now,
    )
    rows = db.session.execute(
        select(
            Course.id,
            Course.code,
            Course.title,
            Course.min_attendance_percent,
            func.count(distinct(Cohort.id)),
            func.count(distinct(Session.id)),
            func.count(Enrolment.id),
            _attended_sum(),
            _excused_sum(),
            func.count(AttendanceRecord.id),
        )
        .join(Cohort, Cohort.course_id == Course.id)
        .join(Session, held)
        .join(Enrolment, _expected(Session.starts_at, Session.cohort_id))
        .outerjoin(AttendanceRecord, _record_of(Session.id, Enrolment.id))
        .group_by(Course.id, Course.code, Course.title, Course.min_attendance_percent)
        .order_by(Course.code)
    )
    return [
        CourseAttendance(
            course_id=row[0],
            code=row[1],
            title=row[2],
            min_attendance_percent=row[3],
            cohorts=int(row[4]),
            sessions=int(row[5]),
            rate=Rate(int(row[6]), int(row[7]), int(row[8]), int(row[9])),
        )
        for row in rows
    ]
