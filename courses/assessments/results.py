"""Each enrolment's results in a course's assessments, read in bulk.

`results_for(enrolment_ids, assessments)` answers for any number of enrolments and
assessments in at most two queries: one aggregate over the quizzes' attempts, one over
the assignments' latest submissions. Completion (`courses.completion`), the gradebook
and the learners' progress pages read results only through here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, case, func, select

from courses.assessments.models import (
    Assessment,
    AssessmentKind,
    Attempt,
    Submission,
    SubmissionStatus,
)
from lms.core.extensions import db


@dataclass(frozen=True)
class Result:
    """One enrolment's result in one assessment (empty: nothing attempted or sent).

    Quizzes: `best_percent` of the submitted attempts, whether any `passed`, how many
    attempts were `attempts_used` (started, submitted or not) and `submitted`.
    Assignments: the latest submission's `status`, `number`, `late`, `resubmit_by` and
    `submitted_at`.
    """

    best_percent: Decimal | None = None
    passed: bool = False
    attempts_used: int = 0
    submitted: int = 0
    status: SubmissionStatus | None = None
    number: int = 0
    late: bool = False
    resubmit_by: datetime | None = None
    submitted_at: datetime | None = None

    @property
    def in_progress(self) -> bool:
        """A quiz attempt has been started and not submitted."""
        return self.attempts_used > self.submitted


EMPTY = Result()


def course_assessments(course_ids: Iterable[int]) -> dict[int, list[Assessment]]:
    """Each course's assessments that are still set (not archived), in the course's order,
    in one query; every course asked for gets a list."""
    ids = list(dict.fromkeys(course_ids))
    found: dict[int, list[Assessment]] = {course_id: [] for course_id in ids}
    if not ids:
        return found
    for assessment in db.session.scalars(
        select(Assessment)
        .where(Assessment.course_id.in_(ids), Assessment.archived.is_(False))
        .order_by(Assessment.course_id, Assessment.position, Assessment.id)
    ):
        found[assessment.course_id].append(assessment)
    return found


def results_for(
    enrolment_ids: Iterable[int], assessments: Iterable[Assessment]
) -> dict[tuple[int, int], Result]:
    """(enrolment id, assessment id) -> Result for the pairs that have any attempt or
    submission; look others up with `.get(key, EMPTY)`. Two queries at most."""
    ids = list(dict.fromkeys(enrolment_ids))
    assessments = list(assessments)
    quizzes = [a.id for a in assessments if a.kind == AssessmentKind.QUIZ]
    assignments = [a.id for a in assessments if a.kind == AssessmentKind.ASSIGNMENT]
    results: dict[tuple[int, int], Result] = {}
    if not ids:
        return results
    if quizzes:
        rows = db.session.execute(
            select(
                Attempt.enrolment_id,
                Attempt.assessment_id,
                func.max(Attempt.percent),
                func.max(case((Attempt.passed.is_(True), 1), else_=0)),
                func.count(Attempt.id),
                func.count(Attempt.submitted_at),
            )
            .where(Attempt.enrolment_id.in_(ids), Attempt.assessment_id.in_(quizzes))
            .group_by(Attempt.enrolment_id, Attempt.assessment_id)
        )
        for enrolment_id, assessment_id, best, passed, used, submitted in rows:
            results[(enrolment_id, assessment_id)] = Result(
                best_percent=None if best is None else Decimal(best),
                passed=bool(passed),
                attempts_used=int(used),
                submitted=int(submitted),
            )
    if assignments:
        latest = (
            select(
                Submission.enrolment_id,
                Submission.assessment_id,
                func.max(Submission.number).label("number"),
            )
            .where(Submission.enrolment_id.in_(ids), Submission.assessment_id.in_(assignments))
            .group_by(Submission.enrolment_id, Submission.assessment_id)
            .subquery()
        )
        rows = db.session.execute(
            select(
                Submission.enrolment_id,
                Submission.assessment_id,
                Submission.status,
                Submission.number,
                Submission.late,
                Submission.resubmit_by,
                Submission.submitted_at,
            ).join(
                latest,
                and_(
                    latest.c.enrolment_id == Submission.enrolment_id,
                    latest.c.assessment_id == Submission.assessment_id,
                    latest.c.number == Submission.number,
                ),
            )
        )
        for enrolment_id, assessment_id, status, number, late, resubmit_by, sent in rows:
            results[(enrolment_id, assessment_id)] = Result(
                status=status,
                number=number,
                late=late,
                resubmit_by=resubmit_by,
                submitted_at=sent,
            )
    return results


def percent_words(percent: Decimal | None) -> str:
    """A quiz score as people write it: "60%", "66.67%"; "" when there is none."""
    if percent is None:
        return ""
    whole = percent.to_integral_value()
    if percent == whole:
        return f"{int(whole)}%"
    return f"{percent.quantize(Decimal('0.01')).normalize():f}%"
