"""A cohort's evaluation results for its trainers and admins
(/teach/cohorts/<id>/evaluations): the course survey's results and the confidence uplift
per learning outcome.

For an anonymous course (the default) the page holds totals, averages, distributions and
the comments ordered by their words, and nothing that links an answer to a person; with
fewer than 3 responses it shows only how many there were. For a course that is not
anonymous it lists each learner's answers by name too.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from courses.cohorts.access import cohort_manager
from courses.models import Cohort
from lms.impact import confidence, reaction
from lms.impact import questions as question_sets
from lms.impact.forms import AGREEMENT, AGREEMENT_WORDS
from lms.impact.models import QuestionKind

bp = Blueprint("evaluation_results", __name__, template_folder="templates")


@bp.get("/teach/cohorts/<int:cohort_id>/evaluations")
@cohort_manager(load="cohort_id")
def results(cohort_id: int, cohort: Cohort):
    settings = question_sets.settings_of(cohort.course_id)
    survey = reaction.cohort_results(cohort, settings)
    uplift = confidence.uplift(cohort.course, cohort_id=cohort.id)
    # An anonymous course's ratings are shown, like its survey, only from a few learners.
    uplift_shown = not settings.anonymous or uplift.rated_both >= reaction.MIN_RESPONSES_SHOWN
    return render_template(
        "impact/teach/results.html",
        cohort=cohort,
        course=cohort.course,
        settings=settings,
        survey=survey,
        uplift=uplift,
        uplift_shown=uplift_shown,
        minimum=reaction.MIN_RESPONSES_SHOWN,
        agreement=AGREEMENT,
        agreement_words=AGREEMENT_WORDS,
        kinds=QuestionKind,
    )
