"""Admin pages for the staff directory: /admin/users/."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from lms.auth import accounts
from lms.auth.access import role_required
from lms.auth.models import Role, User
from lms.core.extensions import db
from lms.people import directory
from lms.people.forms import PeopleFilterForm, PersonForm
from lms.web.forms import INVALID, paginate, service_call

bp = Blueprint("people", __name__, template_folder="templates", url_prefix="/admin/users")


def _details(form: PersonForm) -> directory.PersonDetails:
    return directory.PersonDetails(
        email=form.email.data,
        full_name=form.full_name.data,
        job_title=form.job_title.data,
        staff_number=form.staff_number.data,
        department=form.department.data,
        service_group=form.service_group.data,
        line_manager_email=form.line_manager_email.data,
        roles={Role(value) for value in form.roles.data or []},
    )


def _load(user_id: int) -> User:
    user = db.session.get(
        User,
        user_id,
        options=[
            selectinload(User.department),
            selectinload(User.service_group),
            selectinload(User.line_manager),
        ],
    )
    if user is None:
        abort(404)
    return user


def _filter() -> tuple[PeopleFilterForm, dict]:
    """The list's filter from the address, as `directory.search` arguments; bad values ignored."""
    form = PeopleFilterForm(request.args)
    form.validate()
    status = (
        {"active": True, "inactive": False}.get(form.status.data or "")
        if not form.status.errors
        else None
    )
    return form, {
        "text": form.q.data if not form.q.errors else None,
        "role": Role(form.role.data) if form.role.data and not form.role.errors else None,
        "active": status,
    }


def _filter_args(form: PeopleFilterForm) -> dict:
    """The filter as it appears in the address, so a page can link back to the same list."""
    return {name: form[name].data for name in ("q", "role", "status") if form[name].data}


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    form, matching = _filter()
    page = paginate(directory.search(**matching), per_page=current_app.config["ADMIN_PAGE_SIZE"])
    return render_template(
        "people/index.html",
        form=form,
        page=page,
        # A filter with a mistake in it shows everyone: offer no invitations to "everyone".
        not_yet_invited=0 if form.errors else directory.count_not_yet_invited(**matching),
        not_yet_invited_limit=directory.NOT_YET_INVITED_LIMIT,
        filter_args=_filter_args(form),
    )


@bp.post("/invitations")
@role_required(Role.ADMIN)
def invite_everyone():
    """Invites everyone in the (filtered) list who has not been invited yet."""
    form, matching = _filter()
    if form.errors:  # the list was not the one the admin asked for: invite nobody
        flash("Correct the search before sending invitations.", "error")
        return redirect(url_for("people.index", **_filter_args(form)))
    with service_call() as call:
        sent = directory.invite_not_yet_invited(**matching, by=current_user)
    if call.ok and sent:
        people = "1 person" if sent == 1 else f"{sent:,} people"
        flash(f"Invitation{'s' if sent > 1 else ''} sent to {people}.", "success")
    elif call.ok:
        flash("Everyone in this list has already been invited, so no invitations were sent.")
    return redirect(url_for("people.index", **_filter_args(form)))


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def create():
    form = PersonForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            user = directory.create_person(_details(form), by=current_user)
        if call.ok:
            flash(f"{user.full_name} has been added and sent an invitation.", "success")
            return redirect(url_for("people.edit", user_id=user.id))
    status = INVALID if form.is_submitted() else 200
    return render_template("people/form.html", form=form, person=None), status


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit(user_id: int):
    person = _load(user_id)
    form = PersonForm(obj=None if request.method == "POST" else person)
    if request.method == "GET":
        form.department.data = person.department.name if person.department else ""
        form.service_group.data = person.service_group.name if person.service_group else ""
        form.line_manager_email.data = person.line_manager.email if person.line_manager else ""
        form.roles.data = sorted(role.value for role in person.roles)
    if form.validate_on_submit():
        with service_call(form) as call:
            directory.update_person(person, _details(form), by=current_user)
        if call.ok:
            flash("The changes have been saved.", "success")
            return redirect(url_for("people.edit", user_id=user_id))
        person = _load(user_id)  # fresh after the rollback, so the page shows what is saved
    status = INVALID if form.is_submitted() else 200
    invitation = accounts.last_invitation(person)
    return render_template(
        "people/form.html", form=form, person=person, invitation=invitation
    ), status


def _status_change(user_id: int, change, message: str):
    person = _load(user_id)
    name = person.full_name
    with service_call() as call:
        change(person, by=current_user)
    if call.ok:
        flash(message.format(name=name), "success")
    return redirect(url_for("people.edit", user_id=user_id))


@bp.post("/<int:user_id>/deactivate")
@role_required(Role.ADMIN)
def deactivate(user_id: int):
    return _status_change(
        user_id, directory.deactivate, "{name} has been deactivated and logged out."
    )


@bp.post("/<int:user_id>/reactivate")
@role_required(Role.ADMIN)
def reactivate(user_id: int):
    return _status_change(user_id, directory.reactivate, "{name} can log in again.")


@bp.post("/<int:user_id>/invitation")
@role_required(Role.ADMIN)
def invite(user_id: int):
    return _status_change(
        user_id, directory.resend_invitation, "An invitation has been sent to {name}."
    )
