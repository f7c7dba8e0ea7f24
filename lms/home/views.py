"""The home page: my learning; a manager's team; a trainer's next sessions."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from courses.attendance.checkin import CheckInRules
from courses.attendance.forms import CheckInForm
from lms.auth.access import login_required
from lms.core.db import utcnow
from lms.home.my_learning import my_learning

bp = Blueprint("home", __name__, template_folder="templates")


@bp.get("/")
@login_required
def index():
    learning = my_learning(current_user, utcnow(), CheckInRules.from_config(current_app.config))
    return render_template("home/index.html", learning=learning, check_in_form=CheckInForm())
