"""The impact view: /reports/impact, with its figures as CSV and the whole as XLSX."""

from __future__ import annotations

from flask import Blueprint, Response, render_template

from lms.auth.access import role_required
from lms.auth.models import Role
from lms.reports.impact import impact_figures
from lms.reports.pages import Report, read_report

bp = Blueprint("impact_reports", __name__, url_prefix="/reports", template_folder="templates")

TITLE = "Impact of the training"


def _impact(*, download: bool = False) -> Report:
    return read_report("impact", TITLE, impact_figures, download=download)


@bp.get("/impact")
@role_required(Role.ADMIN)
def impact():
    """The impact figures for a financial year, programme and service group."""
    report = _impact()
    return render_template("reports/impact.html", report=report), report.status


@bp.get("/impact.xlsx")
@role_required(Role.ADMIN)
def impact_xlsx() -> Response:
    """Every figure of the page, a sheet each."""
    return _impact(download=True).xlsx("impact")


@bp.get("/impact/<key>.csv")
@role_required(Role.ADMIN)
def impact_csv(key: str) -> Response:
    """One figure of the page as CSV; 404 for a figure it does not have."""
    return _impact(download=True).csv(key, "impact")
