"""Importing projects from the PPM platform's export (/admin/projects/import), and the
file to fill in (/admin/projects/import/template.csv): PMO admins only."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template
from flask_login import current_user

from lms.auth.access import role_required
from lms.auth.models import Role
from lms.core.extensions import db
from lms.projects import importing
from lms.projects.import_forms import ProjectImportForm
from lms.web.errors import render_error
from lms.web.forms import INVALID, attachment, service_call

bp = Blueprint("project_import", __name__, template_folder="templates")

REGISTER = "projects.index"


@bp.errorhandler(413)
def _file_too_large(_error):
    """A body over the app's MAX_CONTENT_LENGTH is refused before anything reads it; an
    admin is told so beside the file field, as for a file over the import's own limit."""
    db.session.rollback()
    if not (current_user.is_authenticated and current_user.has_role(Role.ADMIN)):
        return render_error(413)
    form = ProjectImportForm(formdata=None)
    form.file.errors = [importing.TOO_LARGE]
    return _page(form, None), 413


@bp.route("/admin/projects/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def upload():
    """Upload the PPM export; the report of each line is shown on the same page."""
    form = ProjectImportForm()
    report = None
    if form.validate_on_submit():
        with service_call(form):
            report = importing.import_projects(form.file.data.stream, by=current_user)
    return _page(form, report), INVALID if form.is_submitted() and report is None else 200


@bp.get("/admin/projects/import/template.csv")
@role_required(Role.ADMIN)
def template():
    return Response(
        importing.template_csv(),
        mimetype="text/csv",
        headers={"Content-Disposition": attachment("ppm-projects-template.csv")},
    )


def _page(form: ProjectImportForm, report: importing.ImportReport | None) -> str:
    return render_template(
        "projects/import/index.html",
        form=form,
        report=report,
        columns=importing.COLUMNS,
        status_words=importing.status_words(),
        max_rows=importing.MAX_ROWS,
        register=REGISTER if REGISTER in current_app.view_functions else None,
    )
