"""Requests to approve: a line manager decides their reports' enrolment requests."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from courses.cohorts.sessions import first_sessions
from courses.enrolment.enrolment import awaiting_decision
from courses.enrolment.enrolment import decide as decide_request
from courses.enrolment.forms import DecisionForm
from courses.models import Enrolment
from lms.auth.access import login_required, object_access
from lms.core.extensions import db
from lms.web.forms import INVALID, page_number, paginate, service_call

bp = Blueprint("approvals", __name__, url_prefix="/approvals", template_folder="templates")


def _render(forms: dict[int, DecisionForm], status: int = 200):
    """One page of requests, oldest first; a decision posts back to the page it came from."""
    page = paginate(awaiting_decision(current_user), per_page=current_app.config["ADMIN_PAGE_SIZE"])
    requests = page.items
    forms = {e.id: forms.get(e.id) or DecisionForm(prefix=f"r{e.id}") for e in requests}
    return render_template(
        "enrolment/approvals.html",
        page=page,
        requests=requests,
        forms=forms,
        starts=first_sessions({e.cohort_id for e in requests}),
    ), status


def _back_to_the_page() -> str:
    """The list page the decision was made on (the first page has no page number)."""
    number = page_number()
    return url_for("approvals.index", page=number if number > 1 else None)


@bp.get("/")
@login_required
def index():
    return _render({})


@bp.post("/<int:enrolment_id>")
@object_access("line manager of the learner who asked", argument="enrolment_id")
def decide(enrolment_id: int):
    request_row = db.session.get(Enrolment, enrolment_id)
    if request_row is None or request_row.learner.line_manager_id != current_user.id:
        abort(404)
    form = DecisionForm(prefix=f"r{enrolment_id}")
    if form.validate_on_submit():
        name = request_row.learner.full_name
        with service_call(form) as call:
            decide_request(
                request_row,
                approve=form.decision.data == "approve",
                by=current_user,
                reason=form.reason.data or "",
            )
        if not call.ok and call.error.field is None:
            flash(str(call.error), "error")  # nothing to correct in the form: say why
            return redirect(_back_to_the_page())
        if call.ok:
            verb = "approved" if form.decision.data == "approve" else "rejected"
            flash(f"You {verb} {name}'s request.", "success")
            return redirect(_back_to_the_page())
    return _render({enrolment_id: form}, INVALID)
