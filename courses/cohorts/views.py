"""A cohort's page, enrolling and cancelling, and calendar downloads."""

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
from sqlalchemy.orm import selectinload

from courses.assessments.gradebook import learner_progress
from courses.cohorts import calendars
from courses.cohorts.access import joining_link_shown, may_manage, may_see_joining_link
from courses.cohorts.cohorts import teaching_trainers
from courses.enrolment import cancel, enrol, seats_left
from courses.enrolment.places import your_place
from courses.models import Cohort, CourseStatus, Enrolment, EnrolmentStatus
from lms.auth.access import login_required, object_access, public
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.web.forms import attachment, service_call
from lms.web.urls import external_url

bp = Blueprint("cohorts", __name__, template_folder="templates")

# A learner sees their progress through a place they hold or held to the end.
WITH_PROGRESS = (
    EnrolmentStatus.CONFIRMED,
    EnrolmentStatus.COMPLETED,
    EnrolmentStatus.NOT_COMPLETED,
)
ASSESSMENT_PAGE = "assessments.show"


def _load_cohort(cohort_id: int) -> Cohort:
    cohort = db.session.scalar(
        select(Cohort)
        .where(Cohort.id == cohort_id)
        .options(
            selectinload(Cohort.course),
            selectinload(Cohort.sessions),
            selectinload(Cohort.trainers),
        )
    )
    if cohort is None:
        abort(404)
    if (
        cohort.course.status != CourseStatus.PUBLISHED
        and not may_manage(current_user, cohort)
        and _own_enrolment(cohort.id) is None
    ):
        abort(404)  # learners keep seeing cohorts they are on after a course is archived
    return cohort


def _own_enrolment(cohort_id: int) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment).where(
            Enrolment.cohort_id == cohort_id, Enrolment.learner_id == current_user.id
        )
    )


@bp.get("/cohorts/<int:cohort_id>")
@login_required
def show(cohort_id: int):
    cohort = _load_cohort(cohort_id)
    places_left = seats_left([cohort.id])[cohort.id]
    place = your_place(cohort, current_user, utcnow(), seats_left=places_left)
    mine = place.enrolment.status if place.enrolment else None
    # A finished place (completed or not) is not "held", so the page looks for it too.
    enrolment = place.enrolment or _own_enrolment(cohort.id)
    if enrolment is None or enrolment.status not in WITH_PROGRESS:
        enrolment = None
    return render_template(
        "cohorts/cohort.html",
        cohort=cohort,
        seats_left=places_left,
        trainers=teaching_trainers(cohort),
        place=place,
        online_link=joining_link_shown(current_user, cohort, mine),
        progress_of=enrolment,
        progress=learner_progress(enrolment, utcnow()) if enrolment else None,
        assessment_page=ASSESSMENT_PAGE if ASSESSMENT_PAGE in current_app.view_functions else None,
    )


@bp.post("/cohorts/<int:cohort_id>/enrol", endpoint="enrol")
@login_required
def handle_enrol(cohort_id: int):
    cohort = _load_cohort(cohort_id)
    with service_call() as call:
        placed = enrol(cohort, current_user, by=current_user)
    if call.ok:
        flash(_placed_message(placed), "success")
    return redirect(url_for("cohorts.show", cohort_id=cohort_id))


def _placed_message(placed: Enrolment) -> str:
    return {
        EnrolmentStatus.CONFIRMED: "Your place is confirmed. We have emailed you the details.",
        EnrolmentStatus.WAITLISTED: "The cohort is full, so you are on the waitlist.",
        EnrolmentStatus.PENDING_APPROVAL: "Your request has been sent to your line manager.",
    }[placed.status]


@bp.post("/enrolments/<int:enrolment_id>/cancel", endpoint="cancel")
@object_access("the learner themself, or an admin", argument="enrolment_id")
def handle_cancel(enrolment_id: int):
    target = db.session.get(Enrolment, enrolment_id)
    if target is None or (target.learner_id != current_user.id and not current_user.is_admin):
        abort(404)
    with service_call() as call:
        cancel(target, by=current_user)
    if call.ok:
        flash(f"Your enrolment is now {target.status.label.lower()}.", "success")
    return redirect(url_for("home.index"))


def _calendar_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = calendars.CONTENT_TYPE
    response.headers["Content-Disposition"] = attachment(filename)
    return response


@bp.get("/cohorts/<int:cohort_id>/calendar.ics")
@login_required
def calendar(cohort_id: int):
    cohort = _load_cohort(cohort_id)
    mine = _own_enrolment(cohort.id)
    joining_link = may_see_joining_link(current_user, cohort, mine.status if mine else None)
    body = calendars.cohort_calendar(cohort, joining_link=joining_link)
    return _calendar_response(body, f"{cohort.code}.ics")


@bp.get("/calendar/<token>.ics")
@public  # the secret in the address is the credential, so calendar apps can subscribe
def feed(token: str):
    user = calendars.user_for_feed(token)
    if user is None:
        abort(404)
    return _calendar_response(calendars.personal_calendar(user), "my-sessions.ics")


@bp.route("/calendar/", methods=["GET", "POST"])
@login_required
def feed_settings():
    if request.method == "POST":
        with service_call() as call:
            _, renewed = calendars.issue_feed(current_user)
        if call.ok and renewed:
            flash("Your calendar has a new address. The old one no longer works.", "success")
        elif call.ok:
            flash("Your calendar address is ready. Add it to your calendar app.", "success")
        return redirect(url_for("cohorts.feed_settings"))
    feed = calendars.find_feed(current_user)
    return render_template(
        "cohorts/calendar_feed.html",
        has_feed=feed is not None,
        feed_url=external_url("cohorts.feed", token=feed.token) if feed and feed.token else None,
        old_address_works=feed is not None and feed.reference is None,
    )
