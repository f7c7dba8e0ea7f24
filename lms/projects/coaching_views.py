"""The coaching log (/coaching/): a coach's coachees and a coachee's sessions; a coaching
support's sessions; logging, changing, confirming and deleting a session.

A session's page holds its private notes, so it is the coach's and the coachee's alone:
anyone else, admins too, gets 404 there. Admins see a support's list of sessions (dates,
lengths, topics), never a session's notes or agreed actions.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.auth.access import login_required, object_access
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.projects import coaching
from lms.projects.coaching_forms import ButtonForm, SessionForm
from lms.projects.models import CoachingSession, Support
from lms.web.forms import INVALID, paginate, service_call, show_error

bp = Blueprint("coaching", __name__, template_folder="templates")

SUPPORT_VIEWER = "the coach or the coachee of this coaching support, or an admin"
SUPPORT_COACH = "the coach of this coaching support"
SESSION_PARTY = "the coach or the coachee of this coaching session"
SESSION_COACH = "the coach of this coaching session"
SESSION_COACHEE = "the coachee of this coaching session"
SESSION_REMOVER = "the coach of this coaching session, or an admin"

PAGE_SIZE = 25


@bp.url_defaults
def _stay_on_this_support(endpoint: str, values: dict) -> None:
    """The pager's links on a support's page keep the support."""
    here = request.view_args or {}
    if (
        "support_id" not in values
        and "support_id" in here
        and current_app.url_map.is_endpoint_expecting(endpoint, "support_id")
    ):
        values["support_id"] = here["support_id"]


def _support(support_id: int) -> Support | None:
    return db.session.scalar(
        select(Support)
        .where(Support.id == support_id)
        .options(
            joinedload(Support.project),
            joinedload(Support.requested_by),
            joinedload(Support.responsible),
        )
    )


def _session(coaching_session_id: int) -> CoachingSession | None:
    return db.session.scalar(
        select(CoachingSession)
        .where(CoachingSession.id == coaching_session_id)
        .options(
            joinedload(CoachingSession.support).joinedload(Support.project),
            joinedload(CoachingSession.coach),
            joinedload(CoachingSession.coachee),
        )
    )


def _every_problem(form: SessionForm, support: Support) -> None:
    """A form refused for its own reasons (minutes that are not a number) shows the rules'
    refusals of its other fields too, so one try finds every problem."""
    for problem in coaching.session_problems(support, form.details(), today=local_today()):
        if problem.field in form and not form[problem.field].errors:
            show_error(form, problem)


def _session_link(session_id: int) -> str:
    return url_for("coaching.session", coaching_session_id=session_id)


# --- lists ---------------------------------------------------------------------------------


@bp.get("/coaching/")
@login_required
def index():
    """As a coach, my coachees; as a coachee, my sessions and their agreed actions."""
    coachees = coaching.coachees_of(current_user)
    page = paginate(coaching.sessions_of_coachee(current_user), PAGE_SIZE)
    return render_template(
        "projects/coaching/index.html",
        coachees=coachees,
        page=page,
        confirms={s.id for s in page.items if coaching.may_confirm(s, current_user)},
    )


@bp.get("/coaching/<int:support_id>", endpoint="support")
@object_access(SUPPORT_VIEWER, argument="support_id")
def show_support(support_id: int):
    support = _support(support_id)
    if support is None or not coaching.sees_support(support, current_user):
        abort(404)
    page = paginate(coaching.sessions_of_support(support), PAGE_SIZE)
    sessions, total_hours, confirmed_hours = coaching.support_totals(support)
    return render_template(
        "projects/coaching/support.html",
        support=support,
        page=page,
        sessions=sessions,
        total_hours=total_hours,
        confirmed_hours=confirmed_hours,
        is_coach=coaching.is_coach_of(support, current_user),
        opens={s.id for s in page.items if coaching.is_party_to(s, current_user)},
        deletes={s.id for s in page.items if coaching.may_delete(s, current_user)},
    )


# --- one session ---------------------------------------------------------------------------


@bp.route("/coaching/<int:support_id>/sessions/new", methods=["GET", "POST"])
@object_access(SUPPORT_COACH, argument="support_id")
def new_session(support_id: int):
    support = _support(support_id)
    if support is None or not coaching.is_coach_of(support, current_user):
        abort(404)
    form = SessionForm()
    if request.method == "GET":
        form.held_on.data = local_today()
    elif form.validate_on_submit():
        with service_call(form) as call:
            session = coaching.log_session(
                support, form.details(), by=current_user, today=local_today()
            )
        if call.ok:
            flash(
                "The session has been logged. We have asked the coachee to confirm it.", "success"
            )
            return redirect(_session_link(session.id))
        support = _support(support_id)  # rolled back: afresh
    elif form.is_submitted():
        _every_problem(form, support)
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "projects/coaching/session_form.html", form=form, support=support, session=None
    ), status


@bp.get("/coaching/sessions/<int:coaching_session_id>", endpoint="session")
@object_access(SESSION_PARTY, argument="coaching_session_id")
def show_session(coaching_session_id: int):
    """The session with its private notes: the coach's and the coachee's only."""
    session = _session(coaching_session_id)
    if session is None or not coaching.is_party_to(session, current_user):
        abort(404)
    return render_template(
        "projects/coaching/session.html",
        session=session,
        is_coach=current_user.id == session.coach_id,
        is_coachee=current_user.id == session.coachee_id,
        may_confirm=coaching.may_confirm(session, current_user),
        may_add_to_cpd=coaching.may_add_to_cpd(session, current_user),
    )


@bp.route("/coaching/sessions/<int:coaching_session_id>/edit", methods=["GET", "POST"])
@object_access(SESSION_COACH, argument="coaching_session_id")
def edit_session(coaching_session_id: int):
    session = _session(coaching_session_id)
    if session is None or current_user.id != session.coach_id:
        abort(404)
    form = SessionForm()
    if request.method == "GET":
        form.fill_from(session)
    elif form.validate_on_submit():
        with service_call(form) as call:
            coaching.change_session(session, form.details(), by=current_user, today=local_today())
        if call.ok:
            flash("Your changes have been saved.", "success")
            return redirect(_session_link(coaching_session_id))
        session = _session(coaching_session_id)
    elif form.is_submitted():
        _every_problem(form, session.support)
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "projects/coaching/session_form.html", form=form, support=session.support, session=session
    ), status


@bp.route("/coaching/sessions/<int:coaching_session_id>/delete", methods=["GET", "POST"])
@object_access(SESSION_REMOVER, argument="coaching_session_id")
def delete_session(coaching_session_id: int):
    """Asks first; deletes the session, and its hours from CPD records, on the POST."""
    session = _session(coaching_session_id)
    if session is None or not coaching.may_delete(session, current_user):
        abort(404)
    form = ButtonForm()
    if form.validate_on_submit():
        support_id = session.support_id
        with service_call(form) as call:
            coaching.delete_session(session, by=current_user)
        if call.ok:
            flash("The session has been deleted.", "success")
            return redirect(url_for("coaching.support", support_id=support_id))
        session = _session(coaching_session_id)
    for message in form.csrf_token.errors if form.is_submitted() else ():
        show_error(form, message)
    status = INVALID if form.is_submitted() else 200
    return render_template("projects/coaching/delete.html", form=form, session=session), status


@bp.post("/coaching/sessions/<int:coaching_session_id>/confirm")
@object_access(SESSION_COACHEE, argument="coaching_session_id")
def confirm(coaching_session_id: int):
    session = _session(coaching_session_id)
    if session is None or current_user.id != session.coachee_id:
        abort(404)
    with service_call() as call:
        coaching.confirm(session, by=current_user, now=utcnow())
    if call.ok:
        flash(
            "Thank you: your attendance is confirmed, and its hours are now in your CPD record.",
            "success",
        )
    return redirect(_session_link(coaching_session_id))


@bp.post("/coaching/sessions/<int:coaching_session_id>/cpd")
@object_access(SESSION_COACH, argument="coaching_session_id")
def add_to_cpd(coaching_session_id: int):
    session = _session(coaching_session_id)
    if session is None or current_user.id != session.coach_id:
        abort(404)
    with service_call() as call:
        coaching.add_to_my_cpd(session, by=current_user)
    if call.ok:
        flash("The session has been added to your CPD record as coaching given.", "success")
    return redirect(_session_link(coaching_session_id))
