"""The learner's CPD record (/cpd/): the record page; adding, changing and deleting
entries; evidence; the learner's settings; the admins' categories."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from courses.assessments.uploads import file_bytes
from lms.auth.access import login_required, object_access, role_required
from lms.auth.models import Role
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.cpd import categories as category_service
from lms.cpd import record
from lms.cpd.forms import (
    CategoryForm,
    DeleteForm,
    EntryForm,
    FilterForm,
    ReflectionForm,
    SettingsForm,
)
from lms.cpd.models import CpdCategory, CpdEntry, CpdEvidence
from lms.cpd.team import has_reports
from lms.cpd.years import chosen_year, year_of
from lms.web.forms import INVALID, attachment, paginate, service_call, show_error

bp = Blueprint("cpd", __name__, template_folder="templates")

OWNER = "the learner whose record it is"


# --- the record ----------------------------------------------------------------------------


@bp.get("/cpd/")
@login_required
def index():
    """This year's hours against the target, by category; the entries, filtered by year
    and category; and earlier years' totals."""
    today = local_today()
    current = year_of(today)
    year = chosen_year(request.args.get("year"), today) or current
    every_category = db.session.scalars(category_service.categories()).all()
    category = _chosen_category(request.args.get("category"), every_category)
    target = record.target_of(record.profile_of(current_user.id))
    summary = record.year_summary(current_user.id, year, target)
    earlier = record.year_totals(current_user.id, before=current)
    page = paginate(
        record.entries(current_user.id, year, category), current_app.config["CPD_PAGE_SIZE"]
    )
    filters = FilterForm(request.args)
    years = [current] + [earlier_year for earlier_year, _ in earlier]
    if year not in years:
        years.append(year)
    filters.year.choices = [(str(each.starts), each.label) for each in sorted(years, reverse=True)]
    filters.year.data = str(year.starts)
    filters.category.choices = [
        ("", "All categories"),
        *[(key, source.heading) for key, source in record.MADE_SOURCES.items()],
        *[(str(each.id), each.name) for each in every_category],
    ]
    filters.category.data = category or ""
    return render_template(
        "cpd/index.html",
        summary=summary,
        current=current,
        earlier=earlier,
        page=page,
        filters=filters,
        filtered=category is not None,
        sees_team=current_user.is_admin or has_reports(current_user),
    )


def _chosen_category(value: str | None, every_category: list[CpdCategory]) -> str | None:
    if value in record.MADE_SOURCES:
        return value
    if value and value in {str(category.id) for category in every_category}:
        return value
    return None


# --- one entry -----------------------------------------------------------------------------


def _own_entry(entry_id: int) -> CpdEntry:
    """The current user's entry, with its category, certificate and evidence; 404 for
    anyone else's (its existence is not revealed)."""
    entry = db.session.scalar(
        select(CpdEntry)
        .where(CpdEntry.id == entry_id, CpdEntry.learner_id == current_user.id)
        .options(
            joinedload(CpdEntry.category),
            joinedload(CpdEntry.certificate),
            joinedload(CpdEntry.evidence),
        )
    )
    if entry is None:
        abort(404)
    return entry


@bp.get("/cpd/entries/<int:entry_id>")
@object_access(OWNER, argument="entry_id")
def show(entry_id: int):
    entry = _own_entry(entry_id)
    return render_template("cpd/entry.html", entry=entry, year=year_of(entry.activity_on))


def _entry_form(**kwargs) -> EntryForm:
    offered = db.session.scalars(category_service.categories(offered_only=True)).all()
    current = kwargs.pop("current_category", None)
    if current is not None and current not in offered:
        offered.append(current)  # a retired category stays shown on its own entries
    return EntryForm(categories=offered, max_bytes=current_app.config["UPLOAD_MAX_BYTES"], **kwargs)


@bp.route("/cpd/entries/new", methods=["GET", "POST"])
@login_required
def add():
    form = _entry_form()
    if form.validate_on_submit():
        with service_call(form) as call:
            entry = record.add_entry(
                current_user, form.details(), evidence=form.upload, today=local_today()
            )
        if call.ok:
            flash(f"{entry.title} has been added to your CPD record.", "success")
            return redirect(url_for("cpd.index", year=year_of(entry.activity_on).starts))
    status = INVALID if form.is_submitted() else 200
    return render_template("cpd/entry_form.html", form=form, entry=None), status


@bp.route("/cpd/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@object_access(OWNER, argument="entry_id")
def edit(entry_id: int):
    entry = _own_entry(entry_id)
    if entry.made_for_you:
        return _reflect(entry)
    form = _entry_form(current_category=entry.category)
    if request.method == "GET":
        form.fill_from(entry)
    elif form.validate_on_submit():
        with service_call(form) as call:
            record.change_entry(
                entry,
                form.details(),
                by=current_user,
                evidence=form.upload,
                remove_evidence=form.remove_evidence.data,
                today=local_today(),
            )
        if call.ok:
            flash("Your changes have been saved.", "success")
            return redirect(url_for("cpd.show", entry_id=entry_id))
        entry = _own_entry(entry_id)  # rolled back: afresh
    status = INVALID if form.is_submitted() else 200
    return render_template("cpd/entry_form.html", form=form, entry=entry), status


def _reflect(entry: CpdEntry):
    """A certificate's entry: only the reflection is the learner's to write."""
    form = ReflectionForm(obj=entry if request.method == "GET" else None)
    if form.validate_on_submit():
        with service_call(form) as call:
            record.reflect_on_certificate(
                entry, form.learned.data or "", form.applied.data or "", by=current_user
            )
        if call.ok:
            flash("Your reflection has been saved.", "success")
            return redirect(url_for("cpd.show", entry_id=entry.id))
        entry = _own_entry(entry.id)
    status = INVALID if form.is_submitted() else 200
    return render_template("cpd/reflection_form.html", form=form, entry=entry), status


@bp.route("/cpd/entries/<int:entry_id>/delete", methods=["GET", "POST"])
@object_access(OWNER, argument="entry_id")
def delete(entry_id: int):
    """Asks first; deletes the entry and its evidence on the POST."""
    entry = _own_entry(entry_id)
    if entry.made_for_you:
        abort(404)  # not the learner's to delete: its certificate or session decides
    form = DeleteForm()
    if form.validate_on_submit():
        title, year = entry.title, year_of(entry.activity_on)
        with service_call(form) as call:
            record.delete_entry(entry, by=current_user)
        if call.ok:
            flash(f"{title} has been deleted from your CPD record.", "success")
            return redirect(url_for("cpd.index", year=year.starts))
        entry = _own_entry(entry_id)
    for message in form.csrf_token.errors if form.is_submitted() else ():
        show_error(form, message)
    status = INVALID if form.is_submitted() else 200
    return render_template("cpd/delete.html", form=form, entry=entry), status


@bp.get("/cpd/entries/<int:entry_id>/evidence")
@object_access(OWNER, argument="entry_id")
def evidence(entry_id: int):
    """The evidence file, as an attachment under its safe name, never shown inline."""
    stored = db.session.scalar(
        select(CpdEvidence)
        .join(CpdEntry)
        .where(CpdEntry.id == entry_id, CpdEntry.learner_id == current_user.id)
    )
    if stored is None:
        abort(404)
    try:
        content = file_bytes(stored)
    except FileNotFoundError:
        abort(404)  # gone from UPLOAD_FOLDER (logged)
    return Response(
        content,
        mimetype=stored.media_type,
        headers={
            "Content-Disposition": attachment(stored.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


# --- the learner's settings ----------------------------------------------------------------


@bp.route("/cpd/settings", methods=["GET", "POST"])
@login_required
def settings():
    profile = record.profile_of(current_user.id)
    form = SettingsForm()
    if request.method == "GET" and profile is not None:
        form.target_hours.data = (
            f"{profile.target_hours.normalize():f}" if profile.target_hours is not None else ""
        )
        form.professional_body.data = profile.professional_body or ""
        form.share_reflections.data = profile.share_reflections
    if form.validate_on_submit():
        with service_call(form) as call:
            record.set_preferences(
                current_user,
                target_hours=form.target(),
                professional_body=form.professional_body.data or "",
                share_reflections=form.share_reflections.data,
            )
        if call.ok:
            flash("Your CPD settings have been saved.", "success")
            return redirect(url_for("cpd.index"))
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "cpd/settings.html", form=form, trust_target=record.trust_target()
    ), status


# --- categories (admins) -------------------------------------------------------------------


@bp.route("/admin/cpd/categories", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def categories():
    form = CategoryForm()
    del form.retired  # a new category is offered
    if form.validate_on_submit():
        with service_call(form) as call:
            category = category_service.add_category(form.name.data or "", by=current_user)
        if call.ok:
            flash(f"{category.name} has been added.", "success")
            return redirect(url_for("cpd.categories"))
    listing = db.session.scalars(category_service.categories()).all()
    status = INVALID if form.is_submitted() else 200
    return render_template("cpd/admin/categories.html", form=form, categories=listing), status


@bp.route("/admin/cpd/categories/<int:cpd_category_id>", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def change_category(cpd_category_id: int):
    category = db.session.get(CpdCategory, cpd_category_id) or abort(404)
    form = CategoryForm(obj=None if request.method == "POST" else category)
    if form.validate_on_submit():
        with service_call(form) as call:
            category_service.change_category(
                category, form.name.data or "", form.retired.data, by=current_user
            )
        if call.ok:
            flash("The category has been saved.", "success")
            return redirect(url_for("cpd.categories"))
        category = db.session.get(CpdCategory, cpd_category_id) or abort(404)
    status = INVALID if form.is_submitted() else 200
    return render_template("cpd/admin/category_form.html", form=form, category=category), status
