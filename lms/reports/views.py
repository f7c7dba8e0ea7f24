"""The PMO's reports: /reports/ (the KPI dashboard, its exports and board report) and
/reports/attendance."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)

from lms.auth.access import role_required
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.core.timezones import local_today, start_of_local_day, to_local
from lms.reports.attendance import course_attendance, courses_reported
from lms.reports.board import board_report_pdf
from lms.reports.forms import ReportForm
from lms.reports.impact import impact_figures
from lms.reports.impact_views import TITLE as IMPACT_TITLE
from lms.reports.kpi import dashboard_figures, headlines
from lms.reports.pages import Report, read_report
from lms.reports.snapshots import forget_all
from lms.web.forms import INVALID, attachment, paginate, safe_next

bp = Blueprint("reports", __name__, url_prefix="/reports", template_folder="templates")

TITLE = "KPI dashboard"


# --- the KPI dashboard ---------------------------------------------------------------------


def _dashboard(*, download: bool = False) -> Report:
    return read_report("dashboard", TITLE, dashboard_figures, download=download)


@bp.get("/")
@role_required(Role.ADMIN)
def dashboard():
    """The year's figures against the strategy's targets, with links to their exports."""
    report = _dashboard()
    return render_template(
        "reports/dashboard.html",
        report=report,
        headlines=headlines(report.figures),
        impact_link=url_for("impact_reports.impact", **report.filters.query),
    ), report.status


@bp.get("/dashboard.xlsx")
@role_required(Role.ADMIN)
def dashboard_xlsx() -> Response:
    """Every figure of the dashboard, a sheet each."""
    return _dashboard(download=True).xlsx("kpi-dashboard")


@bp.get("/dashboard/<key>.csv")
@role_required(Role.ADMIN)
def dashboard_csv(key: str) -> Response:
    """One figure of the dashboard as CSV; 404 for a figure it does not have."""
    return _dashboard(download=True).csv(key, "kpi")


@bp.get("/board.pdf")
@role_required(Role.ADMIN)
def board_pdf() -> Response:
    """The year's dashboard and impact figures, charts included, as a PDF for the board
    (the PMO's quarterly report to the Improvement Team)."""
    report = _dashboard(download=True)
    impact = read_report("impact", IMPACT_TITLE, impact_figures, download=True)
    pdf = board_report_pdf(
        [*report.shown, *impact.shown],
        title=f"{TITLE}: board report",
        subtitle=report.subtitle,
        generated_on=to_local(report.now).date(),
    )
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": attachment(f"board-report-{report.filters.year.starts}.pdf"),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@bp.post("/refresh")
@role_required(Role.ADMIN)
def refresh():
    """Every report page works its figures out again on its next request."""
    forget_all()
    flash("The figures have been worked out again.", "success")
    return redirect(safe_next(request.form.get("next"), url_for("reports.dashboard")))


# --- attendance by course ------------------------------------------------------------------


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
