"""The completion rule: courses/completion.py, and the bulk reads of assessments/results.py.

The helpers at the top (`mark`, `attempt`, `submission`) build the results other tests
read too: tests/courses/cohorts/test_closing.py, tests/courses/assessments/test_gradebook.py
and tests/courses/test_progress_pages.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from courses.assessments.models import Attempt, Submission, SubmissionStatus
from courses.assessments.results import percent_words, results_for
from courses.attendance import Rate
from courses.completion import Criterion, decide, evaluate, evaluate_many
from courses.models import (
    AttendanceMethod,
    AttendanceRecord,
    AttendanceStatus,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
)
from lms.core.extensions import db
from tests.helpers import MONTH_AGO, NOW, days, span

P, L, E, A, X = (
    AttendanceStatus.PRESENT,
    AttendanceStatus.LATE,
    AttendanceStatus.EXCUSED,
    AttendanceStatus.ABSENT,
    AttendanceStatus.LEFT_EARLY,
)
DUE = datetime(2027, 3, 3, 12, 0, tzinfo=UTC)


# --- helpers other tests share ---------------------------------------------------------------


def mark(enrolment: Enrolment, statuses, *, commit: bool = True) -> None:
    """Marks the enrolment's cohort's sessions, in order, with `statuses` (None: unmarked)."""
    for session, status in zip(enrolment.cohort.sessions, statuses, strict=False):
        if status is None:
            continue
        db.session.add(
            AttendanceRecord(
                session=session,
                enrolment=enrolment,
                status=status,
                method=AttendanceMethod.REGISTER,
                marked_at=session.ends_at,
            )
        )
    if commit:
        db.session.commit()


def attempt(quiz, enrolment, percent, *, number=1, submitted=True, commit=True) -> Attempt:
    """A quiz attempt scored `percent` (passed by the quiz's pass mark); unsubmitted if told."""
    percent = Decimal(str(percent))
    row = Attempt(
        assessment=quiz,
        enrolment=enrolment,
        number=number,
        started_at=days(-2),
        pass_mark_percent=quiz.pass_mark_percent,
    )
    if submitted:
        row.submitted_at = days(-2) + timedelta(minutes=20)
        row.score = percent
        row.max_score = Decimal(100)
        row.percent = percent
        row.passed = percent >= quiz.pass_mark_percent
    db.session.add(row)
    if commit:
        db.session.commit()
    return row


def submission(
    assignment, enrolment, status, *, number=1, resubmit_by=None, late=False, commit=True
) -> Submission:
    row = Submission(
        assessment=assignment,
        enrolment=enrolment,
        number=number,
        text="My PID",
        submitted_at=days(-1) + timedelta(minutes=number),
        status=status,
        late=late,
        resubmit_by=resubmit_by,
    )
    db.session.add(row)
    if commit:
        db.session.commit()
    return row


# --- fixtures ----------------------------------------------------------------------------------


@pytest.fixture
def cohort(make_cohort, course, trainer):
    """PM-OCC (80% attendance needed): five sessions held, the last two days ago."""
    return make_cohort(
        course,
        status=CohortStatus.RUNNING,
        trainers=[trainer],
        sessions=[span(days(-10 + 2 * n)) for n in range(5)],
    )


@pytest.fixture
def enrol(make_enrolment, cohort):
    """A learner confirmed a month ago."""

    def make(**fields):
        fields.setdefault("requested_at", MONTH_AGO - timedelta(days=1))
        return make_enrolment(cohort, confirmed_at=MONTH_AGO, **fields)

    return make


# --- the rule, table-driven --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "rate", "met", "reason"),
    [
        (80, Rate(held=1000, attended=799), False, "Attendance 79% — 80% needed"),  # 79.9%
        (80, Rate(held=1000, attended=800), True, "Attendance 80% (80% needed)"),
        (80, Rate(held=1000, attended=801), True, "Attendance 80% (80% needed)"),
        (80, Rate(held=5, attended=4), True, "Attendance 80% (80% needed)"),
        (80, Rate(held=4, attended=3), False, "Attendance 75% — 80% needed"),
        (80, Rate(held=6, attended=5), True, "Attendance 83% (80% needed)"),
        # Excused sessions leave the denominator: 4 of 5 counted (one excused of six).
        (80, Rate(held=6, attended=4, excused=1), True, "Attendance 80% (80% needed)"),
        (80, Rate(held=0), False, "No sessions held yet"),
        (80, Rate(held=2, excused=2), False, "Every session was excused — 80% needed"),
        (0, Rate(held=2, attended=0), True, "Attendance 0% (no minimum)"),
        (100, Rate(held=3, attended=3), True, "Attendance 100% (100% needed)"),
        (100, Rate(held=300, attended=299), False, "Attendance 99% — 100% needed"),
    ],
)
def test_attendance_boundaries_are_compared_exactly(threshold, rate, met, reason):
    enrolment = SimpleNamespace(
        id=1, cohort=SimpleNamespace(course=SimpleNamespace(min_attendance_percent=threshold))
    )
    result = decide(enrolment, [], rate, {})
    assert result.criteria == [Criterion("attendance", met, reason)]
    assert result.completed is met


@pytest.mark.parametrize(
    ("statuses", "completed", "reason"),
    [
        ([P, P, P, P, P], True, "Attendance 100% (80% needed)"),
        ([P, L, X, P, A], True, "Attendance 80% (80% needed)"),  # late and left early attend
        ([P, P, P, A, A], False, "Attendance 60% — 80% needed"),
        ([P, P, P, A, E], False, "Attendance 75% — 80% needed"),  # excused leaves the count
        ([P, P, P, P, E], True, "Attendance 100% (80% needed)"),
        ([P, P, P, P, None], True, "Attendance 80% (80% needed)"),  # unmarked: not attended
        ([P, P, P, None, None], False, "Attendance 60% — 80% needed"),
    ],
)
def test_attendance_is_counted_from_the_register(enrol, statuses, completed, reason):
    enrolment = enrol()
    mark(enrolment, statuses)
    result = evaluate(enrolment, NOW)
    assert result.completed is completed
    assert [c.reason for c in result.criteria] == [reason]
    assert result.left == ([] if completed else result.criteria)


def test_a_learner_confirmed_after_every_session_has_none_held(make_enrolment, cohort):
    enrolment = make_enrolment(cohort, confirmed_at=NOW)
    result = evaluate(enrolment, NOW)
    assert not result.completed
    assert result.left_words == "No sessions held yet"


@pytest.mark.parametrize(
    ("build", "met", "reason"),
    [
        (lambda quiz, e: None, False, "Quiz 'PM basics' not attempted"),
        (
            lambda quiz, e: attempt(quiz, e, 60),
            False,
            "Quiz 'PM basics' not passed yet (best 60%, 80% needed)",
        ),
        (lambda quiz, e: attempt(quiz, e, 80), True, "Quiz 'PM basics' passed"),
        (
            lambda quiz, e: [attempt(quiz, e, 60, number=1), attempt(quiz, e, 90, number=2)],
            True,
            "Quiz 'PM basics' passed",
        ),  # failed, then passed
        (
            lambda quiz, e: [attempt(quiz, e, 90, number=1), attempt(quiz, e, 40, number=2)],
            True,
            "Quiz 'PM basics' passed",
        ),  # a later failure does not undo a pass
        (
            lambda quiz, e: [attempt(quiz, e, 50, number=1), attempt(quiz, e, 66.67, number=2)],
            False,
            "Quiz 'PM basics' not passed yet (best 66.67%, 80% needed)",
        ),
        (
            lambda quiz, e: attempt(quiz, e, 0, submitted=False),
            False,
            "Quiz 'PM basics' started but not submitted",
        ),
    ],
)
def test_a_required_quiz_is_passed_by_any_passing_attempt(
    enrol, make_quiz, course, build, met, reason
):
    quiz = make_quiz(course, pass_mark_percent=80)
    enrolment = enrol()
    mark(enrolment, [P] * 5)
    build(quiz, enrolment)
    result = evaluate(enrolment, NOW)
    assert result.criteria[1] == Criterion(f"assessment-{quiz.id}", met, reason, quiz.id)
    assert result.completed is met


def test_a_quiz_failed_with_no_attempts_left_says_so(enrol, make_quiz, course):
    quiz = make_quiz(course, attempts_allowed=2)
    enrolment = enrol()
    attempt(quiz, enrolment, 50, number=1)
    attempt(quiz, enrolment, 70, number=2)
    result = evaluate(enrolment, NOW)
    assert result.criterion_for(quiz.id).reason == (
        "Quiz 'PM basics' not passed (best 70%, 80% needed) — no attempts left"
    )


@pytest.mark.parametrize(
    ("sent", "met", "reason"),
    [
        ([], False, "'PID assignment' not submitted — due 3 March 2027"),
        ([(SubmissionStatus.SUBMITTED, None)], False, "'PID assignment' waiting to be marked"),
        (
            [(SubmissionStatus.REFERRED, DUE)],
            False,
            "'PID assignment' referred — resubmit by 3 March 2027",
        ),
        ([(SubmissionStatus.REFERRED, None)], False, "'PID assignment' referred — resubmit it"),
        (
            [(SubmissionStatus.REFERRED, DUE), (SubmissionStatus.SUBMITTED, None)],
            False,
            "'PID assignment' waiting to be marked",
        ),  # resubmitted: the latest counts
        (
            [(SubmissionStatus.REFERRED, DUE), (SubmissionStatus.PASSED, None)],
            True,
            "'PID assignment' passed",
        ),
        ([(SubmissionStatus.PASSED, None)], True, "'PID assignment' passed"),
    ],
)
def test_a_required_assignment_is_passed_by_its_latest_submission(
    enrol, make_assignment, course, sent, met, reason
):
    assignment = make_assignment(course, due_at=DUE)
    enrolment = enrol()
    mark(enrolment, [P] * 5)
    for number, (status, resubmit_by) in enumerate(sent, start=1):
        submission(assignment, enrolment, status, number=number, resubmit_by=resubmit_by)
    result = evaluate(enrolment, NOW)
    assert result.criterion_for(assignment.id) == Criterion(
        f"assessment-{assignment.id}", met, reason, assignment.id
    )
    assert result.completed is met


def test_an_assignment_due_after_the_last_session_gives_that_date(
    make_cohort, make_enrolment, make_assignment, course
):
    last = datetime(2027, 2, 17, 10, 0, tzinfo=UTC)
    cohort = make_cohort(course, sessions=[span(last)])
    assignment = make_assignment(course, due_days_after_last_session=14)
    enrolment = make_enrolment(cohort)
    assert evaluate(enrolment, NOW).criterion_for(assignment.id).reason == (
        "'PID assignment' not submitted — due 3 March 2027"
    )


def test_assessments_not_required_or_archived_are_ignored(
    enrol, make_quiz, make_assignment, course
):
    optional = make_quiz(course, title="Practice quiz", required=False)
    retired = make_assignment(course, title="Old brief", archived=True)
    enrolment = enrol()
    mark(enrolment, [P] * 5)
    attempt(optional, enrolment, 10)
    result = evaluate(enrolment, NOW)
    assert result.completed
    assert [c.key for c in result.criteria] == ["attendance"]
    assert result.criterion_for(retired.id) is None


def test_every_unmet_criterion_is_left_to_do_in_the_course_order(
    enrol, make_quiz, make_assignment, course
):
    quiz = make_quiz(course, position=1)
    assignment = make_assignment(course, position=2)
    enrolment = enrol()
    mark(enrolment, [P, P, P, A, None])
    submission(assignment, enrolment, SubmissionStatus.REFERRED, resubmit_by=DUE)
    result = evaluate(enrolment, NOW)
    assert not result.completed
    assert result.left_words == (
        "Attendance 60% — 80% needed; Quiz 'PM basics' not attempted; "
        "'PID assignment' referred — resubmit by 3 March 2027"
    )
    attempt(quiz, enrolment, 100)
    assert [c.assessment_id for c in evaluate(enrolment, NOW).left] == [None, assignment.id]


def test_results_are_kept_per_enrolment(enrol, make_quiz, course):
    quiz = make_quiz(course)
    mine, theirs = enrol(), enrol()
    attempt(quiz, theirs, 100)
    results = results_for([mine.id, theirs.id], [quiz])
    assert (mine.id, quiz.id) not in results
    assert results[(theirs.id, quiz.id)].passed


def test_evaluating_many_costs_the_same_for_2_as_for_20(
    enrol, make_quiz, make_assignment, course, count_queries
):
    quiz = make_quiz(course)
    assignment = make_assignment(course)

    def measure(n: int) -> int:
        enrolments = [enrol() for _ in range(n)]
        for enrolment in enrolments:
            mark(enrolment, [P, P, A, P, P], commit=False)
            attempt(quiz, enrolment, 90, commit=False)
            submission(assignment, enrolment, SubmissionStatus.SUBMITTED, commit=False)
        db.session.commit()
        db.session.expire_all()
        ids = [e.id for e in enrolments]
        enrolments = list(db.session.scalars(db.select(Enrolment).where(Enrolment.id.in_(ids))))
        with count_queries() as counter:
            results = evaluate_many(enrolments, NOW)
        assert len(results) == n
        waiting = "'PID assignment' waiting to be marked"
        assert all(r.left_words == waiting for r in results.values())
        return counter.count

    assert measure(2) == measure(20)


def test_a_status_of_the_enrolment_does_not_change_the_rule(enrol):
    """Completion is decided from attendance and results; the status is what closing sets."""
    enrolment = enrol(status=EnrolmentStatus.NOT_COMPLETED)
    mark(enrolment, [P] * 5)
    assert evaluate(enrolment, NOW).completed


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, ""),
        (Decimal("60.00"), "60%"),
        (Decimal("66.67"), "66.67%"),
        (Decimal("12.50"), "12.5%"),
    ],
)
def test_percent_words(value, words):
    assert percent_words(value) == words
