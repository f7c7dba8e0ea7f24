"""Assignment pages: the learner's page and submitting, downloading a submission's file,
and marking (a cohort's list, and one submission).

The learner's page is part of `/assessments/<id>` (`assessments.show` calls
`assignment_page`). A learner submits through their own enrolment on a cohort of the
course (`access.learner_enrolment`). A submission's file is served to its learner, the
trainers of their cohort and admins (`access.submission_viewer`); marking is for the
cohort's trainers and admins (`cohort_manager`, `access.submission_marker`). Anyone
else gets 404, as for something that does not exist.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from courses.assessments import submissions
from courses.assessments.access import (
    learner_enrolment,
    marked_submission,
    submission_marker,
    submission_viewer,
)
from courses.assessments.models import Assessment, AssessmentKind, Submission
from courses.assessments.submission_forms import MarkForm, SubmissionForm
from courses.assessments.uploads import file_bytes, size_words
from courses.cohorts.access import cohort_manager
from courses.models import Cohort, Enrolment
from lms.auth.access import object_access
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.web.forms import INVALID, attachment, paginate, service_call

bp = Blueprint("assignments", __name__, template_folder="templates")
bp.add_app_template_filter(size_words, "file_size")

TAKER = "the learner on a cohort of its course"
MARKING_PAGE_SIZE = 50


@bp.url_defaults
def _stay_on_this_list(endpoint: str, values: dict) -> None:
    """The marking list's pager links keep the cohort's and the assignment's ids."""
    here = request.view_args or {}
    if endpoint == "assignments.marking":
        for key in ("cohort_id", "assessment_id"):
            if key not in values and key in here:
                values[key] = here[key]


# --- the learner's page and submitting ----------------------------------------------------


def assignment_page(
    assessment: Assessment,
    enrolment: Enrolment | None,
    *,
    form: SubmissionForm | None = None,
    status: int = 200,
):
    """An assignment's page: its brief and, for a learner, its dates for their cohort,
    their submissions (newest first) and the form to submit when they may. An author
    without a place sees the brief only."""
    if enrolment is None:
        return render_template("assessments/assignment.html", assessment=assessment), status
    now = utcnow()
    standing = submissions.standing(assessment, enrolment, now=now)
    return render_template(
        "assessments/assignment.html",
        assessment=assessment,
        enrolment=enrolment,
        standing=standing,
        is_open=standing.window.is_open(now),
        form=form or _submission_form(formdata=None),
    ), status


@bp.post("/assessments/<int:assessment_id>/submissions")
@object_access(TAKER, argument="assessment_id")
def submit(assessment_id: int):
    """Sends the learner's submission: text and/or one file."""
    assessment, enrolment = _assignment_and_place(assessment_id)
    form = _submission_form()
    if form.validate_on_submit():
        with service_call(form) as call:
            submissions.submit(
                assessment,
                enrolment,
                form.text.data or "",
                form.upload,
                now=utcnow(),
                by=current_user,
            )
        if call.ok:
            flash("Your submission has been sent. Your trainer will mark it.", "success")
            return redirect(url_for("assessments.show", assessment_id=assessment_id))
        assessment, enrolment = _assignment_and_place(assessment_id)  # rolled back: afresh
    return assignment_page(assessment, enrolment, form=form, status=INVALID)


def _submission_form(**kwargs) -> SubmissionForm:
    return SubmissionForm(max_bytes=current_app.config["UPLOAD_MAX_BYTES"], **kwargs)


def _assignment_and_place(assessment_id: int) -> tuple[Assessment, Enrolment]:
    """The assignment and the learner's place for it; 404 when either is missing."""
    assessment = db.session.scalar(
        select(Assessment)
        .where(Assessment.id == assessment_id)
        .options(joinedload(Assessment.course))
    )
    if assessment is None or assessment.kind != AssessmentKind.ASSIGNMENT:
        abort(404)
    enrolment = learner_enrolment(current_user, assessment.course_id)
    if enrolment is None or assessment.archived:
        abort(404)
    return assessment, enrolment


# --- a submission's file -------------------------------------------------------------------


@bp.get("/submissions/<int:submission_id>/file")
@submission_viewer
def download(submission_id: int, submission: Submission):
    """The file, as an attachment under its safe name and stored type, never shown
    inline."""
    if submission.file is None:
        abort(404)
    try:
        content = file_bytes(submission.file)
    except FileNotFoundError:
        abort(404)  # gone from UPLOAD_FOLDER (logged): nothing to send
    return Response(
        content,
        mimetype=submission.file.media_type,
        headers={
            "Content-Disposition": attachment(submission.file.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


# --- marking -------------------------------------------------------------------------------


@bp.get("/teach/cohorts/<int:cohort_id>/assessments/<int:assessment_id>/marking")
@cohort_manager(load="cohort_id")
def marking(cohort_id: int, assessment_id: int, cohort: Cohort):
    """The cohort's learners with their latest submission of the assignment, and counts."""
    assessment = db.session.get(Assessment, assessment_id)
    if (
        assessment is None
        or assessment.kind != AssessmentKind.ASSIGNMENT
        or assessment.course_id != cohort.course_id
    ):
        abort(404)
    page = paginate(submissions.marking_learners(cohort), per_page=MARKING_PAGE_SIZE)
    return render_template(
        "assessments/marking/list.html",
        cohort=cohort,
        assessment=assessment,
        page=page,
        latest=submissions.latest_submissions(assessment, [e.id for e in page.items]),
        counts=submissions.marking_counts(cohort, assessment),
    )


@bp.route("/teach/submissions/<int:submission_id>", methods=["GET", "POST"])
@submission_marker
def mark(submission_id: int, submission: Submission):
    """One submission with the learner's earlier ones, and the form to mark it."""
    if request.method == "GET":
        form = MarkForm(formdata=None, data=_current_mark(submission))
        return _mark_page(submission, form)
    form = MarkForm()
    if form.validate_on_submit():
        first = submission.marked_at is None
        with service_call(form) as call:
            submissions.mark_submission(
                submission, form.outcome.data, form.feedback.data, now=utcnow(), by=current_user
            )
        if call.ok:
            flash("The mark has been saved." if first else "The mark has been changed.", "success")
            return redirect(url_for("assignments.mark", submission_id=submission_id))
        submission = marked_submission(submission_id)  # rolled back: load afresh
    return _mark_page(submission, form, status=INVALID)


def _current_mark(submission: Submission) -> dict:
    """The form filled with the mark given, to change it; empty before the first."""
    if submission.marked_at is None:
        return {}
    return {"outcome": submission.status.value, "feedback": submission.feedback or ""}


def _mark_page(submission: Submission, form: MarkForm, *, status: int = 200):
    enrolment = submission.enrolment  # loaded with its cohort by the access check
    history = submissions.submissions_of(submission.assessment, enrolment)
    latest = history[0] if history else submission
    return render_template(
        "assessments/marking/submission.html",
        submission=submission,
        assessment=submission.assessment,
        cohort=enrolment.cohort,
        learner=enrolment.learner,
        earlier=[other for other in history if other.number < submission.number],
        later=latest if latest.number > submission.number else None,
        form=form,
    ), status
