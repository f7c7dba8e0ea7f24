"""A learner's evaluations (/evaluations/): what waits for them and what they have done;
the course survey, rating their confidence before and after a course, and the 3- and
6-month follow-ups.

Every page about one enrolment or follow-up is its learner's alone: anyone else, admins
too, gets 404, as for one that does not exist. A page not open yet (a survey before the
cohort closes, say) answers 409 and says when it will be. Answers can be changed: the
form comes back filled in.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from courses.models import Cohort, Enrolment
from lms.auth.access import login_required, object_access
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.impact import confidence, follow_ups, reaction, waiting
from lms.impact import questions as question_sets
from lms.impact.forms import FollowUpForm, confidence_form, reaction_form
from lms.impact.models import Phase
from lms.web.forms import INVALID, service_call, show_error

bp = Blueprint("evaluations", __name__, template_folder="templates")

LEARNER = "the learner of the enrolment"
FOLLOW_UP_LEARNER = "the learner the follow-up is for"
NOT_OPEN = 409
QUESTIONS_CHANGED = (
    "The questions have changed since you opened this page. Check your answers and send them again"
)


def _own_enrolment(enrolment_id: int) -> Enrolment:
    """The current user's enrolment, with its cohort and course; 404 for anyone else's."""
    enrolment = db.session.scalar(
        select(Enrolment)
        .where(Enrolment.id == enrolment_id, Enrolment.learner_id == current_user.id)
        .options(joinedload(Enrolment.cohort).joinedload(Cohort.course))
    )
    if enrolment is None:
        abort(404)
    return enrolment


def _not_open(enrolment: Enrolment, heading: str, message: str):
    return render_template(
        "impact/not_open.html", enrolment=enrolment, heading=heading, message=message
    ), NOT_OPEN


@bp.get("/evaluations/")
@login_required
def index():
    """The learner's own evaluations: waiting, then done."""
    return render_template(
        "impact/index.html", mine=waiting.my_evaluations(current_user.id, utcnow())
    )


@bp.route("/evaluations/<int:enrolment_id>/reaction", methods=["GET", "POST"], endpoint="reaction")
@object_access(LEARNER, argument="enrolment_id")
def reaction_survey(enrolment_id: int):
    enrolment = _own_enrolment(enrolment_id)
    why_not = reaction.refusal(enrolment)
    if why_not:
        return _not_open(enrolment, "The course survey is not open yet", why_not)
    course = enrolment.cohort.course
    settings = question_sets.settings_of(course.id)
    asked = question_sets.asked(course, settings)
    response = reaction.response_of(enrolment.id)
    submitted = request.method == "POST"
    form = reaction_form(asked, reaction.answers_by_key(asked, response), submitted=submitted)
    if submitted:
        if form.shown_other_questions(request.form.keys()):
            show_error(form, QUESTIONS_CHANGED)
        elif form.validate_on_submit():
            with service_call(form) as call:
                reaction.submit(enrolment, asked, form.answers(), now=utcnow())
            if call.ok:
                flash(
                    "Thank you: your answers have been saved. You can change them here at any "
                    "time.",
                    "success",
                )
                return redirect(url_for("evaluations.index"))
            enrolment = _own_enrolment(enrolment_id)  # rolled back: afresh
    status = INVALID if submitted else 200
    return render_template(
        "impact/reaction.html",
        form=form,
        enrolment=enrolment,
        course=enrolment.cohort.course,
        answered=response is not None,
        anonymous=settings.anonymous,
    ), status


@bp.route(
    "/evaluations/<int:enrolment_id>/confidence/<phase>",
    methods=["GET", "POST"],
    endpoint="confidence",
)
@object_access(LEARNER, argument="enrolment_id")
def confidence_rating(enrolment_id: int, phase: str):
    try:
        chosen = Phase(phase)
    except ValueError:
        abort(404)
    enrolment = _own_enrolment(enrolment_id)
    why_not = confidence.refusal(enrolment, chosen)
    if why_not:
        return _not_open(enrolment, "You cannot rate your confidence here now", why_not)
    outcomes = confidence.outcomes_of(enrolment.cohort.course)
    saved = confidence.ratings_of(enrolment.id, chosen)
    submitted = request.method == "POST"
    form = confidence_form(
        outcomes, {index: rating.score for index, rating in saved.items()}, submitted=submitted
    )
    if submitted and form.validate_on_submit():
        with service_call(form) as call:
            confidence.rate(enrolment, chosen, form.scores(), now=utcnow())
        if call.ok:
            flash("Thank you: your confidence ratings have been saved.", "success")
            return redirect(url_for("evaluations.index"))
        enrolment = _own_enrolment(enrolment_id)
    status = INVALID if submitted else 200
    return render_template(
        "impact/confidence.html",
        form=form,
        enrolment=enrolment,
        course=enrolment.cohort.course,
        phase=chosen,
        rated=bool(saved),
    ), status


@bp.route("/evaluations/follow-ups/<int:follow_up_id>", methods=["GET", "POST"])
@object_access(FOLLOW_UP_LEARNER, argument="follow_up_id")
def follow_up(follow_up_id: int):
    found = follow_ups.follow_up_of(follow_up_id, current_user.id)
    if found is None:
        abort(404)
    form = FollowUpForm()
    answered = found.answered_at is not None
    if request.method == "GET":
        form.fill_from(found)
    elif form.validate_on_submit():
        with service_call(form) as call:
            follow_ups.answer(
                found,
                project_since=form.project_since.data,
                applied=form.applied.data,
                now=utcnow(),
            )
        if call.ok:
            flash("Thank you: your answer has been saved.", "success")
            return redirect(url_for("evaluations.index"))
        found = follow_ups.follow_up_of(follow_up_id, current_user.id)
    status = INVALID if form.is_submitted() else 200
    return render_template(
        "impact/follow_up.html",
        form=form,
        follow_up=found,
        course=found.enrolment.cohort.course,
        completed_on=follow_ups.completion_day(found.enrolment.ended_at)
        if found.enrolment.ended_at
        else None,
        answered=answered,
    ), status
