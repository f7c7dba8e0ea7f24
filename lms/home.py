"""The home page: what the logged-in person should see first."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import func, select

from lms.auth.access import login_required
from lms.auth.models import User
from lms.extensions import db

bp = Blueprint("home", __name__)


@bp.get("/")
@login_required
def index():
    report_count = db.session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.line_manager_id == current_user.id, User.is_active_account.is_(True))
    )
    return render_template("home.html", report_count=report_count)
