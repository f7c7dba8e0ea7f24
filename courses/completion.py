"""The one rule that decides whether an enrolment is complete.

An enrolment is complete when both hold:

- its attendance rate (`courses.attendance.attendance_rates`: present, late and left
  early attend; excused sessions leave the denominator) is at least the course's
  `min_attendance_percent`, compared exactly: 79.9% is below 80%;
- every assessment of the course that is `required` and not archived is passed: a quiz
  when any submitted attempt passed, an assignment when its latest submission passed.

`evaluate_many` decides for any number of enrolments in a fixed number of queries;
`decide` is the rule itself, for callers (the gradebook) that hold the rates and results
already. Nothing else decides completion: closing a cohort, the gradebook and the
learners' progress all ask here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import inspect, select
from sqlalchemy.orm import joinedload, selectinload

from courses.assessments.models import Assessment, AssessmentKind, SubmissionStatus
from courses.assessments.results import (
    EMPTY,
    Result,
    course_assessments,
    percent_words,
    results_for,
)
from courses.assessments.schedule import window
from courses.attendance.rates import Rate, attendance_rates
from courses.models import Cohort, Enrolment
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.timezones import format_local

ATTENDANCE = "attendance"
DAY = "%-d %B %Y"


@dataclass(frozen=True)
class Criterion:
    """One thing completion needs, whether it is `met`, and why, in plain words."""

    key: str  # "attendance", or "assessment-<id>"
    met: bool
    reason: str
    assessment_id: int | None = None


@dataclass(frozen=True)
class CompletionResult:
    completed: bool
    criteria: list[Criterion] = field(default_factory=list)

    @property
    def left(self) -> list[Criterion]:
        """What is left to complete: the criteria not met yet."""
        return [criterion for criterion in self.criteria if not criterion.met]

    @property
    def left_words(self) -> str:
        """What is left, as one line: "Attendance 75% — 80% needed; 'PID' referred ..."."""
        return "; ".join(criterion.reason for criterion in self.left)

    def criterion_for(self, assessment_id: int) -> Criterion | None:
        return next((c for c in self.criteria if c.assessment_id == assessment_id), None)


# --- the rule ------------------------------------------------------------------------------


def attendance_criterion(rate: Rate, threshold: int) -> Criterion:
    if threshold <= 0:
        words = "" if rate.percent is None else f" {rate.label}"
        return Criterion(ATTENDANCE, True, f"Attendance{words} (no minimum)")
    if rate.held == 0:
        return Criterion(ATTENDANCE, False, "No sessions held yet")
    if rate.counted <= 0:
        return Criterion(ATTENDANCE, False, f"Every session was excused — {threshold}% needed")
    if rate.below(threshold):
        return Criterion(ATTENDANCE, False, f"Attendance {rate.label} — {threshold}% needed")
    return Criterion(ATTENDANCE, True, f"Attendance {rate.label} ({threshold}% needed)")


def _quiz_criterion(quiz: Assessment, result: Result) -> Criterion:
    name = f"Quiz '{quiz.title}'"
    key = f"assessment-{quiz.id}"
    if result.passed:
        return Criterion(key, True, f"{name} passed", quiz.id)
    if result.submitted:
        best = f"best {percent_words(result.best_percent)}, {quiz.pass_mark_percent}% needed"
        used_up = (
            quiz.attempts_allowed is not None
            and result.attempts_used >= quiz.attempts_allowed
            and not result.in_progress
        )
        if used_up:
            return Criterion(key, False, f"{name} not passed ({best}) — no attempts left", quiz.id)
        return Criterion(key, False, f"{name} not passed yet ({best})", quiz.id)
    if result.in_progress:
        return Criterion(key, False, f"{name} started but not submitted", quiz.id)
    return Criterion(key, False, f"{name} not attempted", quiz.id)


def _assignment_criterion(assignment: Assessment, result: Result, cohort: Cohort) -> Criterion:
    name = f"'{assignment.title}'"
    key = f"assessment-{assignment.id}"
    if result.status == SubmissionStatus.PASSED:
        return Criterion(key, True, f"{name} passed", assignment.id)
    if result.status == SubmissionStatus.REFERRED:
        by = (
            f"resubmit by {format_local(result.resubmit_by, DAY)}"
            if result.resubmit_by
            else "resubmit it"
        )
        return Criterion(key, False, f"{name} referred — {by}", assignment.id)
    if result.status == SubmissionStatus.SUBMITTED:
        return Criterion(key, False, f"{name} waiting to be marked", assignment.id)
    due_at = window(assignment, cohort).due_at
    due = f" — due {format_local(due_at, DAY)}" if due_at else ""
    return Criterion(key, False, f"{name} not submitted{due}", assignment.id)


def decide(
    enrolment: Enrolment,
    assessments: Iterable[Assessment],
    rate: Rate,
    results: Mapping[tuple[int, int], Result],
) -> CompletionResult:
    """The rule, for one enrolment, from what is already loaded (no query): its cohort
    with course and sessions, the course's `assessments` (archived ones are ignored,
    and so are those not required), its attendance `rate`, and the `results`."""
    cohort = enrolment.cohort
    criteria = [attendance_criterion(rate, cohort.course.min_attendance_percent)]
    for assessment in assessments:
        if assessment.archived or not assessment.required:
            continue
        result = results.get((enrolment.id, assessment.id), EMPTY)
        if assessment.kind == AssessmentKind.QUIZ:
            criteria.append(_quiz_criterion(assessment, result))
        else:
            criteria.append(_assignment_criterion(assessment, result, cohort))
    return CompletionResult(all(c.met for c in criteria), criteria)


# --- in bulk ---------------------------------------------------------------------------------


def load_cohorts(enrolments: Iterable[Enrolment]) -> None:
    """Loads the enrolments' cohorts with their course and sessions, in one statement for
    those not loaded yet (none when all are)."""
    missing = set()
    for enrolment in enrolments:
        if "cohort" in inspect(enrolment).unloaded:
            # In the session already (the page loaded it), the cohort costs no statement.
            cohort = db.session.identity_map.get(
                db.session.identity_key(Cohort, enrolment.cohort_id)
            )
        else:
            cohort = enrolment.cohort
        if cohort is None or {"course", "sessions"} & inspect(cohort).unloaded:
            missing.add(enrolment.cohort_id)
    if missing:
        db.session.scalars(
            select(Cohort)
            .where(Cohort.id.in_(missing))
            .options(joinedload(Cohort.course), selectinload(Cohort.sessions))
        ).all()


def evaluate_many(
    enrolments: Iterable[Enrolment],
    now: datetime,
    rates: Mapping[int, Rate] | None = None,
) -> dict[int, CompletionResult]:
    """enrolment id -> CompletionResult for every enrolment given, in a fixed number of
    queries whatever their number (cohorts, assessments, results, attendance). A caller
    that holds the attendance `rates` of these enrolments already passes them in."""
    enrolments = list(enrolments)
    if not enrolments:
        return {}
    load_cohorts(enrolments)
    by_course = course_assessments({e.cohort.course_id for e in enrolments})
    ids = [e.id for e in enrolments]
    results = results_for(ids, [a for found in by_course.values() for a in found])
    if rates is None or any(id_ not in rates for id_ in ids):
        rates = attendance_rates(ids, now)
    return {
        e.id: decide(e, by_course[e.cohort.course_id], rates[e.id], results) for e in enrolments
    }


def evaluate(enrolment: Enrolment, now: datetime | None = None) -> CompletionResult:
    """Whether the enrolment is complete by the rule (see the module), with each
    criterion met or not and why."""
    return evaluate_many([enrolment], now or utcnow())[enrolment.id]
