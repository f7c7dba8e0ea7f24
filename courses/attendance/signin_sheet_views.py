"""The printable sign-in sheet of one session: /teach/sessions/<id>/sign-in-sheet.pdf.

Admins, and the trainers of the session's cohort, may download it; anyone else who is
logged in gets 403 (as the attendance pages do), and an unknown session is 404.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from courses import attendance
from courses.attendance.signin_sheet import render_signin_sheet
from courses.cohorts import cohorts
from courses.models import Cohort, Enrolment, Session
from lms.auth.access import object_access
from lms.auth.models import User
from lms.core.extensions import db
from lms.core.timezones import to_local

bp = Blueprint("signin_sheet", __name__, url_prefix="/teach/sessions")


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
    if not cohorts.may_manage(current_user, session.cohort):
        abort(403)
    return session


def filename_for(session: Session) -> str:
    """ "sign-in-PMOCC-01-2026-03-03.pdf": the cohort's code and the session's UK date."""
    code = re.sub(r"[^A-Za-z0-9]+", "-", session.cohort.code).strip("-") or "cohort"
    return f"sign-in-{code}-{to_local(session.starts_at):%Y-%m-%d}.pdf"


@bp.get("/<int:session_id>/sign-in-sheet.pdf")
@object_access("admin, or trainer of this cohort")
def download(session_id: int):
    session = _load(session_id)
    expected = attendance.expected_query(session).options(
        joinedload(Enrolment.learner).selectinload(User.department)
    )
    learners = [enrolment.learner for enrolment in db.session.scalars(expected)]
    pdf = render_signin_sheet(session, learners, trainers=session.cohort.trainers)
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename_for(session)}"'},
    )
