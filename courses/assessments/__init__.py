"""Assessments: quizzes with a question bank, assignments, marking and the gradebook.

Callers import the services from here: `from courses.assessments import submit_attempt`.
An assessment belongs to a course and every cohort of the course takes it, on dates
worked out per cohort (`window`). Whether an enrolment has completed is decided in one
place only, `courses.completion`, from the results gathered here (`results_for`).

The gradebook (`courses.assessments.gradebook`) stands on that rule, so it is not
re-exported: import it from its module, or importing `courses.completion` would
import itself half-way.
"""

from courses.assessments.attempts import (
    finish_expired,
    quiz_standing,
    save_answers,
    start_attempt,
    submit_attempt,
)
from courses.assessments.authoring import (
    add_draw_item,
    add_question_item,
    archive_assessment,
    create_assessment,
    move_item,
    remove_item,
    update_assessment,
)
from courses.assessments.bank import create_question, retire_question, update_question
from courses.assessments.results import Result, results_for
from courses.assessments.schedule import Window, window
from courses.assessments.submissions import ToMark, mark_submission, submit, to_mark

__all__ = [
    "Result",
    "ToMark",
    "Window",
    "add_draw_item",
    "add_question_item",
    "archive_assessment",
    "create_assessment",
    "create_question",
    "finish_expired",
    "mark_submission",
    "move_item",
    "quiz_standing",
    "remove_item",
    "results_for",
    "retire_question",
    "save_answers",
    "start_attempt",
    "submit",
    "submit_attempt",
    "to_mark",
    "update_assessment",
    "update_question",
    "window",
]
