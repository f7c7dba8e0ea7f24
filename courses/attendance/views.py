"""Teaching pages: a trainer's cohorts, session registers, the attendance grid and CSV.

Admins see every cohort; trainers the cohorts they teach (cohorts.may_manage, enforced by
courses.cohorts.access.cohort_manager). Anyone else gets 404, as for one that does not
exist.
"""

from __future__ import annotations

import csv
import io

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy.orm import selectinload

from courses import attendance
from courses.assessments import to_mark
from courses.attendance.forms import register_form
from courses.cohorts.access import cohort_manager, managed_session
from courses.cohorts.cohorts import managed_cohorts
from courses.cohorts.sessions import held_sessions
from courses.models import Cohort, Session
from lms.auth.access import role_required
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.timezones import format_local
from lms.web.forms import INVALID, attachment, paginate, service_call, show_error
from lms.web.spreadsheets import safe_cell as _safe

bp = Blueprint("attendance", __name__, template_folder="templates")

GRID_PAGE_SIZE = 50


@bp.url_defaults
def _stay_on_this_cohort(endpoint: str, values: dict) -> None:
    """The grid's pager links keep the cohort's id."""
    here = request.view_args or {}
    if (
        "cohort_id" not in values
        and "cohort_id" in here
        and current_app.url_map.is_endpoint_expecting(endpoint, "cohort_id")
    ):
        values["cohort_id"] = here["cohort_id"]


# --- views -------------------------------------------------------------------------------


@bp.get("/teach/")
@role_required(Role.ADMIN, Role.TRAINER)
def index():
    """The cohorts this person teaches (admins: all), each with its sessions."""
    page = paginate(
        managed_cohorts(current_user, utcnow()).options(selectinload(Cohort.sessions)),
        per_page=current_app.config["ADMIN_PAGE_SIZE"],
    )
    ids = [session.id for cohort in page.items for session in cohort.sessions]
    return render_template(
        "attendance/index.html",
        page=page,
        held={cohort.id: held_sessions(cohort) for cohort in page.items},
        counts=attendance.session_counts(ids),
        to_mark=to_mark(page.items),
        now=utcnow(),
    )


@bp.route("/teach/sessions/<int:session_id>/register", methods=["GET", "POST"])
@cohort_manager(load="session_id")
def register(session_id: int, session: Session):
    """The register; "Mark everyone present" fills the unmarked rows without saving."""
    form = _register_form(session)
    if not form.validate_on_submit():
        return _register_page(session, form, status=INVALID if form.is_submitted() else 200)
    if form.filling_in:
        return _register_page(session, form, filled=form.fill_unmarked())
    with service_call(form) as call:
        attendance.mark_register(
            session,
            form.marks(),
            by=current_user,
            now=utcnow(),
            reason=form.reason_text(),
            seen=form.seen(),
        )
    if call.ok:
        flash("The register has been saved.", "success")
        return redirect(url_for("attendance.register", session_id=session_id))
    session = managed_session(session_id)  # the refusal rolled back, so load afresh
    form = _register_form(session)
    form.validate()
    show_error(form, call.error)
    if isinstance(call.error, attendance.RegisterChanged):
        form.show_current(call.error.enrolment_ids)  # review the new marks, then save again
    return _register_page(session, form, status=INVALID)


def _register_form(session: Session):
    return register_form(
        attendance.register_rows(session),
        with_reason=attendance.needs_reason(session),
        submitted=request.method == "POST",
    )


def _register_page(session: Session, form, *, status: int = 200, filled: int | None = None):
    return render_template(
        "attendance/register.html",
        session=session,
        cohort=session.cohort,
        form=form,
        editable=attendance.may_mark(session, current_user),
        ended=session.ends_at <= utcnow(),
        auto_absent_hours=current_app.config["AUTO_ABSENT_AFTER_HOURS"],
        filled=filled,
    ), status


@bp.get("/teach/cohorts/<int:cohort_id>/attendance")
@cohort_manager(load="cohort_id")
def cohort_grid(cohort_id: int, cohort: Cohort):
    """Learners by sessions, each cell in words and colour, with each learner's rate."""
    page = paginate(attendance.cohort_learners(cohort), per_page=GRID_PAGE_SIZE)
    grid = attendance.cohort_grid(cohort, list(page.items), utcnow())
    return render_template("attendance/grid.html", cohort=cohort, page=page, grid=grid)


@bp.get("/teach/cohorts/<int:cohort_id>/attendance.csv")
@cohort_manager(load="cohort_id")
def cohort_grid_csv(cohort_id: int, cohort: Cohort):
    learners = list(db.session.scalars(attendance.cohort_learners(cohort)))
    grid = attendance.cohort_grid(cohort, learners, utcnow())
    return Response(
        _grid_csv(cohort, grid),
        mimetype="text/csv",
        headers={"Content-Disposition": attachment(f"{cohort.code}-attendance.csv")},
    )


# --- helpers -------------------------------------------------------------------------------


def _grid_csv(cohort: Cohort, grid: attendance.Grid) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["Learner", "Email", "Enrolment"]
        + [
            _safe(f"{session.title} ({format_local(session.starts_at, '%-d %b %Y %H:%M')})")
            for session in grid.sessions
        ]
        + ["Attended", "Sessions counted", "Excused", "Attendance %"]
    )
    for enrolment in grid.enrolments:
        rate = grid.rates[enrolment.id]
        writer.writerow(
            [
                _safe(enrolment.learner.full_name),
                _safe(enrolment.learner.email),
                enrolment.status.label,
            ]
            + [grid.cell(enrolment, session).text for session in grid.sessions]
            + [
                rate.attended,
                rate.counted,
                rate.excused,
                "" if rate.percent is None else f"{rate.percent:.1f}",
            ]
        )
    return out.getvalue()
