"""PMO support (/support/): asking for support with a project, the list of requests
(every one, with this year's count against the target, for PMO administrators; their
own for everyone else), one request, and the PMO's answer."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.auth.access import login_required, object_access, role_required
from lms.auth.models import Role
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.cpd.years import CpdYear
from lms.projects import support as support_service
from lms.projects.models import Project, Support, SupportStatus
from lms.projects.support_forms import AcceptForm, DeclineForm, FilterForm, RequestForm
from lms.projects.years import chosen_financial_year, financial_year_of, years_offered
from lms.web.forms import INVALID, paginate, service_call

bp = Blueprint("support", __name__, template_folder="templates")

VIEWER = "a PMO admin, the person who asked, the person responsible, or who runs the project"
# (who runs the project: its leads and project managers, and who registered it)
REQUESTER = "the person who asked, while the request waits"


# --- asking --------------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/support/new", methods=["GET", "POST"])
@login_required  # anyone may ask for support with any project in the register
def new(project_id: int):
    project = db.session.get(Project, project_id) or abort(404)
    form = RequestForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            support = support_service.request_support(
                project, by=current_user, services=form.chosen_services(), need=form.need.data
            )
        if call.ok:
            flash("Your request has been sent to the PMO. They will email you.", "success")
            return redirect(url_for("support.show", support_id=support.id))
        project = db.session.get(Project, project_id) or abort(404)
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "projects/support/new.html", form=form, project=project, project_link=_project_link(project)
    ), status


def _project_link(project: Project) -> str | None:
    """The project's page, once the project register serves one."""
    if "projects.show" not in current_app.view_functions:
        return None
    return url_for("projects.show", project_id=project.id)


# --- the list ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    """The PMO's count: projects supported in the year against the target."""

    year: CpdYear
    supported: int
    target: int
    waiting: int


@bp.get("/support/")
@login_required
def index():
    today = local_today()
    chosen = chosen_financial_year(request.args.get("year"), today)
    filters = FilterForm(request.args)
    filters.offer_years(years_offered(today, chosen))
    filters.validate()  # a filter not understood is shown with its message, and ignored
    admin = current_user.is_admin
    query = support_service.supports(
        viewer=None if admin else current_user, status=filters.chosen_status(), year=chosen
    )
    page = paginate(query, current_app.config["ADMIN_PAGE_SIZE"])
    headline = None
    if admin:
        year = chosen or financial_year_of(today)
        headline = Headline(
            year,
            support_service.supported_projects(year),
            support_service.target(),
            support_service.waiting_count(),
        )
    return render_template(
        "projects/support/index.html",
        filters=filters,
        page=page,
        headline=headline,
        admin=admin,
        year=chosen,
        filtered=chosen is not None or filters.chosen_status() is not None,
    )


# --- one request ---------------------------------------------------------------------------


def _support(support_id: int) -> Support:
    """The request with what its page shows; 404 for anyone who may not see it."""
    support = db.session.scalar(
        select(Support)
        .where(Support.id == support_id)
        .options(
            joinedload(Support.project),
            joinedload(Support.requested_by),
            joinedload(Support.responsible),
            joinedload(Support.decided_by),
        )
    )
    if support is None or not support_service.may_see(support, current_user):
        abort(404)
    return support


def _page(support: Support, *, accept_form=None, decline_form=None, status: int = 200):
    deciding = current_user.is_admin and support.status == SupportStatus.REQUESTED
    if deciding and accept_form is None:
        candidates = support_service.responsible_candidates()
        accept_form = AcceptForm(candidates=candidates, prefix="accept")
        accept_form.starts_on.data = local_today()
    if deciding and decline_form is None:
        decline_form = DeclineForm(prefix="decline")
    return render_template(
        "projects/support/show.html",
        support=support,
        project_link=_project_link(support.project),
        accept_form=accept_form if deciding else None,
        decline_form=decline_form if deciding else None,
        withdrawable=(
            support.status == SupportStatus.REQUESTED and support.requested_by_id == current_user.id
        ),
    ), status


@bp.get("/support/<int:support_id>")
@object_access(VIEWER, argument="support_id")
def show(support_id: int):
    return _page(_support(support_id))


@bp.post("/support/<int:support_id>/accept")
@role_required(Role.ADMIN)
def accept(support_id: int):
    support = _support(support_id)
    candidates = support_service.responsible_candidates()
    form = AcceptForm(candidates=candidates, prefix="accept")
    if form.validate_on_submit():
        starts_on, ends_on = form.dates
        with service_call(form) as call:
            support_service.accept(
                support,
                by=current_user,
                responsible=form.responsible(candidates),
                starts_on=starts_on,
                ends_on=ends_on,
            )
        if call.ok:
            flash("The request is accepted. The person who asked has been told.", "success")
            return redirect(url_for("support.show", support_id=support_id))
    return _refused(support_id, accept_form=form)


@bp.post("/support/<int:support_id>/decline")
@role_required(Role.ADMIN)
def decline(support_id: int):
    support = _support(support_id)
    form = DeclineForm(prefix="decline")
    if form.validate_on_submit():
        with service_call(form) as call:
            support_service.decline(support, by=current_user, reason=form.reason.data)
        if call.ok:
            flash(
                "The request is declined. The person who asked has been sent the reason.", "success"
            )
            return redirect(url_for("support.show", support_id=support_id))
    return _refused(support_id, decline_form=form)


def _refused(support_id: int, *, accept_form=None, decline_form=None):
    """The request's page again, read afresh, with the refused form's messages; a request
    decided meanwhile shows its decision and the refusal as a banner."""
    support = _support(support_id)
    form = accept_form or decline_form
    if support.status != SupportStatus.REQUESTED:
        for message in [*form.form_errors, *[e for f in form for e in f.errors]]:
            flash(message, "error")
        return _page(support, status=INVALID)
    return _page(support, accept_form=accept_form, decline_form=decline_form, status=INVALID)


@bp.post("/support/<int:support_id>/withdraw")
@object_access(REQUESTER, argument="support_id")
def withdraw(support_id: int):
    support = _support(support_id)
    if support.requested_by_id != current_user.id:
        abort(404)
    with service_call() as call:
        support_service.withdraw(support, by=current_user)
    if call.ok:
        flash("Your request for support has been withdrawn.", "success")
        return redirect(url_for("support.index"))
    return _page(_support(support_id), status=INVALID)
