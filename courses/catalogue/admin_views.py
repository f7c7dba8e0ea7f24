"""Admin pages for the catalogue: /admin/courses/ (courses and their categories)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from courses.catalogue import catalogue
from courses.catalogue.forms import CategoryForm, CourseAdminFilterForm, CourseForm
from courses.models import Course, CourseCategory, CourseStatus, DeliveryMode
from lms.auth.access import role_required
from lms.auth.models import Role
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.web.forms import INVALID, paginate, service_call

bp = Blueprint("course_admin", __name__, url_prefix="/admin/courses", template_folder="templates")


def _load(course_id: int) -> Course:
    course = db.session.get(
        Course,
        course_id,
        options=[selectinload(Course.category), selectinload(Course.prerequisites)],
    )
    if course is None:
        abort(404)
    return course


def _load_category(category_id: int) -> CourseCategory:
    category = db.session.get(CourseCategory, category_id)
    if category is None:
        abort(404)
    return category


def _course_form(course: Course | None) -> CourseForm:
    form = CourseForm(obj=None if request.method == "POST" else course)
    form.category_id.choices = [SelectChoice("", "No category")] + [
        SelectChoice(str(category.id), category.name)
        for category in db.session.scalars(catalogue.categories())
    ]
    form.prerequisite_ids.choices = [
        SelectChoice(str(row.id), f"{row.code} {row.title}")
        for row in db.session.execute(catalogue.prerequisite_choices(course))
    ]
    if request.method == "GET" and course is not None:
        form.category_id.data = str(course.category_id or "")
        form.prerequisite_ids.data = [str(prerequisite.id) for prerequisite in course.prerequisites]
    return form


def _details(form: CourseForm) -> catalogue.CourseDetails:
    return catalogue.CourseDetails(
        code=form.code.data,
        title=form.title.data,
        summary=form.summary.data or "",
        learning_outcomes=form.learning_outcomes.data or [],
        category_id=int(form.category_id.data) if form.category_id.data else None,
        delivery_mode=DeliveryMode(form.delivery_mode.data),
        cpd_hours=form.cpd_hours.data,
        accreditation_body=form.accreditation_body.data,
        accreditation_reference=form.accreditation_reference.data,
        accreditation_valid_from=form.accreditation_valid_from.data,
        accreditation_valid_to=form.accreditation_valid_to.data,
        prerequisite_ids=[int(value) for value in form.prerequisite_ids.data or []],
        requires_approval=form.requires_approval.data,
        min_attendance_percent=form.min_attendance_percent.data,
        certificate_validity_months=form.certificate_validity_months.data,
        allows_recertification=form.allows_recertification.data,
    )


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    form = CourseAdminFilterForm(request.args)
    valid = form.validate()
    status = CourseStatus(form.status.data) if valid and form.status.data else None
    query = catalogue.admin_courses(form.q.data if valid else None, status=status)
    page = paginate(query, per_page=current_app.config["ADMIN_PAGE_SIZE"])
    today = local_today()
    return render_template(
        "catalogue/admin/index.html",
        form=form,
        page=page,
        lapsed={c.id for c in page.items if catalogue.accreditation_lapsed(c, today)},
        lapsing={c.id for c in page.items if catalogue.accreditation_lapses_soon(c, today)},
    ), 200 if valid else INVALID


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def create():
    form = _course_form(None)
    if form.validate_on_submit():
        with service_call(form) as call:
            course = catalogue.create_course(_details(form), by=current_user)
        if call.ok:
            flash(f"{course.code} has been added as a draft.", "success")
            return redirect(url_for("course_admin.edit", course_id=course.id))
    status = INVALID if form.is_submitted() else 200
    return render_template("catalogue/admin/form.html", form=form, course=None), status


@bp.route("/<int:course_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def edit(course_id: int):
    course = _load(course_id)
    form = _course_form(course)
    if form.validate_on_submit():
        with service_call(form) as call:
            catalogue.update_course(course, _details(form), by=current_user)
        if call.ok:
            flash("The changes have been saved.", "success")
            return redirect(url_for("course_admin.edit", course_id=course_id))
        course = _load(course_id)
    status = INVALID if form.is_submitted() else 200
    return render_template("catalogue/admin/form.html", form=form, course=course), status


def _status_change(course_id: int, change, message: str):
    course = _load(course_id)
    code = course.code
    with service_call() as call:
        change(course, by=current_user)
    if call.ok:
        flash(message.format(code=code), "success")
    return redirect(url_for("course_admin.edit", course_id=course_id))


@bp.post("/<int:course_id>/publish")
@role_required(Role.ADMIN)
def publish(course_id: int):
    return _status_change(
        course_id, catalogue.publish, "{code} is published: learners can find it now."
    )


@bp.post("/<int:course_id>/archive")
@role_required(Role.ADMIN)
def archive(course_id: int):
    return _status_change(
        course_id, catalogue.archive, "{code} is archived: learners can no longer find it."
    )


@bp.route("/categories", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def categories():
    form = CategoryForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            category = catalogue.add_category(form.name.data, by=current_user)
        if call.ok:
            flash(f"{category.name} has been added.", "success")
            return redirect(url_for("course_admin.categories"))
    listing = db.session.scalars(catalogue.categories()).all()
    status = INVALID if form.is_submitted() else 200
    return render_template("catalogue/admin/categories.html", form=form, categories=listing), status


@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def rename_category(category_id: int):
    category = _load_category(category_id)
    form = CategoryForm(obj=None if request.method == "POST" else category)
    if form.validate_on_submit():
        with service_call(form) as call:
            catalogue.rename_category(category, form.name.data, by=current_user)
        if call.ok:
            flash("The category has been renamed.", "success")
            return redirect(url_for("course_admin.categories"))
        category = _load_category(category_id)
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "catalogue/admin/category_form.html", form=form, category=category
    ), status
