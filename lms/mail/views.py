"""The Mail page for admins: /admin/mail/."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from lms.auth.access import role_required
from lms.auth.models import Role
from lms.mail import delivery
from lms.web.forms import service_call

bp = Blueprint("mail", __name__, url_prefix="/admin/mail", template_folder="templates")


@bp.get("/")
@role_required(Role.ADMIN)
def index():
    hours = int(current_app.config["OUTBOX_GIVE_UP_AFTER"].total_seconds() // 3600)
    return render_template("mail/index.html", mail=delivery.summary(), give_up_hours=hours)


@bp.post("/requeue")
@role_required(Role.ADMIN)
def requeue():
    with service_call() as call:
        requeued = delivery.requeue_failed(by=current_user)
    if call.ok and requeued:
        messages = "1 failed message" if requeued == 1 else f"{requeued:,} failed messages"
        flash(f"{messages} will be sent again.", "success")
    elif call.ok:
        flash("There were no failed messages to send again.")
    return redirect(url_for("mail.index"))
