"""Attendance: who is expected, registers, self check-in, sign-in sheets, rates, warnings.

Callers import the services from here: `from courses.attendance import mark_register`.
"""

from courses.attendance.expected import (
    cohort_learners,
    expected_enrolments,
    expected_query,
    is_expected,
)
from courses.attendance.grid import NOT_MARKED, Cell, Grid, cohort_grid
from courses.attendance.rates import Rate, attendance_rate, attendance_rates
from courses.attendance.register import (
    NOTE_LENGTH,
    AttendanceError,
    NotExpected,
    RegisterChanged,
    RegisterClosed,
    RegisterOutOfDate,
    RegisterRow,
    SeenRecord,
    check_may_mark,
    mark_register,
    mark_unmarked_absent,
    may_mark,
    needs_reason,
    register_rows,
    session_counts,
)
from courses.attendance.warnings import send_attendance_warnings

__all__ = [
    "NOTE_LENGTH",
    "NOT_MARKED",
    "AttendanceError",
    "Cell",
    "Grid",
    "NotExpected",
    "Rate",
    "RegisterChanged",
    "RegisterClosed",
    "RegisterOutOfDate",
    "RegisterRow",
    "SeenRecord",
    "attendance_rate",
    "attendance_rates",
    "check_may_mark",
    "cohort_grid",
    "cohort_learners",
    "expected_enrolments",
    "expected_query",
    "is_expected",
    "mark_register",
    "mark_unmarked_absent",
    "may_mark",
    "needs_reason",
    "register_rows",
    "send_attendance_warnings",
    "session_counts",
]
