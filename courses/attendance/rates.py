"""Attendance rates: attended ÷ sessions held so far, excused sessions left out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal

from sqlalchemy import case, func, select

from courses.attendance.expected import held_and_expected, record_of
from courses.models import AttendanceRecord, AttendanceStatus, Enrolment, Session
from lms.core.extensions import db

ATTENDED = tuple(status for status in AttendanceStatus if status.attended)


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


def attended_sum():
    return func.coalesce(func.sum(case((AttendanceRecord.status.in_(ATTENDED), 1), else_=0)), 0)


def excused_sum():
    return func.coalesce(
        func.sum(case((AttendanceRecord.status == AttendanceStatus.EXCUSED, 1), else_=0)), 0
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
            attended_sum(),
            excused_sum(),
            func.count(AttendanceRecord.id),
        )
        .join(Session, held_and_expected(now))
        .outerjoin(AttendanceRecord, record_of(Session.id, Enrolment.id))
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
