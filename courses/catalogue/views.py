"""The learner catalogue: /courses/ and each course's page."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from courses.catalogue import catalogue
from courses.catalogue.forms import CatalogueFilterForm
from courses.models import DeliveryMode
from lms.auth.access import login_required
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.web.forms import INVALID, paginate

bp = Blueprint("catalogue", __name__, url_prefix="/courses", template_folder="templates")

PAGE_SIZE = 20


def _filter_form() -> CatalogueFilterForm:
    form = CatalogueFilterForm(request.args)
    form.category.choices = [SelectChoice("", "All categories")] + [
        SelectChoice(str(category.id), category.name)
        for category in db.session.scalars(catalogue.categories())
    ]
    return form


def _filters(form: CatalogueFilterForm) -> dict:
    return {
        "search": form.q.data,
        "category_id": int(form.category.data) if form.category.data else None,
        "delivery_mode": DeliveryMode(form.mode.data) if form.mode.data else None,
        "open_only": form.open.data,
    }


@bp.get("/")
@login_required
def index():
    form = _filter_form()
    valid = form.validate()
    query = (
        catalogue.published_courses(**_filters(form)) if valid else catalogue.published_courses()
    )
    page = paginate(query, per_page=PAGE_SIZE)
    return render_template("catalogue/index.html", form=form, page=page), 200 if valid else INVALID


@bp.get("/<code>")
@login_required
def course(code: str):
    course = catalogue.course_by_code(code)
    if course is None or not catalogue.visible_to(course, current_user):
        abort(404)
    if course.code != code:
        return redirect(url_for("catalogue.course", code=course.code), 301)
    return render_template(
        "catalogue/course.html",
        course=course,
        cohorts=catalogue.upcoming_cohorts(course),
        lapsed=catalogue.accreditation_lapsed(course, local_today()),
    )
