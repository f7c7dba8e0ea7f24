"""The learner's assessment pages: a quiz (or assignment) page, and taking a quiz attempt.

A learner reaches an assessment through their enrolment on a cohort of its course
(`access.learner_enrolment`); its authors (admins, the course's trainers) see a preview
of a quiz's settings. Anyone else gets 404, as for one that does not exist. An attempt is
only ever its learner's (`access.attempt_owner`).

Which options are correct never reaches the browser before the attempt is submitted: the
attempt page is built from `attempts.question_sheet`, which carries no such thing, and
the background save answers with nothing but when it saved.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from courses.assessments import attempts
from courses.assessments.access import (
    attempt_owner,
    learner_enrolment,
    may_author,
    own_attempt,
)
from courses.assessments.assignment_views import assignment_page
from courses.assessments.attempt_forms import AnswersForm, StartAttemptForm, answers_form
from courses.assessments.models import Assessment, Attempt, QuizItem
from courses.assessments.results import EMPTY, percent_words, results_for
from courses.models import Enrolment
from lms.auth.access import object_access
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.timezones import format_local
from lms.web.forms import INVALID, RELOAD, paginate, service_call, show_error

bp = Blueprint("assessments", __name__, template_folder="templates")

TAKER_OR_AUTHOR = "the learner on a cohort of its course, or its author"
TAKER = "the learner on a cohort of its course"
ATTEMPTS_PAGE_SIZE = 20


# --- the quiz page -------------------------------------------------------------------------


@bp.url_defaults
def _stay_on_this_assessment(endpoint: str, values: dict) -> None:
    """The quiz page's pager links keep the assessment's id."""
    here = request.view_args or {}
    if endpoint == "assessments.show" and "assessment_id" not in values and "assessment_id" in here:
        values["assessment_id"] = here["assessment_id"]


@bp.get("/assessments/<int:assessment_id>")
@object_access(TAKER_OR_AUTHOR, argument="assessment_id")
def show(assessment_id: int):
    """A quiz: its rules, the learner's attempts and Start or Resume; for an author
    without a place, a preview of its settings. An assignment: its own page."""
    assessment, enrolment = _assessment_for_visitor(assessment_id)
    if not assessment.is_quiz:
        return assignment_page(assessment, enrolment)
    if enrolment is None:
        return _preview(assessment)
    now = utcnow()
    standing = attempts.quiz_standing(assessment, enrolment, now=now)
    in_progress = standing.in_progress
    return render_template(
        "assessments/quiz.html",
        assessment=assessment,
        enrolment=enrolment,
        standing=standing,
        is_open=standing.window.is_open(now),
        in_progress_time_up=in_progress is not None and attempts.is_time_up(in_progress, now),
        page=paginate(attempts.attempts_of(assessment, enrolment), per_page=ATTEMPTS_PAGE_SIZE),
        percent_words=percent_words,
        form=StartAttemptForm(formdata=None),
    )


@bp.post("/assessments/<int:assessment_id>/attempts")
@object_access(TAKER, argument="assessment_id")
def start(assessment_id: int):
    """Starts an attempt, or resumes the one in progress."""
    assessment, enrolment = _assessment_for_visitor(assessment_id)
    if enrolment is None or not assessment.is_quiz:
        abort(404)
    if not StartAttemptForm().validate_on_submit():
        flash(RELOAD, "error")
        return redirect(url_for("assessments.show", assessment_id=assessment_id))
    with service_call() as call:
        attempt = attempts.start_attempt(assessment, enrolment, now=utcnow())
    if not call.ok:
        return redirect(url_for("assessments.show", assessment_id=assessment_id))
    return redirect(url_for("assessments.attempt", attempt_id=attempt.id))


def _assessment_for_visitor(assessment_id: int) -> tuple[Assessment, Enrolment | None]:
    """The assessment and the visitor's enrolment for it (None for an author without
    one); 404 for anyone else, and for learners once it is archived."""
    assessment = db.session.scalar(
        select(Assessment)
        .where(Assessment.id == assessment_id)
        .options(joinedload(Assessment.course))
    )
    if assessment is None:
        abort(404)
    enrolment = learner_enrolment(current_user, assessment.course_id)
    if (enrolment is None or assessment.archived) and not may_author(
        current_user, assessment.course
    ):
        abort(404)
    return assessment, enrolment


def _preview(assessment: Assessment):
    items = list(
        db.session.scalars(
            select(QuizItem)
            .where(QuizItem.assessment_id == assessment.id)
            .order_by(QuizItem.position, QuizItem.id)
        )
    )
    return render_template(
        "assessments/quiz_preview.html",
        assessment=assessment,
        fixed=sum(1 for item in items if item.question_id is not None),
        draws=[(item.draw_category, item.draw_count) for item in items if item.draw_count],
    )


# --- an attempt ---------------------------------------------------------------------------


@bp.get("/attempts/<int:attempt_id>")
@attempt_owner
def attempt(attempt_id: int, attempt: Attempt):
    """In progress: the questions to answer. Submitted: the marks and feedback."""
    if attempt.submitted:
        return _result_page(attempt)
    return _attempt_page(attempt, answers_form(attempts.load_questions(attempt), submitted=False))


@bp.post("/attempts/<int:attempt_id>/answers")
@attempt_owner
def save(attempt_id: int, attempt: Attempt):
    """Saves the answers so far: from the page's Save button, or in the background
    (`js/attempt.js`), which asks for JSON."""
    form = answers_form(attempts.load_questions(attempt), submitted=True)
    if form.validate_on_submit():
        now = utcnow()
        with service_call(form) as call:
            attempts.save_answers(attempt, form.answers(), now=now)
        if call.ok:
            if _wants_json():
                return jsonify(saved=True, saved_at=now.isoformat(), saved_at_words=_at(now))
            flash(f"Your answers were saved at {_at(now)}.", "success")
            return redirect(url_for("assessments.attempt", attempt_id=attempt_id))
    return _refused(attempt_id, form)


@bp.post("/attempts/<int:attempt_id>/submit")
@attempt_owner
def submit(attempt_id: int, attempt: Attempt):
    """Saves the answers sent and marks the attempt; after the time limit, marks the
    answers saved in time and says so."""
    form = answers_form(attempts.load_questions(attempt), submitted=True)
    if form.validate_on_submit():
        with service_call(form) as call:
            attempts.submit_attempt(attempt, form.answers(), now=utcnow(), by=current_user)
        if call.ok:
            attempt = db.session.get(Attempt, attempt_id)
            if attempt.timed_out:
                flash(
                    f"Time ran out at {_at(attempt.deadline_at)}, so the answers sent after "
                    "then were not saved. Your answers saved by then have been marked.",
                    "info",
                )
            else:
                flash("Your answers have been submitted and marked.", "success")
            return redirect(url_for("assessments.attempt", attempt_id=attempt_id))
    return _refused(attempt_id, form)


def _refused(attempt_id: int, form: AnswersForm):
    """A save or submission that was refused: nothing was saved. The page again, showing
    the answers as saved, with the reason (or, in the background, the reason as JSON); a
    submitted attempt's result, with the reason as a banner."""
    problems = [(message, None) for message in form.form_errors] + [
        (message, field.name) for field in form for message in field.errors
    ]
    message = problems[0][0] if problems else RELOAD
    if _wants_json():
        return jsonify(saved=False, error=message), INVALID
    attempt = own_attempt(attempt_id)  # the refusal rolled back, so load afresh
    if attempt.submitted:
        flash(message, "error")
        return redirect(url_for("assessments.attempt", attempt_id=attempt_id))
    again = answers_form(attempts.load_questions(attempt), submitted=False)
    for problem, field in problems or [(RELOAD, None)]:
        show_error(again, problem, field)
    return _attempt_page(attempt, again, status=INVALID)


def _attempt_page(attempt: Attempt, form: AnswersForm, *, status: int = 200):
    now = utcnow()
    return render_template(
        "assessments/attempt.html",
        attempt=attempt,
        assessment=attempt.assessment,
        questions=attempts.question_sheet(attempt),
        form=form,
        chosen={aq.question_id: set(form.field_for(aq).data or []) for aq in form.questions},
        time_up=attempts.is_time_up(attempt, now),
        seconds_left=attempts.seconds_left(attempt, now),
    ), status


def _result_page(attempt: Attempt):
    result = results_for([attempt.enrolment_id], [attempt.assessment]).get(
        (attempt.enrolment_id, attempt.assessment_id), EMPTY
    )
    reveal = attempts.reveals_answers(
        attempt,
        passed_any=result.passed,
        attempts_used=result.attempts_used,
        in_progress=result.in_progress,
    )
    return render_template(
        "assessments/attempt_result.html",
        attempt=attempt,
        assessment=attempt.assessment,
        questions=attempts.review(attempt, reveal=reveal),
        reveal=reveal,
        percent=percent_words(attempt.percent),
    )


def _wants_json() -> bool:
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == (
        "application/json"
    )


def _at(moment) -> str:
    return format_local(moment, "%H:%M")
