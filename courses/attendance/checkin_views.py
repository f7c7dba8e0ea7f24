"""Self check-in: the learner's /check-in form and the trainer's rotating QR code screen."""

from __future__ import annotations

import io
import re
import secrets

import segno
from flask import (
    Blueprint,
    abort,
    after_this_request,
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
from courses.attendance.forms import CheckInForm, UndoCheckInForm
from courses.cohorts.access import cohort_manager
from courses.models import AttendanceMethod, AttendanceRecord, Cohort, Session
from lms.auth.access import login_required
from lms.core.db import utcnow
from lms.core.extensions import db, limiter
from lms.core.timezones import format_local
from lms.web.errors import render_error
from lms.web.forms import INVALID, safe_next, service_call
from lms.web.security import does_not_extend_session
from lms.web.urls import external_url

bp = Blueprint("checkin", __name__, template_folder="templates")

POLL_SECONDS = 3  # how often the trainer's screen asks for the current code and list

# Beside a check-in in a room from another network than most of the room's. Phones on
# mobile data do this too, so it says what happened and accuses nobody.
DIFFERENT_NETWORK = "Checked in from a different network to most of the room"

# A random id each browser keeps for the check-in page, so the trainer's screen can tell
# when one device checked in several learners. Only its keyed digest is stored.
DEVICE_COOKIE = "lms_device"
DEVICE_COOKIE_DAYS = 400  # the longest browsers keep a cookie
_DEVICE_ID = re.compile(r"[A-Za-z0-9_-]{32}")


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
    source = checkin.CheckInSource.of(
        device_id=_device_id(), address=request.remote_addr, key=current_app.secret_key
    )
    if form.validate_on_submit():
        with service_call(form) as call:
            record = checkin.check_in(form.code.data, current_user, utcnow(), _rules(), source)
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


def _device_id() -> str:
    """This browser's device id, from its cookie; a new one if it has none (or a malformed
    one). The response (re)sets the cookie: long-lived, sent only to the check-in page,
    never readable by scripts."""
    device_id = request.cookies.get(DEVICE_COOKIE, "")
    if not _DEVICE_ID.fullmatch(device_id):
        device_id = secrets.token_urlsafe(24)

    @after_this_request
    def keep(response):
        response.set_cookie(
            DEVICE_COOKIE,
            device_id,
            max_age=DEVICE_COOKIE_DAYS * 24 * 60 * 60,
            path=url_for("checkin.check_in"),
            secure=current_app.config["SESSION_COOKIE_SECURE"],
            httponly=True,
            samesite="Lax",
        )
        return response

    return device_id


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
    checked_in = [_checked_in(session, learner) for learner in checkin.checked_in(session)]
    return {
        "cancelled": False,
        "started": True,
        "code": code,
        "check_in_url": url,
        "qr_svg": _qr_svg(url),
        "expires_in": checkin.seconds_left(now, rules.rotation_seconds),
        "rotation_seconds": rules.rotation_seconds,
        "open": checkin.is_open(session, now, rules),
        "checked_in": checked_in,
        "expected": checkin.expected_count(session),
        "undo_url": url_for("checkin.undo", session_id=session.id),
    }


def _checked_in(session: Session, learner: checkin.CheckedIn) -> dict:
    """One learner on the screen's list, with its flags in words and its undo address."""
    return {
        "id": learner.record_id,
        "name": learner.name,
        "at": format_local(learner.marked_at, "%H:%M"),
        "same_device": _names("Same device as", learner.same_device),
        "same_address": _names("Same network address as", learner.same_address),
        "different_network": DIFFERENT_NETWORK if learner.different_network else None,
    }


def _names(saying: str, names: tuple[str, ...]) -> str | None:
    """ "Same device as Ann Lee and Bo Chan", or None for nobody."""
    if not names:
        return None
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
    return f"{saying} {listed}"


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


@bp.post("/teach/sessions/<int:session_id>/check-in/undo")
@cohort_manager(load="session_id")
def undo(session_id: int, session: Session):
    """Undoes one learner's self check-in from the trainer's screen: they are not marked."""
    form = UndoCheckInForm()
    if not form.validate_on_submit():
        flash("That check-in could not be found. Check the list and try again", "error")
        return redirect(url_for("checkin.screen", session_id=session_id))
    with service_call() as call:
        record = checkin.undo_check_in(session, form.record_id.data, by=current_user)
    if call.ok:
        name = record.enrolment.learner.full_name
        flash(f"{name}'s check-in has been undone. They are not marked on the register.", "success")
    return redirect(url_for("checkin.screen", session_id=session_id))


@bp.get("/teach/sessions/<int:session_id>/check-in.json")
@does_not_extend_session  # the screen polls it: an unattended screen must not stay logged in
@cohort_manager(load="session_id")
def screen_json(session_id: int, session: Session):
    return jsonify(_screen(session))
