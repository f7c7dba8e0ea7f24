"""Self check-in: the learner's /check-in form and the trainer's rotating QR code screen."""

from __future__ import annotations

import io

import segno
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from courses.attendance import checkin
from courses.attendance.forms import CheckInForm
from courses.cohorts.access import cohort_manager
from courses.models import AttendanceMethod, AttendanceRecord, Cohort, Session
from lms.auth.access import login_required
from lms.core.db import utcnow
from lms.core.extensions import db, limiter
from lms.core.timezones import format_local
from lms.web.errors import render_error
from lms.web.forms import INVALID, safe_next, service_call
from lms.web.urls import external_url

bp = Blueprint("checkin", __name__, template_folder="templates")

POLL_SECONDS = 3  # how often the trainer's screen asks for the current code and list


def _rules() -> checkin.CheckInRules:
    return checkin.CheckInRules.from_config(current_app.config)


def _per_user() -> str:
    return f"check-in:{current_user.id}"


attempts_per_user = limiter.limit(
    lambda: current_app.config["CHECK_IN_LIMIT_PER_USER"],
    key_func=_per_user,
    methods=["POST"],
    scope="check-in",
)


@bp.errorhandler(429)
def _too_many_attempts(_error):
    db.session.rollback()
    return render_error(429, ["You have tried too many codes. Wait a minute, then try again."])


@bp.route("/check-in", methods=["GET", "POST"])
@login_required
@attempts_per_user
def check_in():
    """Scanning the trainer's QR code opens this page with the code filled in; the home
    page's form posts here too, with `next` to return to."""
    form = CheckInForm(data={"code": request.args.get("code", "")[:20]})
    back_to = safe_next(request.form.get("next"), "") or None
    if form.validate_on_submit():
        with service_call(form) as call:
            record = checkin.check_in(form.code.data, current_user, utcnow(), _rules())
        if call.ok:
            session = _load(record.session_id)
            if back_to is None:
                return render_template(
                    "attendance/checkin/done.html", record=record, session=session
                )
            category, message = _banner(record, session)
            flash(message, category)
            return redirect(back_to)
    status = INVALID if form.is_submitted() else 200
    return render_template("attendance/checkin/form.html", form=form, back_to=back_to), status


def _banner(record: AttendanceRecord, session: Session) -> tuple[str, str]:
    """What done.html's page says, as a banner for a learner sent back where they were."""
    what = f"{session.cohort.course.title}: {session.title}"
    status = record.status.label.lower()
    if record.method == AttendanceMethod.SELF_CHECK_IN:
        at = format_local(record.marked_at, "%H:%M")
        return "success", f"You are checked in to {what}. We have recorded you as {status} at {at}."
    return "info", (
        f"Your trainer has already marked the register for {what}. It shows you as {status}. "
        "If this is wrong, speak to your trainer."
    )


def _load(session_id: int) -> Session:
    session = db.session.scalar(
        select(Session)
        .where(Session.id == session_id)
        .options(
            selectinload(Session.cohort).selectinload(Cohort.course),
            selectinload(Session.cohort).selectinload(Cohort.trainers),
        )
    )
    if session is None:
        abort(404)
    return session


def _qr_svg(url: str) -> str:
    """A standalone SVG (with its namespace, so it works as an <img> data URI), on white
    with the standard quiet zone, so phones read it on the page's grey background."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", xmldecl=False, svgns=True, scale=10, border=4, light="white"
    )
    return buffer.getvalue().decode()


def _screen(session: Session) -> dict:
    """What the trainer's screen shows now: the code, its QR code and who has checked in."""
    if session.cancelled:
        return {"cancelled": True, "started": False, "code": None, "checked_in": []}
    if session.check_in_secret is None:  # the trainer has not started check-in yet
        return {"cancelled": False, "started": False, "code": None, "checked_in": []}
    rules, now = _rules(), utcnow()
    code = checkin.code_at(session, now, rules.rotation_seconds)
    url = external_url("checkin.check_in", code=code)
    names = checkin.checked_in_names(session)
    return {
        "cancelled": False,
        "started": True,
        "code": code,
        "check_in_url": url,
        "qr_svg": _qr_svg(url),
        "expires_in": checkin.seconds_left(now, rules.rotation_seconds),
        "rotation_seconds": rules.rotation_seconds,
        "open": checkin.is_open(session, now, rules),
        "checked_in": names,
        "expected": checkin.expected_count(session),
    }


@bp.route("/teach/sessions/<int:session_id>/check-in", methods=["GET", "POST"])
@cohort_manager(load="session_id")
def screen(session_id: int, session: Session):
    """The trainer's check-in screen; posting it starts self check-in for the session."""
    if request.method == "POST":
        with service_call():
            checkin.open_check_in(session)
        return redirect(url_for("checkin.screen", session_id=session_id))
    rules = _rules()
    return render_template(
        "attendance/checkin/screen.html",
        session=session,
        screen=_screen(session),
        opens_at=checkin.opens_at(session, rules),
        closes_at=checkin.closes_at(session, rules),
        poll_seconds=POLL_SECONDS,
        rotation_seconds=rules.rotation_seconds,
    )


@bp.get("/teach/sessions/<int:session_id>/check-in.json")
@cohort_manager(load="session_id")
def screen_json(session_id: int, session: Session):
    return jsonify(_screen(session))
