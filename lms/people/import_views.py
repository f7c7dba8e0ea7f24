"""Admin page for the staff import: /admin/import/."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from lms.auth.access import role_required
from lms.auth.models import Role
from lms.people import importing
from lms.people.forms import StaffImportForm
from lms.web.forms import INVALID, service_call

bp = Blueprint("people_import", __name__, template_folder="templates", url_prefix="/admin/import")


@bp.route("/", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def index():
    """Upload a staff CSV; the report of what happened is shown on the same page."""
    form = StaffImportForm()
    report = None
    if form.validate_on_submit():
        with service_call(form):
            report = importing.import_staff(
                form.file.data.stream, by=current_user, invite=form.invite.data
            )
    status = INVALID if form.is_submitted() and report is None else 200
    return render_template("people/import.html", form=form, report=report), status
