"""Cohort administration: /admin/cohorts/ (details, status, sessions and enrolments).

Admins manage every cohort; trainers manage the cohorts they teach (cohorts.may_manage,
enforced by courses.cohorts.access.cohort_manager: anyone else gets 404). Enrolling
people in bulk and cancelling someone's enrolment are for admins only.
"""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from courses.cohorts.access import cohort_manager, managed_cohort
from courses.cohorts.cohorts import (
    ALLOWED_STATUS_CHANGES,
    CohortDetails,
    SessionDetails,
    add_session,
    cancel_session,
    change_status,
    create_cohort,
    london_to_utc,
    managed_cohorts,
    may_change_session,
    may_manage,
    sessions_may_change,
    trainers_available,
    update_cohort,
    update_session,
)
from courses.cohorts.forms import BulkEnrolForm, CohortForm, SessionForm, StatusForm
from courses.cohorts.sessions import first_session, first_sessions
from courses.enrolment import (
    ACTIVE,
    BulkReport,
    can_cancel,
    cancel,
    enrol_many,
    roster,
    seats_left,
    status_counts,
    waitlist_positions,
)
from courses.models import (
    Cohort,
    CohortStatus,
    Course,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    Session,
)
from lms.auth.access import role_required
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.timezones import to_local
from lms.web.forms import INVALID, paginate, service_call

bp = Blueprint("cohort_admin", __name__, url_prefix="/admin/cohorts", template_folder="templates")


@bp.url_defaults
def _stay_on_this_cohort(endpoint: str, values: dict) -> None:
    """Links between a cohort's own pages (the enrolments pager) keep the cohort's id."""
    here = request.view_args or {}
    if (
        "cohort_id" not in values
        and "cohort_id" in here
        and current_app.url_map.is_endpoint_expecting(endpoint, "cohort_id")
    ):
        values["cohort_id"] = here["cohort_id"]


# --- loading -----------------------------------------------------------------------------


def _session(cohort: Cohort, session_id: int) -> Session:
    found = next((session for session in cohort.sessions if session.id == session_id), None)
    if found is None:
        abort(404)
    return found


# --- forms to and from the services --------------------------------------------------------


def _local_parts(moment: datetime | None) -> tuple[date | None, time | None]:
    if moment is None:
        return None, None
    local = to_local(moment)
    return local.date(), local.time().replace(second=0, microsecond=0)


def _instant(day: date | None, clock: time | None, field: str) -> datetime | None:
    return None if day is None else london_to_utc(day, clock, field_name=field)


def _cohort_form(cohort: Cohort | None, *, submitted: bool) -> CohortForm:
    """The details form: what was posted, else the cohort's values (else empty)."""
    data = None
    if cohort is not None:
        opens_date, opens_time = _local_parts(cohort.enrolment_opens_at)
        closes_date, closes_time = _local_parts(cohort.enrolment_closes_at)
        data = {
            "code": cohort.code,
            "capacity": cohort.capacity,
            "opens_date": opens_date,
            "opens_time": opens_time,
            "closes_date": closes_date,
            "closes_time": closes_time,
            "venue": cohort.venue,
            "online_link": cohort.online_link,
            "trainer_ids": [trainer.id for trainer in cohort.trainers],
        }
    if submitted:
        form = CohortForm(creating=cohort is None)
    else:
        form = CohortForm(formdata=None, data=data, creating=cohort is None)
    available = list(db.session.scalars(trainers_available()))
    # Someone on the cohort who no longer holds the trainer role stays a choice (ticked),
    # so saving the cohort never drops them without the admin choosing to.
    offered = {user.id for user in available}
    former = [t for t in (cohort.trainers if cohort else []) if t.id not in offered]
    form.trainer_ids.choices = [SelectChoice(user.id, user.full_name) for user in available] + [
        SelectChoice(user.id, f"{user.full_name} (no longer a trainer)") for user in former
    ]
    if cohort is None:
        form.course_id.choices = [SelectChoice("", "Choose a course")] + [
            SelectChoice(str(row.id), f"{row.code} {row.title}" + _draft(row.status))
            for row in db.session.execute(
                select(Course.id, Course.code, Course.title, Course.status)
                .where(Course.status.in_([CourseStatus.PUBLISHED, CourseStatus.DRAFT]))
                .order_by(Course.code)
            )
        ]
    return form


def _draft(status: CourseStatus) -> str:
    return " (draft)" if status == CourseStatus.DRAFT else ""


def _details(form: CohortForm) -> CohortDetails:
    return CohortDetails(
        code=form.code.data,
        capacity=form.capacity.data,
        enrolment_opens_at=_instant(form.opens_date.data, form.opens_time.data, "opens_time"),
        enrolment_closes_at=_instant(form.closes_date.data, form.closes_time.data, "closes_time"),
        venue=form.venue.data,
        online_link=form.online_link.data,
        trainer_ids=list(form.trainer_ids.data or []),
    )


def _session_form(session: Session | None) -> SessionForm:
    if session is None or request.method != "GET":
        return SessionForm()
    day, starts = _local_parts(session.starts_at)
    return SessionForm(
        data={
            "title": session.title,
            "date": day,
            "start_time": starts,
            "end_time": _local_parts(session.ends_at)[1],
            "location": session.location,
        }
    )


def _session_details(form: SessionForm) -> SessionDetails:
    day = form.date.data
    return SessionDetails(
        title=form.title.data,
        starts_at=london_to_utc(day, form.start_time.data, field_name="start_time"),
        ends_at=london_to_utc(day, form.end_time.data, field_name="end_time"),
        location=form.location.data,
    )


def _status_form(cohort: Cohort, *, submitted: bool = False) -> StatusForm:
    allowed = ALLOWED_STATUS_CHANGES[cohort.status]
    return StatusForm(allowed=allowed) if submitted else StatusForm(formdata=None, allowed=allowed)


def _page(
    cohort: Cohort,
    *,
    status: int = 200,
    form: CohortForm | None = None,
    status_form: StatusForm | None = None,
    bulk_form: BulkEnrolForm | None = None,
    report: BulkReport | None = None,
):
    """The cohort's page; a form passed in is shown as posted, with its errors."""
    page = paginate(roster(cohort.id), per_page=current_app.config["ADMIN_PAGE_SIZE"])
    waitlisted = [row.id for row in page.items if row.status == EnrolmentStatus.WAITLISTED]
    counts = status_counts(cohort.id)
    return render_template(
        "cohorts/admin/cohort.html",
        cohort=cohort,
        form=form if form is not None else _cohort_form(cohort, submitted=False),
        status_form=status_form if status_form is not None else _status_form(cohort),
        bulk_form=bulk_form if bulk_form is not None else BulkEnrolForm(formdata=None),
        report=report,
        enrolments=page,
        positions=waitlist_positions(waitlisted),
        counts=counts,
        first_session=first_session(cohort),
        may_add_session=sessions_may_change(cohort),
        changeable={s.id for s in cohort.sessions if may_change_session(s)},
        may_cancel_cohort=CohortStatus.CANCELLED in ALLOWED_STATUS_CHANGES[cohort.status],
        cancelling_ends=sum(counts.get(status, 0) for status in ACTIVE),
        cancellable={row.id for row in page.items if can_cancel(row)},
    ), status


# --- views -------------------------------------------------------------------------------


@bp.get("/")
@role_required(Role.ADMIN, Role.TRAINER)
def index():
    cohorts = managed_cohorts(current_user, utcnow())
    page = paginate(cohorts, per_page=current_app.config["ADMIN_PAGE_SIZE"])
    ids = [cohort.id for cohort in page.items]
    left = seats_left(ids)
    return render_template(
        "cohorts/admin/index.html",
        page=page,
        taken={cohort.id: cohort.capacity - left[cohort.id] for cohort in page.items},
        first_sessions=first_sessions(ids),
    )


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.ADMIN, Role.TRAINER)
def create():
    form = _cohort_form(None, submitted=request.method == "POST")
    if request.method == "GET":
        form.course_id.data = request.args.get("course_id", "")
    if form.validate_on_submit():
        course = db.session.get(Course, int(form.course_id.data))
        with service_call(form) as call:
            cohort = create_cohort(course, _details(form), by=current_user)
        if call.ok:
            flash(f"Cohort {cohort.code} has been added. Now add its sessions.", "success")
            return redirect(url_for("cohort_admin.show", cohort_id=cohort.id))
    status = INVALID if form.is_submitted() else 200
    return render_template("cohorts/admin/cohort_new.html", form=form), status


@bp.route("/<int:cohort_id>", methods=["GET", "POST"])
@cohort_manager(load="cohort_id")
def show(cohort_id: int, cohort: Cohort):
    """The cohort's page; posting it saves the details form."""
    form = _cohort_form(cohort, submitted=request.method == "POST")
    if form.validate_on_submit():
        with service_call(form) as call:
            update_cohort(cohort, _details(form), by=current_user)
        if call.ok:
            flash("The changes have been saved.", "success")
            if not may_manage(current_user, cohort):  # a trainer may hand it on
                return redirect(url_for("cohort_admin.index"))
            return redirect(url_for("cohort_admin.show", cohort_id=cohort_id))
        cohort = managed_cohort(cohort_id)
    return _page(cohort, form=form, status=INVALID if form.is_submitted() else 200)


@bp.post("/<int:cohort_id>/status", endpoint="change_status")
@cohort_manager(load="cohort_id")
def handle_change_status(cohort_id: int, cohort: Cohort):
    form = _status_form(cohort, submitted=True)
    if form.validate_on_submit():
        new_status = CohortStatus(form.status.data)
        with service_call(form, "status") as call:
            change_status(cohort, new_status, by=current_user)
        if call.ok:
            flash(_status_message(new_status), "success")
            return redirect(url_for("cohort_admin.show", cohort_id=cohort_id))
        cohort = managed_cohort(cohort_id)
    return _page(cohort, status_form=form, status=INVALID)


def _status_message(status: CohortStatus) -> str:
    if status == CohortStatus.CANCELLED:
        return (
            "The cohort is cancelled. Everyone who was enrolled, waiting for approval or on "
            "the waitlist has been emailed."
        )
    return f"The cohort is now {status.value}."


@bp.route("/<int:cohort_id>/sessions/new", methods=["GET", "POST"], endpoint="add_session")
@cohort_manager(load="cohort_id")
def handle_add_session(cohort_id: int, cohort: Cohort):
    return _save_session(cohort, None)


@bp.route("/<int:cohort_id>/sessions/<int:session_id>", methods=["GET", "POST"])
@cohort_manager(load="cohort_id")
def edit_session(cohort_id: int, session_id: int, cohort: Cohort):
    return _save_session(cohort, _session(cohort, session_id))


def _save_session(cohort: Cohort, session: Session | None):
    form = _session_form(session)
    if form.validate_on_submit():
        cohort_id, session_id = cohort.id, session.id if session else None
        with service_call(form) as call:
            if session is None:
                add_session(cohort, _session_details(form), by=current_user)
            else:
                update_session(session, _session_details(form), by=current_user)
        if call.ok:
            flash("The session has been saved.", "success")
            return redirect(url_for("cohort_admin.show", cohort_id=cohort_id))
        cohort = managed_cohort(cohort_id)
        session = None if session_id is None else _session(cohort, session_id)
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "cohorts/admin/session_form.html", form=form, cohort=cohort, session=session
    ), status


@bp.post("/<int:cohort_id>/sessions/<int:session_id>/cancel", endpoint="cancel_session")
@cohort_manager(load="cohort_id")
def handle_cancel_session(cohort_id: int, session_id: int, cohort: Cohort):
    with service_call() as call:
        cancel_session(_session(cohort, session_id), by=current_user)
    if call.ok:
        flash("The session is cancelled. Calendars now show it as cancelled.", "success")
    return redirect(url_for("cohort_admin.show", cohort_id=cohort_id))


@bp.post("/<int:cohort_id>/enrolments/<int:enrolment_id>/cancel")
@role_required(Role.ADMIN)
def cancel_enrolment(cohort_id: int, enrolment_id: int):
    cohort = managed_cohort(cohort_id)
    target = db.session.get(Enrolment, enrolment_id, options=[selectinload(Enrolment.learner)])
    if target is None or target.cohort_id != cohort.id:
        abort(404)
    name = target.learner.full_name
    with service_call() as call:
        cancel(target, by=current_user)
    if call.ok:
        flash(f"{name}'s enrolment is now {target.status.label.lower()}.", "success")
    return redirect(url_for("cohort_admin.show", cohort_id=cohort_id))


@bp.post("/<int:cohort_id>/enrol", endpoint="enrol_many")
@role_required(Role.ADMIN)
def handle_enrol_many(cohort_id: int):
    """Enrols a pasted or uploaded list of emails and shows what happened to each line."""
    cohort = managed_cohort(cohort_id)
    form = BulkEnrolForm()
    if not form.validate_on_submit():
        return _page(cohort, bulk_form=form, status=INVALID)
    with service_call(form, field=form.list_field) as call:
        report = enrol_many(cohort, form.emails_text(), by=current_user)
    if not call.ok:
        return _page(managed_cohort(cohort_id), bulk_form=form, status=INVALID)
    return _page(managed_cohort(cohort_id), report=report)
