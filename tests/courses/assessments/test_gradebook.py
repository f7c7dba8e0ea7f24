"""The gradebook: courses/assessments/gradebook.py and its pages."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from flask import url_for

from courses.assessments.gradebook import cohort_gradebook, gradebook_learners
from courses.assessments.models import SubmissionStatus
from courses.models import CohortStatus, Enrolment, EnrolmentStatus
from lms.auth.models import Role
from lms.core.extensions import db
from tests.courses.test_completion import DUE, A, P, attempt, mark, submission
from tests.helpers import MONTH_AGO, NOW, days, span, text_of


@pytest.fixture
def cohort(make_cohort, course, trainer):
    return make_cohort(
        course,
        status=CohortStatus.RUNNING,
        capacity=200,
        trainers=[trainer],
        sessions=[span(days(-10 + 2 * n)) for n in range(5)],
    )


@pytest.fixture
def enrol(make_enrolment, make_user, cohort):
    def make(name: str | None = None, **fields):
        fields.setdefault("requested_at", MONTH_AGO - timedelta(days=1))
        learner = make_user(full_name=name) if name else None
        return make_enrolment(cohort, learner, confirmed_at=MONTH_AGO, **fields)

    return make


@pytest.fixture
def assessments(make_quiz, make_assignment, course):
    quiz = make_quiz(course, title="PM basics", position=1)
    pid = make_assignment(course, title="PID assignment", position=2, due_at=DUE)
    practice = make_quiz(course, title="Practice", position=3, required=False)
    make_quiz(course, title="Retired quiz", archived=True)
    return quiz, pid, practice


def row_of(page: str, name: str) -> str:
    start = page.index(name)
    return page[start : page.index("</tr>", start)]


def test_the_gradebook_shows_each_learner_by_each_assessment(
    client, login, trainer, cohort, enrol, assessments
):
    quiz, pid, _ = assessments
    ada = enrol("Ada Able")
    mark(ada, [P] * 5)
    attempt(quiz, ada, 60, number=1)
    attempt(quiz, ada, 90, number=2)
    submission(pid, ada, SubmissionStatus.PASSED, late=True)
    ben = enrol("Ben Behind")
    mark(ben, [P, P, P, A, A])
    submission(pid, ben, SubmissionStatus.REFERRED, resubmit_by=DUE)
    cy = enrol("Cy Closed", status=EnrolmentStatus.NOT_COMPLETED)
    enrol("Dee Waiting", status=EnrolmentStatus.WAITLISTED)
    login(trainer)

    page = text_of(client.get(f"/teach/cohorts/{cohort.id}/gradebook"))
    assert "Retired quiz" not in page
    assert "Dee Waiting" not in page  # no place, no row
    ada_row = row_of(page, "Ada Able")
    assert "90% — Passed" in ada_row
    assert "2 attempts" in ada_row
    assert "Late" in ada_row
    assert "100%" in ada_row
    assert "All criteria met" in ada_row
    ben_row = row_of(page, "Ben Behind")
    assert "Not attempted" in ben_row
    assert "Referred" in ben_row
    assert "Resubmit by 3 March 2027" in ben_row
    assert "Below 80%" in ben_row
    assert "Not complete yet" in ben_row
    assert "Attendance 60% — 80% needed" in ben_row
    assert "'PID assignment' referred — resubmit by 3 March 2027" in ben_row
    assert "Practice" not in ben_row  # optional: not part of what is left
    assert "Not completed" in row_of(page, "Cy Closed")
    assert cy.id  # listed


def test_assignment_columns_link_to_marking_when_it_exists(
    app, client, login, trainer, cohort, enrol, assessments
):
    _, pid, _ = assessments
    enrol()
    login(trainer)
    page = text_of(client.get(f"/teach/cohorts/{cohort.id}/gradebook"))
    link = f"/teach/cohorts/{cohort.id}/assessments/{pid.id}/marking"
    if "assignments.marking" in app.view_functions:
        with app.test_request_context():
            link = url_for("assignments.marking", cohort_id=cohort.id, assessment_id=pid.id)
        assert f'href="{link}"' in page
    else:
        assert "mark submissions" not in page


def test_the_gradebook_of_100_learners_costs_what_5_cost(
    client, login, trainer, make_cohort, course, make_user, assessments, count_queries
):
    quiz, pid, practice = assessments
    login(trainer)

    def statements(n: int) -> int:
        cohort = make_cohort(
            course,
            capacity=200,
            trainers=[trainer],
            sessions=[span(days(-10 + 2 * k)) for k in range(5)],
        )
        for number in range(n):
            enrolment = Enrolment(
                cohort=cohort,
                learner=make_user(),
                status=EnrolmentStatus.CONFIRMED,
                requested_at=MONTH_AGO,
                confirmed_at=MONTH_AGO,
            )
            db.session.add(enrolment)
            mark(enrolment, [P, P, A, P, P], commit=False)
            attempt(quiz, enrolment, 50 + number % 50, commit=False)
            attempt(practice, enrolment, 10, commit=False)
            submission(pid, enrolment, SubmissionStatus.SUBMITTED, commit=False)
        db.session.commit()
        with count_queries() as counter:
            response = client.get(f"/teach/cohorts/{cohort.id}/gradebook")
        assert response.status_code == 200
        with count_queries() as csv_counter:
            assert client.get(f"/teach/cohorts/{cohort.id}/gradebook.csv").status_code == 200
        return counter.count, csv_counter.count

    assert statements(5) == statements(100)


def test_the_csv_has_every_learner_and_no_formulas(
    client, login, trainer, cohort, enrol, make_quiz, course
):
    quiz = make_quiz(course, title="=SUM(A1:A9)")
    evil = enrol('=HYPERLINK("http://evil.example","click")')
    attempt(quiz, evil, 90)
    for _ in range(55):  # more than a page
        enrol()
    login(trainer)
    response = client.get(f"/teach/cohorts/{cohort.id}/gradebook.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "gradebook.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, body = rows[0], rows[1:]
    assert header == [
        "Learner",
        "Email",
        "Enrolment",
        "'=SUM(A1:A9) (quiz)",
        "Attendance %",
        "Completion",
        "What is left",
    ]
    assert len(body) == 56
    [row] = [r for r in body if "HYPERLINK" in r[0]]
    assert row[0].startswith("'=")
    assert row[3] == "90% — Passed; 1 attempt"
    assert row[4] == "0.0"
    assert row[6] == "Attendance 0% — 80% needed"
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_a_trainer_of_another_cohort_and_a_learner_get_404(client, login, make_user, cohort, enrol):
    learner = enrol().learner
    other = make_user(roles=[Role.TRAINER])
    for who in (other, learner):
        login(who)
        assert client.get(f"/teach/cohorts/{cohort.id}/gradebook").status_code == 404
        assert client.get(f"/teach/cohorts/{cohort.id}/gradebook.csv").status_code == 404
        client.post("/logout")


def test_the_gradebook_pages_50_learners(client, login, trainer, cohort, enrol):
    for number in range(52):
        enrol(f"Learner {number:02d}")
    login(trainer)
    first = text_of(client.get(f"/teach/cohorts/{cohort.id}/gradebook"))
    assert "Learner 49" in first and "Learner 50" not in first
    second = text_of(client.get(f"/teach/cohorts/{cohort.id}/gradebook?page=2"))
    assert "Learner 51" in second and "Learner 00" not in second
    assert f"/teach/cohorts/{cohort.id}/gradebook?page=2" in first


def test_the_gradebook_rows_come_from_the_completion_rule(cohort, enrol, assessments):
    quiz, pid, _ = assessments
    enrolment = enrol()
    mark(enrolment, [P] * 5)
    attempt(quiz, enrolment, 100)
    submission(pid, enrolment, SubmissionStatus.SUBMITTED)
    learners = list(db.session.scalars(gradebook_learners(cohort)))
    [row] = cohort_gradebook(cohort, learners, NOW).rows
    assert [c.text for c in row.cells] == ["100% — Passed", "Waiting to be marked", "Not attempted"]
    assert row.completion.left_words == "'PID assignment' waiting to be marked"
