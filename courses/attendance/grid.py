"""A cohort's attendance grid: learners by sessions, each cell a status, with rates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from courses.attendance.expected import is_expected
from courses.attendance.rates import Rate, attendance_rates
from courses.cohorts.sessions import held_sessions
from courses.models import AttendanceRecord, AttendanceStatus, Cohort, Enrolment, Session
from lms.core.extensions import db

# A held session the learner was expected at and nobody has marked yet.
NOT_MARKED = "not_marked"


@dataclass(frozen=True)
class Cell:
    """One square of the attendance grid: its words, and the status whose tag shows them.

    The tag's colour is the status macro's (macros/status.html), as on every page.
    """

    text: str
    status: AttendanceStatus | str | None = None  # a mark, NOT_MARKED, or None: plain words
    note: str | None = None


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
    sessions = held_sessions(cohort)
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
        return Cell(record.status.label, record.status, record.note)
    if not is_expected(enrolment, session):
        return Cell("Not expected")
    if session.starts_at >= now:
        return Cell("To come")
    return Cell("Not marked", NOT_MARKED)
