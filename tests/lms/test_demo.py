"""The demo trust (lms/demo.py) is believable end to end: every role has something to see."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from certificates.models import Certificate
from courses.assessments.models import Assessment, AssessmentKind, QuestionType
from courses.models import Cohort, CohortStatus
from lms import demo
from lms.audit.audit import AuditEvent
from lms.auth.models import User
from lms.core.extensions import db
from lms.core.outbox import PENDING, OutboxMessage
from tests.helpers import log_in, text_of

DEMO_PASSWORD = "demo-passphrase-for-tests"


@pytest.fixture
def seeded(app):
    demo.seed(DEMO_PASSWORD)
    db.session.commit()


def running_cohort() -> Cohort:
    return db.session.scalar(select(Cohort).where(Cohort.status == CohortStatus.RUNNING))


def test_the_learner_sees_sessions_a_waitlist_and_a_pending_request(client, seeded):
    assert log_in(client, "learner@example.nhs.uk", DEMO_PASSWORD).status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Project design workshop" in page
    assert "Waitlisted (position 2)" in page
    assert "Pending approval" in page


def test_the_manager_has_a_request_to_approve(client, seeded):
    log_in(client, "manager@example.nhs.uk", DEMO_PASSWORD)
    assert "1 request to approve" in client.get("/").get_data(as_text=True)
    page = client.get("/approvals/").get_data(as_text=True)
    assert "Zoë Ashworth: Project management for occasional project managers" in page


def test_the_trainer_sees_what_they_teach(client, seeded):
    log_in(client, "trainer@example.nhs.uk", DEMO_PASSWORD)
    assert "Sessions you are teaching" in client.get("/").get_data(as_text=True)


def test_the_trainer_has_registers_and_an_attendance_grid_to_show(client, seeded):
    log_in(client, "trainer@example.nhs.uk", DEMO_PASSWORD)
    teaching = client.get("/teach/")
    assert teaching.status_code == 200
    running = running_cohort()
    assert running.code in teaching.get_data(as_text=True)
    grid = client.get(f"/teach/cohorts/{running.id}/attendance").get_data(as_text=True)
    assert "Excused" in grid and "Late" in grid and "Absent" in grid


def test_the_learner_has_a_quiz_to_retake_and_an_assignment_to_send(client, seeded):
    log_in(client, "learner@example.nhs.uk", DEMO_PASSWORD)
    page = text_of(client.get(f"/cohorts/{running_cohort().id}"))
    assert "Project lifecycle quiz" in page
    assert "Submit your project initiation document" in page
    quiz = db.session.scalar(select(Assessment).where(Assessment.kind == AssessmentKind.QUIZ))
    page = text_of(client.get(f"/assessments/{quiz.id}"))
    assert "1 of 3" in page and "66.67%" in page and "Not passed" in page
    assert "Start another attempt" in page
    assert len(quiz.items) == 6
    asked = {item.question.type for item in quiz.items}
    assert asked == {QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUE_FALSE}


def test_the_trainer_has_a_submission_to_mark_and_a_gradebook(client, seeded):
    log_in(client, "trainer@example.nhs.uk", DEMO_PASSWORD)
    cohort = running_cohort()
    pid = db.session.scalar(select(Assessment).where(Assessment.kind == AssessmentKind.ASSIGNMENT))
    teaching = text_of(client.get("/teach/"))
    assert f"/teach/cohorts/{cohort.id}/gradebook" in teaching
    gradebook = text_of(client.get(f"/teach/cohorts/{cohort.id}/gradebook"))
    assert f"/teach/cohorts/{cohort.id}/assessments/{pid.id}/marking" in gradebook
    assert "100% — Passed" in gradebook
    marking = text_of(client.get(f"/teach/cohorts/{cohort.id}/assessments/{pid.id}/marking"))
    assert 'Mark<span class="nhsuk-u-visually-hidden"> for Siân ap Gwyn' in marking
    assert "Referred" in marking


def test_the_demo_is_built_through_the_services_and_audited_as_a_real_run_would_be(seeded):
    actions = Counter(db.session.scalars(select(AuditEvent.action)))
    for action in (
        "user.created",
        "course.created",
        "course.published",
        "cohort.created",
        "session.created",
        "enrolment.requested",
        "enrolment.approved",
        "enrolment.confirmed",
        "enrolment.waitlisted",
        "attendance.marked",
        "question.created",
        "assessment.created",
        "quiz.item_added",
        "attempt.submitted",
        "submission.created",
        "submission.marked",
    ):
        assert actions[action] > 0, action
    trainer = db.session.scalar(select(User).where(User.email == "trainer@example.nhs.uk"))
    marked_by = set(
        db.session.scalars(
            select(AuditEvent.actor_id).where(AuditEvent.action == "attendance.marked")
        )
    )
    assert marked_by == {trainer.id}
    pending = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == PENDING)
    assert db.session.scalar(pending) == 0  # the made-up people are not mailed


def test_the_learner_has_a_certificate_that_verifies(client, seeded):
    log_in(client, "learner@example.nhs.uk", DEMO_PASSWORD)
    page = text_of(client.get("/certificates/"))
    assert "Senior Responsible Owner (SRO) essentials" in page and "Valid" in page
    (certificate,) = db.session.scalars(
        select(Certificate)
        .join(User, User.id == Certificate.learner_id)
        .where(User.email == "learner@example.nhs.uk")
    ).all()
    assert client.get(f"/certificates/{certificate.number}.pdf").status_code == 200
    assert "Valid certificate" in text_of(client.get(f"/verify/{certificate.display_code}"))
    # three of the cohort's four completed; their mail, like the rest, is not sent
    assert db.session.scalar(select(func.count(Certificate.id))) == 3
    assert not db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.status == PENDING)
    )


def test_the_demo_has_evaluations_for_every_role(client, seeded):
    """The learner has a course survey waiting; the trainer sees three answers to the
    closed cohort's survey; the admin's impact view has a confidence uplift to show."""
    log_in(client, "learner@example.nhs.uk", DEMO_PASSWORD)
    assert "evaluations waiting for you" in text_of(client.get("/"))
    waiting = text_of(client.get("/evaluations/"))
    assert "Tell us what you thought of the course" in waiting
    client.post("/logout")
    closed = db.session.scalar(select(Cohort).where(Cohort.status == CohortStatus.CLOSED))
    log_in(client, "trainer@example.nhs.uk", DEMO_PASSWORD)
    results = text_of(client.get(f"/teach/cohorts/{closed.id}/evaluations"))
    assert "3 learners have answered the course survey" in results
    assert "A recording of the second session" in results
    client.post("/logout")
    log_in(client, "admin@example.nhs.uk", DEMO_PASSWORD)
    impact = text_of(client.get("/reports/impact"))
    assert "Senior Responsible Owner (SRO) essentials" in impact
