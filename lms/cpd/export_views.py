"""The CPD record's exports for appraisal: /cpd/export.pdf and /cpd/export.csv.

Always the logged-in learner's own record, for the year `?year=2025` names (by the
calendar year it starts in); anything else there means the current CPD year. Served as
certificate PDFs are: an attachment, never cached.
"""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_login import current_user

from lms.auth.access import login_required
from lms.core.timezones import local_today
from lms.cpd import exports
from lms.cpd.years import CpdYear, chosen_year, year_of
from lms.web.forms import attachment

bp = Blueprint("cpd_export", __name__, template_folder="templates")


def _year() -> CpdYear:
    today = local_today()
    return chosen_year(request.args.get("year"), today) or year_of(today)


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    return Response(
        body,
        mimetype=mimetype,
        headers={
            "Content-Disposition": attachment(filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@bp.get("/cpd/export.pdf")
@login_required
def pdf():
    year = _year()
    export = exports.gather(current_user, year)
    return _download(exports.record_pdf(export), "application/pdf", exports.filename(year, "pdf"))


@bp.get("/cpd/export.csv")
@login_required
def csv():
    year = _year()
    export = exports.gather(current_user, year)
    return _download(exports.record_csv(export), "text/csv", exports.filename(year, "csv"))
