"""Importing past CPD entries from a CSV file (/cpd/import), always into the record of
the person logged in, and the file to fill in (/cpd/import/template.csv)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template
from flask_login import current_user

from lms.auth.access import login_required
from lms.core.extensions import db
from lms.cpd import importing
from lms.cpd.import_forms import ImportForm
from lms.web.errors import render_error
from lms.web.forms import INVALID, attachment, service_call

bp = Blueprint("cpd_import", __name__, template_folder="templates")

RECORD = "cpd.index"


@bp.errorhandler(413)
def _file_too_large(_error):
    """A body over the app's MAX_CONTENT_LENGTH is refused before anything reads it; the
    page says so beside the file field, as it does for a file over the import's limit
    (to someone logged in: the page is theirs only)."""
    db.session.rollback()
    if not current_user.is_authenticated:
        return render_error(413)
    form = ImportForm(formdata=None)
    form.file.errors = [importing.TOO_LARGE]
    return _page(form, None), 413


@bp.route("/cpd/import", methods=["GET", "POST"])
@login_required
def upload():
    """Upload a CSV of past entries; the report of what happened is on the same page."""
    form = ImportForm()
    report = None
    if form.validate_on_submit():
        with service_call(form):
            report = importing.import_entries(form.file.data.stream, learner=current_user)
    return _page(form, report), INVALID if form.is_submitted() and report is None else 200


@bp.get("/cpd/import/template.csv")
@login_required
def template():
    return Response(
        importing.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": attachment("cpd-import-template.csv")},
    )


def _page(form: ImportForm, report: importing.ImportReport | None) -> str:
    return render_template(
        "cpd/import/index.html",
        form=form,
        report=report,
        category_names=importing.offered_category_names(),
        max_rows=importing.MAX_ROWS,
        record=RECORD if RECORD in current_app.view_functions else None,
    )
