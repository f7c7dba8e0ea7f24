"""Logging in and out, and a person's own password."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from lms.auth import accounts, throttle
from lms.auth.access import login_required, public
from lms.auth.forms import ChangePasswordForm, LoginForm, ResetRequestForm, SetPasswordForm
from lms.core.unit_of_work import keep_changes_despite_refusal, refuse_changes
from lms.web.errors import render_error
from lms.web.forms import INVALID, safe_next, service_call
from lms.web.security import start_login_clock

bp = Blueprint("auth", __name__, template_folder="templates")

LOGIN_FAILED = "Your email address or password is wrong"
TOO_MANY_ATTEMPTS = {
    "auth.login": [
        "You have tried to log in too many times. Wait 15 minutes, then try again.",
        "If you have forgotten your password, reset it: you can then log in straight away "
        "in this browser.",
    ],
    "auth.change_password": [
        "Your current password has been entered wrongly too many times. "
        "Wait 15 minutes, then try again.",
    ],
}


@bp.errorhandler(429)
def _too_many_attempts(_error):
    refuse_changes()
    return render_error(429, TOO_MANY_ATTEMPTS.get(request.endpoint))


def _start_session(user) -> None:
    """A fresh session for a fresh login: nothing from before login carries over."""
    session.clear()
    session.permanent = True
    start_login_clock(session)
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@public
@throttle.login_limits
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template(
            "auth/login.html", form=form
        ), INVALID if form.is_submitted() else 200
    user = accounts.authenticate(form.email.data, form.password.data)
    if user is None:
        keep_changes_despite_refusal()  # the failed attempt stays in the audit log
        if throttle.count_towards_warning(form.email.data):
            accounts.warn_of_failed_logins(form.email.data)
        form.form_errors.append(LOGIN_FAILED)
        return render_template("auth/login.html", form=form), 401
    _start_session(user)
    response = redirect(safe_next(request.args.get("next"), url_for("home.index")))
    throttle.remember_browser(response, user.email)
    return response


@bp.post("/logout")
@public  # logging out an already-ended session is harmless; CSRF still applies
def logout():
    if current_user.is_authenticated:
        accounts.log_out(current_user._get_current_object())
    logout_user()
    session.clear()
    flash("You have logged out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        if not throttle.password_checks_left(user):
            abort(429)
        with service_call(form) as call:
            accounts.change_password(
                user, form.current_password.data, form.password.data, form.confirm_password.data
            )
        if call.ok:
            _start_session(user)  # other sessions end; this one carries on
            flash("Your password has been changed.", "success")
            return redirect(url_for("home.index"))
        if isinstance(call.error, accounts.WrongPassword):
            throttle.count_wrong_password(user)
    status = INVALID if form.errors or form.form_errors else 200
    return render_template("auth/change_password.html", form=form), status


@bp.route("/account/reset", methods=["GET", "POST"])
@public
@throttle.reset_per_address
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
        # Over the account's limit nothing is sent, and the page says the same as ever.
        if throttle.reset_allowed(form.email.data):
            accounts.request_password_reset(form.email.data)
        return render_template("auth/reset_sent.html", email=form.email.data)
    status = INVALID if form.is_submitted() else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    try:
        password_token = accounts.valid_token(token)
    except accounts.InvalidToken:
        return render_template("auth/reset_invalid.html"), 410
    purpose, email = password_token.purpose, password_token.user.email
    form = SetPasswordForm()
    if form.validate_on_submit():
        with service_call(form) as call:
            accounts.reset_password(token, form.password.data, form.confirm_password.data)
        if call.ok:
            flash("Your password has been set. You can now log in.", "success")
            response = redirect(url_for("auth.login"))
            throttle.remember_browser(response, email)  # the mailbox's owner uses it
            return response
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "auth/reset_password.html", form=form, purpose=purpose, email=email
    ), status
