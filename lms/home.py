"""The home page: my learning; a manager's team; a trainer's next sessions."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from courses.checkin import CheckInRules
from courses.enrolment import can_cancel
from courses.forms import CheckInForm
from courses.learning import my_learning
from lms.auth.access import login_required
from lms.db import utcnow

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    learning = my_learning(current_user, utcnow(), CheckInRules.from_config(current_app.config))
    return render_template(
        "home.html", learning=learning, can_cancel=can_cancel, check_in_form=CheckInForm()
    )
