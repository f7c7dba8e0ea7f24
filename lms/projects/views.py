"""The project register (/projects/): the list with its filters, a project's page with the
training its people did before it started, registering and changing projects, the people
on them, updates, closing, and merging duplicates (PMO admins)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from lms.auth.access import login_required, object_access
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.people.models import ServiceGroup
from lms.projects import merging, register, support, updates
from lms.projects.access import can_change
from lms.projects.models import Project, ProjectMember, ProjectRole, Support
from lms.projects.project_forms import (
    MergeForm,
    PersonForm,
    ProjectForm,
    RegisterFilterForm,
    RemovePersonForm,
)
from lms.projects.training import training_before
from lms.projects.update_forms import CloseForm, UpdateForm
from lms.web.forms import INVALID, paginate, service_call, show_error

bp = Blueprint("projects", __name__, template_folder="templates")

RUNNERS = "the project's lead or project manager, whoever registered it, or an admin"
ADMINS = "an admin, for a project that exists"


def _service_groups() -> list[ServiceGroup]:
    return db.session.scalars(select(ServiceGroup).order_by(func.lower(ServiceGroup.name))).all()


def _project(project_id: int) -> Project:
    project = db.session.scalar(
        select(Project).options(joinedload(Project.service_group)).where(Project.id == project_id)
    )
    if project is None:
        abort(404)
    return project


def _changeable(project_id: int) -> Project:
    """The project, for someone who may change it; 404 for anyone else (as for a missing
    project), so a project's existence is all an outsider learns from its address."""
    project = _project(project_id)
    if not can_change(project, current_user):
        abort(404)
    return project


# --- the register ---------------------------------------------------------------------------


@bp.get("/projects/")
@login_required
def index():
    form = RegisterFilterForm(request.args)
    groups = _service_groups()
    form.offer(groups)
    form.validate()
    page = paginate(
        register.search(form.filters(current_user.id)), current_app.config["PROJECTS_PAGE_SIZE"]
    )
    leads = register.leads_of([project.id for project in page.items])
    return render_template("projects/index.html", form=form, page=page, leads=leads)


@bp.get("/projects/<int:project_id>")
@login_required  # the register is the trust's: anyone logged in reads any project
def show(project_id: int):
    project = _project(project_id)
    people = register.people(project.id)
    training = training_before(project)
    history = db.session.scalars(updates.updates_of(project.id)).all()
    may_change = can_change(project, current_user)
    return render_template(
        "projects/show.html",
        project=project,
        people=people,
        training=training,
        updates=history,
        requests=_support_seen(project, may_change),
        may_change=may_change,
    )


def _support_seen(project: Project, may_change: bool) -> list[Support]:
    """The project's requests for support this person may see: all of them for admins
    and those who may change the project; otherwise the ones they asked for or are
    responsible for."""
    query = support.of_project(project.id)
    if not may_change:
        query = query.where(
            or_(
                Support.requested_by_id == current_user.id,
                Support.responsible_id == current_user.id,
            )
        )
    return db.session.scalars(query).all()


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def new():
    form = ProjectForm(service_groups=_service_groups(), admin=current_user.is_admin)
    if form.validate_on_submit():
        with service_call(form) as call:
            project = register.register(form.details(), by=current_user, role=form.chosen_role())
        if call.ok:
            flash(f"{project.title} has been added to the project register.", "success")
            return redirect(url_for("projects.show", project_id=project.id))
    status = INVALID if form.is_submitted() else 200
    return render_template("projects/form.html", form=form, project=None), status


@bp.route("/projects/<int:project_id>/edit", methods=["GET", "POST"])
@object_access(RUNNERS, argument="project_id")
def edit(project_id: int):
    project = _changeable(project_id)
    form = ProjectForm(service_groups=_service_groups(), new=False)
    if project.status.finished:
        del form.status
    if request.method == "GET":
        form.fill_from(project)
    elif form.validate_on_submit():
        with service_call(form) as call:
            register.change(project, form.details(project), by=current_user)
        if call.ok:
            flash("Your changes have been saved.", "success")
            return redirect(url_for("projects.show", project_id=project_id))
        project = _changeable(project_id)
    status = INVALID if form.is_submitted() else 200
    return render_template("projects/form.html", form=form, project=project), status


# --- people ---------------------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/people", methods=["GET", "POST"])
@object_access(RUNNERS, argument="project_id")
def people(project_id: int):
    project = _changeable(project_id)
    form = PersonForm()
    if form.validate_on_submit():
        person = register.find_person(form.person.data or "")
        if person is None:
            show_error(
                form, "No one with an account has that email address or staff number", "person"
            )
        else:
            with service_call(form) as call:
                register.add_person(project, person, ProjectRole(form.role.data), by=current_user)
            if call.ok:
                flash(f"{person.full_name} is on the project.", "success")
                return redirect(url_for("projects.people", project_id=project_id))
        project = _changeable(project_id)
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "projects/people.html",
        project=project,
        people=register.people(project.id),
        form=form,
        remove_form=RemovePersonForm(formdata=None),
    ), status


@bp.post("/projects/<int:project_id>/people/<int:member_id>/remove")
@object_access(RUNNERS, argument="project_id")
def remove_person(project_id: int, member_id: int):
    project = _changeable(project_id)
    link = db.session.scalar(
        select(ProjectMember)
        .options(joinedload(ProjectMember.person))
        .where(ProjectMember.id == member_id, ProjectMember.project_id == project.id)
    )
    if link is None:
        abort(404)
    form = RemovePersonForm()
    if not form.validate_on_submit():
        flash("The page had expired. Try again.", "error")
        return redirect(url_for("projects.people", project_id=project_id))
    name = link.person.full_name
    with service_call() as call:
        register.remove_person(project, link, by=current_user)
    if call.ok:
        flash(f"{name} is no longer on the project.", "success")
    return redirect(url_for("projects.people", project_id=project_id))


# --- updates and closing --------------------------------------------------------------------


@bp.route("/projects/<int:project_id>/updates/new", methods=["GET", "POST"])
@object_access(RUNNERS, argument="project_id")
def add_update(project_id: int):
    project = _changeable(project_id)
    if project.status.finished:
        flash("This project has finished: its final outcome is recorded.", "error")
        return redirect(url_for("projects.show", project_id=project_id))
    form = UpdateForm()
    if request.method == "GET":
        form.reported_on.data = local_today()
    elif form.validate_on_submit():
        with service_call(form) as call:
            updates.add_update(project, form.details(), by=current_user, today=local_today())
        if call.ok:
            flash("Your update has been recorded.", "success")
            return redirect(url_for("projects.show", project_id=project_id))
        project = _changeable(project_id)
    status = INVALID if form.is_submitted() else 200
    return render_template("projects/update_form.html", form=form, project=project), status


@bp.route("/projects/<int:project_id>/close", methods=["GET", "POST"])
@object_access(RUNNERS, argument="project_id")
def close(project_id: int):
    project = _changeable(project_id)
    if project.status.finished:
        flash("This project has already finished.", "error")
        return redirect(url_for("projects.show", project_id=project_id))
    form = CloseForm()
    if request.method == "GET":
        form.reported_on.data = local_today()
    elif form.validate_on_submit():
        with service_call(form) as call:
            updates.close(
                project,
                form.chosen_outcome(),
                form.details(),
                by=current_user,
                today=local_today(),
            )
        if call.ok:
            flash(f"{project.title} is {form.chosen_outcome().label.lower()}.", "success")
            return redirect(url_for("projects.show", project_id=project_id))
        project = _changeable(project_id)
    status = INVALID if form.is_submitted() else 200
    return render_template("projects/close.html", form=form, project=project), status


# --- merging duplicates (admins) ----------------------------------------------------------


@bp.route("/projects/<int:project_id>/merge", methods=["GET", "POST"])
@object_access(ADMINS, argument="project_id")
def merge(project_id: int):
    if not current_user.is_admin:
        abort(404)
    duplicate = _project(project_id)
    form = MergeForm()
    if form.validate_on_submit():
        survivor = _find_project(form.survivor.data or "")
        if survivor is None:
            show_error(form, "No project has that number or PPM reference", "survivor")
        else:
            title = duplicate.title
            with service_call(form, "survivor") as call:
                merging.merge(duplicate, survivor, by=current_user)
            if call.ok:
                flash(f"{title} has been merged into this project.", "success")
                return redirect(url_for("projects.show", project_id=survivor.id))
        duplicate = _project(project_id)
    status = INVALID if form.is_submitted() else 200
    return render_template("projects/merge.html", form=form, project=duplicate), status


def _find_project(words: str) -> Project | None:
    words = words.strip()
    if not words:
        return None
    if words.isascii() and words.isdigit() and len(words) < 10:
        found = db.session.get(Project, int(words))
        if found is not None:
            return found
    return db.session.scalar(
        select(Project).where(func.lower(Project.ppm_reference) == words.lower())
    )
