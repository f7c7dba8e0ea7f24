"""The PMO's reports: /reports/."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, render_template, request

from lms.auth.access import role_required
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.core.timezones import local_today, start_of_local_day
from lms.reports.attendance import course_attendance, courses_reported
from lms.reports.forms import ReportForm
from lms.web.forms import INVALID, paginate

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")


@bp.get("/attendance")
@role_required(Role.ADMIN)
def attendance():
    """Attendance per course over a date range (UK dates, both included)."""
    form = ReportForm(formdata=request.args or None)
    now = utcnow()
    today = local_today(now)
    rows, page = [], None
    if form.validate():
        date_from, date_to = form.range(today, default_from=today - timedelta(days=365))
        form.date_from.data, form.date_to.data = date_from, date_to
        starts, ends = (
            start_of_local_day(date_from),
            start_of_local_day(date_to + timedelta(days=1)),
        )
        page = paginate(
            courses_reported(starts, ends, now), per_page=current_app.config["ADMIN_PAGE_SIZE"]
        )
        rows = course_attendance(page.items, starts, ends, now)
    status = 200 if not form.errors else INVALID
    return render_template("reports/attendance.html", form=form, rows=rows, page=page), status
