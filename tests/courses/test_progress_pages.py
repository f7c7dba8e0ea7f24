"""Learners see what is left to complete: on the home page and on their cohort's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import url_for

from courses.assessments.models import SubmissionStatus
from courses.models import CohortStatus, EnrolmentStatus
from tests.courses.test_completion import DUE, A, P, attempt, mark, submission
from tests.helpers import MONTH_AGO, days, span, text_of


@pytest.fixture
def cohort(make_cohort, course, trainer):
    return make_cohort(
        course,
        status=CohortStatus.RUNNING,
        trainers=[trainer],
        sessions=[span(days(-10 + 2 * n)) for n in range(5)],
    )


@pytest.fixture
def place(make_enrolment, cohort, learner):
    def make(status=EnrolmentStatus.CONFIRMED, who=None):
        return make_enrolment(
            cohort,
            who or learner,
            status=status,
            requested_at=MONTH_AGO - timedelta(days=1),
            confirmed_at=MONTH_AGO,
        )

    return make


def test_the_home_page_says_what_is_left_to_complete(
    client, as_learner, place, make_quiz, make_assignment, course
):
    make_quiz(course, title="PM basics", position=1)
    pid = make_assignment(course, title="PID assignment", position=2)
    enrolment = place()
    mark(enrolment, [P, P, P, A, A])
    submission(pid, enrolment, SubmissionStatus.REFERRED, resubmit_by=DUE)

    page = text_of(client.get("/"))
    assert "What's left to complete" in page
    assert "Attendance 60% — 80% needed" in page
    assert "Quiz 'PM basics' not attempted" in page
    assert "'PID assignment' referred — resubmit by 3 March 2027" in page


def test_the_home_page_says_when_nothing_is_left(client, as_learner, place):
    mark(place(), [P] * 5)
    assert "Nothing: you have met every requirement" in text_of(client.get("/"))


def test_the_home_page_gives_why_a_place_was_not_completed(client, as_learner, place):
    mark(place(EnrolmentStatus.NOT_COMPLETED), [P, A, A, A, A])
    page = text_of(client.get("/"))
    assert "Not completed" in page
    assert "Attendance 20% — 80% needed" in page


def test_the_home_page_costs_the_same_for_2_enrolments_as_for_12(
    client, as_learner, make_course, make_cohort, make_enrolment, make_quiz, count_queries
):
    def add(n: int) -> None:
        for _ in range(n):
            course = make_course()
            quiz = make_quiz(course)
            cohort = make_cohort(course, sessions=[span(days(-3)), span(days(4))])
            enrolment = make_enrolment(
                cohort, as_learner, requested_at=MONTH_AGO, confirmed_at=MONTH_AGO
            )
            mark(enrolment, [P])
            attempt(quiz, enrolment, 50)

    def statements() -> int:
        with count_queries() as counter:
            assert client.get("/").status_code == 200
        return counter.count

    add(2)
    few = statements()
    add(10)
    assert statements() == few


def test_the_cohort_page_shows_the_learner_their_progress_and_assessments(
    app, client, as_learner, place, cohort, make_quiz, make_assignment, course
):
    quiz = make_quiz(course, title="PM basics", position=1)
    pid = make_assignment(course, title="PID assignment", position=2, due_at=DUE)
    practice = make_quiz(course, title="Practice quiz", position=3, required=False)
    enrolment = place()
    mark(enrolment, [P] * 5)
    attempt(quiz, enrolment, 90)
    submission(pid, enrolment, SubmissionStatus.SUBMITTED, late=True)

    page = text_of(client.get(f"/cohorts/{cohort.id}"))
    assert "Your progress" in page
    assert "What's left to complete:" in page
    assert "Attendance 100% (80% needed) – <strong>Met</strong>" in page
    assert "Quiz 'PM basics' passed – <strong>Met</strong>" in page
    assert "'PID assignment' waiting to be marked – <strong>Not met yet</strong>" in page
    assert "90% — Passed" in page
    assert "Waiting to be marked" in page
    assert "Late" in page
    assert "Practice quiz" in page and "Quiz, optional" in page
    if "assessments.show" in app.view_functions:
        with app.test_request_context():
            for assessment in (quiz, pid, practice):
                link = url_for("assessments.show", assessment_id=assessment.id)
                assert f'href="{link}"' in page


def test_the_cohort_page_tells_a_completed_learner_so(client, as_learner, place, cohort):
    mark(place(EnrolmentStatus.COMPLETED), [P] * 5)
    page = text_of(client.get(f"/cohorts/{cohort.id}"))
    assert "You completed this course." in page


@pytest.mark.parametrize("status", [None, EnrolmentStatus.WAITLISTED, EnrolmentStatus.CANCELLED])
def test_no_progress_without_a_place(client, as_learner, place, cohort, status):
    if status is not None:
        place(status)
    page = text_of(client.get(f"/cohorts/{cohort.id}"))
    assert "Your progress" not in page


def test_the_cohort_page_costs_the_same_for_1_assessment_as_for_10(
    client, as_learner, place, cohort, make_quiz, course, count_queries
):
    enrolment = place()
    mark(enrolment, [P] * 5)

    def statements() -> int:
        with count_queries() as counter:
            assert client.get(f"/cohorts/{cohort.id}").status_code == 200
        return counter.count

    attempt(make_quiz(course, title="Quiz 0"), enrolment, 50)
    one = statements()
    for number in range(1, 10):
        attempt(make_quiz(course, title=f"Quiz {number}"), enrolment, 90)
    assert statements() == one
