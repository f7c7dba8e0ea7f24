"""The PMO's list of every certificate (/admin/certificates/): find one by the learner's
name, its number or its code, to revoke or re-issue it on its page."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from certificates import expiry
from certificates.forms import CertificateFilterForm
from certificates.search import Shown, search
from lms.auth.access import role_required
from lms.auth.models import Role
from lms.core.timezones import local_today
from lms.web.forms import paginate

bp = Blueprint("certificate_admin", __name__, template_folder="templates")


@bp.get("/admin/certificates/")
@role_required(Role.ADMIN)
def index():
    form = CertificateFilterForm(request.args)
    form.validate()  # a field with a mistake is shown with it, and ignored
    text = form.q.data if not form.q.errors else None
    shown = Shown(form.shown.data) if form.shown.data and not form.shown.errors else None
    page = paginate(search(text, shown, local_today()), current_app.config["ADMIN_PAGE_SIZE"])
    return render_template(
        "certificates/admin/index.html",
        form=form,
        page=page,
        rows=expiry.with_standings(page.items),
    )
