"""A cohort's gradebook: its learners by the course's assessments, with completion.

Each cell says, in words, how the learner stands in one assessment: a quiz's best score
and whether it is passed, an assignment's mark (Passed, Referred, Waiting to be marked,
Not submitted) and whether it came late. Each row has the learner's attendance and their
completion, decided by `courses.completion` (never here), with what is left to do.
A page of learners costs a fixed number of queries whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from courses.assessments.models import Assessment, AssessmentKind, SubmissionStatus
from courses.assessments.results import (
    EMPTY,
    Result,
    course_assessments,
    percent_words,
    results_for,
)
from courses.attendance.rates import Rate, attendance_rates
from courses.completion import CompletionResult, decide, load_cohorts
from courses.models import Cohort, Enrolment, EnrolmentStatus
from lms.auth.models import User
from lms.core.timezones import format_local

# The learners a gradebook lists: those who hold, or held to the end, a place.
LISTED = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED)


@dataclass(frozen=True)
class Cell:
    """One learner in one assessment: `text` ("80% — Passed", "Referred"), whether it is
    `passed`, `late`, and a `detail` line ("Resubmit by 3 March 2027", "2 attempts")."""

    text: str
    passed: bool = False
    late: bool = False
    detail: str = ""


@dataclass
class Row:
    enrolment: Enrolment
    cells: list[Cell]
    rate: Rate
    completion: CompletionResult

    @property
    def outcome(self) -> str:
        """The completion column: the status closing gave, or where a confirmed learner is."""
        status = self.enrolment.status
        if status == EnrolmentStatus.COMPLETED:
            return "Completed"
        if status == EnrolmentStatus.NOT_COMPLETED:
            return "Not completed"
        return "All criteria met" if self.completion.completed else "Not complete yet"


@dataclass
class Gradebook:
    assessments: list[Assessment]
    rows: list[Row] = field(default_factory=list)


def gradebook_learners(cohort: Cohort):
    """The cohort's learners with a place (confirmed, completed or not completed), by
    name, learners loaded; the caller paginates."""
    return (
        select(Enrolment)
        .join(User, User.id == Enrolment.learner_id)
        .where(Enrolment.cohort_id == cohort.id, Enrolment.status.in_(LISTED))
        .order_by(User.full_name, Enrolment.id)
        .options(joinedload(Enrolment.learner))
    )


def _quiz_cell(quiz: Assessment, result: Result) -> Cell:
    if result.submitted == 0:
        return Cell("In progress" if result.in_progress else "Not attempted")
    attempts = f"{result.submitted} attempt{'s' if result.submitted != 1 else ''}"
    verdict = "Passed" if result.passed else "Not passed"
    return Cell(f"{percent_words(result.best_percent)} — {verdict}", result.passed, False, attempts)


def _assignment_cell(result: Result) -> Cell:
    if result.status is None:
        return Cell("Not submitted")
    detail = f"Submission {result.number}" if result.number > 1 else ""
    if result.status == SubmissionStatus.REFERRED and result.resubmit_by:
        detail = f"Resubmit by {format_local(result.resubmit_by, '%-d %B %Y')}"
    return Cell(
        result.status.label,
        result.status == SubmissionStatus.PASSED,
        result.late,
        detail,
    )


def cell(assessment: Assessment, result: Result) -> Cell:
    if assessment.kind == AssessmentKind.QUIZ:
        return _quiz_cell(assessment, result)
    return _assignment_cell(result)


def cohort_gradebook(cohort: Cohort, enrolments: list[Enrolment], now: datetime) -> Gradebook:
    """The gradebook rows of these enrolments (a page of `gradebook_learners`), in a fixed
    number of queries: the course's assessments, the results, the attendance rates."""
    assessments = course_assessments([cohort.course_id])[cohort.course_id]
    book = Gradebook(assessments)
    if not enrolments:
        return book
    load_cohorts(enrolments)
    ids = [enrolment.id for enrolment in enrolments]
    results = results_for(ids, assessments)
    rates = attendance_rates(ids, now)
    for enrolment in enrolments:
        book.rows.append(
            Row(
                enrolment=enrolment,
                cells=[
                    cell(assessment, results.get((enrolment.id, assessment.id), EMPTY))
                    for assessment in assessments
                ],
                rate=rates[enrolment.id],
                completion=decide(enrolment, assessments, rates[enrolment.id], results),
            )
        )
    return book


@dataclass
class Progress:
    """One learner's own view of their place: the completion rule's verdict with each
    criterion, and every assessment of the course with how they stand in it."""

    completion: CompletionResult
    assessments: list[tuple[Assessment, Cell]]
    rate: Rate


def learner_progress(enrolment: Enrolment, now: datetime) -> Progress:
    """The learner's progress on this enrolment: their row of the gradebook."""
    book = cohort_gradebook(enrolment.cohort, [enrolment], now)
    [row] = book.rows
    return Progress(row.completion, list(zip(book.assessments, row.cells, strict=True)), row.rate)
