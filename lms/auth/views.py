"""Logging in and out, and a person's own password."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from lms.auth import accounts
from lms.auth.access import login_required, public
from lms.auth.forms import ChangePasswordForm, LoginForm, ResetRequestForm, SetPasswordForm
from lms.auth.throttle import login_per_account, login_per_address, reset_per_address
from lms.core.unit_of_work import keep_changes_despite_refusal
from lms.web.forms import INVALID, safe_next, service_call

bp = Blueprint("auth", __name__, template_folder="templates")

LOGIN_FAILED = "Your email address or password is wrong"


def _start_session(user) -> None:
    """A fresh session for a fresh login: nothing from before login carries over."""
    session.clear()
    session.permanent = True
    login_user(user)


@bp.route("/login", methods=["GET", "POST"])
@public
@login_per_account
@login_per_address
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
        form.form_errors.append(LOGIN_FAILED)
        return render_template("auth/login.html", form=form), 401
    _start_session(user)
    return redirect(safe_next(request.args.get("next"), url_for("home.index")))


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
        with service_call(form) as call:
            accounts.change_password(
                user, form.current_password.data, form.password.data, form.confirm_password.data
            )
        if call.ok:
            _start_session(user)  # other sessions end; this one carries on
            flash("Your password has been changed.", "success")
            return redirect(url_for("home.index"))
    status = INVALID if form.errors or form.form_errors else 200
    return render_template("auth/change_password.html", form=form), status


@bp.route("/account/reset", methods=["GET", "POST"])
@public
@reset_per_address
def request_reset():
    form = ResetRequestForm()
    if form.validate_on_submit():
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
            return redirect(url_for("auth.login"))
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "auth/reset_password.html", form=form, purpose=purpose, email=email
    ), status
