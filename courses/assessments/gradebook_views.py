"""A cohort's gradebook: /teach/cohorts/<id>/gradebook and its CSV, for the cohort's
trainers and admins (cohort_manager; anyone else gets 404)."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, current_app, render_template, request

from courses.assessments.gradebook import Gradebook, cohort_gradebook, gradebook_learners
from courses.cohorts.access import cohort_manager
from courses.models import Cohort
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.web.forms import attachment, paginate
from lms.web.spreadsheets import safe_cell

bp = Blueprint("gradebook", __name__, template_folder="templates")

PAGE_SIZE = 50
MARKING = "assignments.marking"


@bp.url_defaults
def _stay_on_this_cohort(endpoint: str, values: dict) -> None:
    """The pager's links keep the cohort's id."""
    here = request.view_args or {}
    if (
        "cohort_id" not in values
        and "cohort_id" in here
        and current_app.url_map.is_endpoint_expecting(endpoint, "cohort_id")
    ):
        values["cohort_id"] = here["cohort_id"]


@bp.get("/teach/cohorts/<int:cohort_id>/gradebook")
@cohort_manager(load="cohort_id")
def show(cohort_id: int, cohort: Cohort):
    page = paginate(gradebook_learners(cohort), per_page=PAGE_SIZE)
    book = cohort_gradebook(cohort, list(page.items), utcnow())
    return render_template(
        "assessments/gradebook.html",
        cohort=cohort,
        page=page,
        book=book,
        # Each assignment's column links to its marking page.
        marking=MARKING if MARKING in current_app.view_functions else None,
    )


@bp.get("/teach/cohorts/<int:cohort_id>/gradebook.csv")
@cohort_manager(load="cohort_id")
def download(cohort_id: int, cohort: Cohort):
    learners = list(db.session.scalars(gradebook_learners(cohort)))
    book = cohort_gradebook(cohort, learners, utcnow())
    return Response(
        _csv(book),
        mimetype="text/csv",
        headers={"Content-Disposition": attachment(f"{cohort.code}-gradebook.csv")},
    )


def _csv(book: Gradebook) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["Learner", "Email", "Enrolment"]
        + [safe_cell(f"{a.title} ({a.kind.label.lower()})") for a in book.assessments]
        + ["Attendance %", "Completion", "What is left"]
    )
    for row in book.rows:
        cells = []
        for cell in row.cells:
            words = cell.text + (" (late)" if cell.late else "")
            cells.append(safe_cell(f"{words}; {cell.detail}" if cell.detail else words))
        writer.writerow(
            [
                safe_cell(row.enrolment.learner.full_name),
                safe_cell(row.enrolment.learner.email),
                row.enrolment.status.label,
                *cells,
                "" if row.rate.percent is None else f"{row.rate.percent:.1f}",
                row.outcome,
                safe_cell(row.completion.left_words),
            ]
        )
    return out.getvalue()
