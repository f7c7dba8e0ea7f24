"""The printable sign-in sheet of one session: /teach/sessions/<id>/sign-in-sheet.pdf.

Admins, and the trainers of the session's cohort, may download it
(courses.cohorts.access.cohort_manager); anyone else who is logged in gets 404, as for
an unknown session.
"""

from __future__ import annotations

import re

from flask import Blueprint, Response
from sqlalchemy.orm import joinedload

from courses import attendance
from courses.attendance.signin_sheet import render_signin_sheet
from courses.cohorts.access import cohort_manager
from courses.cohorts.cohorts import teaching_trainers
from courses.models import Enrolment, Session
from lms.auth.models import User
from lms.core.extensions import db
from lms.core.timezones import to_local

bp = Blueprint("signin_sheet", __name__, url_prefix="/teach/sessions")


def filename_for(session: Session) -> str:
    """ "sign-in-PMOCC-01-2026-03-03.pdf": the cohort's code and the session's UK date."""
    code = re.sub(r"[^A-Za-z0-9]+", "-", session.cohort.code).strip("-") or "cohort"
    return f"sign-in-{code}-{to_local(session.starts_at):%Y-%m-%d}.pdf"


@bp.get("/<int:session_id>/sign-in-sheet.pdf")
@cohort_manager(load="session_id")
def download(session_id: int, session: Session):
    expected = attendance.expected_query(session).options(
        joinedload(Enrolment.learner).selectinload(User.department)
    )
    learners = [enrolment.learner for enrolment in db.session.scalars(expected)]
    pdf = render_signin_sheet(session, learners, trainers=teaching_trainers(session.cohort))
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename_for(session)}"'},
    )
