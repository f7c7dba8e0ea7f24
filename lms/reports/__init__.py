"""Cross-course reports for the PMO: attendance by course (KPI dashboards to come)."""

from lms.reports.attendance import CourseAttendance, course_attendance

__all__ = ["CourseAttendance", "course_attendance"]
