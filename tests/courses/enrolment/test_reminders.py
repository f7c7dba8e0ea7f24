"""Reminders two days before a learner's first session: courses/reminders.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from courses.enrolment.reminders import send_due_reminders
from courses.models import (
    Cohort,
    CohortStatus,
    Course,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    Session,
)
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage


def _cohort_starting_in(delta, *, status=CohortStatus.OPEN, code="PD-01"):
    now = utcnow()
    course = Course(
        code=f"C-{code}",
        title="Project design workshop",
        cpd_hours=Decimal("3.5"),
        status=CourseStatus.PUBLISHED,
        learning_outcomes=[],
    )
    cohort = Cohort(course=course, code=code, capacity=10, status=status)
    cohort.sessions = [
        Session(title="Morning", starts_at=now + delta, ends_at=now + delta + timedelta(hours=3)),
        Session(
            title="Follow-up",
            starts_at=now + delta + timedelta(days=7),
            ends_at=now + delta + timedelta(days=7, hours=2),
        ),
    ]
    db.session.add(cohort)
    return cohort


def _enrol(cohort, learner, status=EnrolmentStatus.CONFIRMED):
    db.session.add(Enrolment(cohort=cohort, learner=learner, status=status, requested_at=utcnow()))
    db.session.commit()


def _reminders():
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject.startswith("Reminder:"))
    ).all()


def test_a_confirmed_learner_gets_one_reminder_however_often_tick_runs(app, learner):
    _enrol(_cohort_starting_in(timedelta(hours=40)), learner)
    assert send_due_reminders(utcnow()) == 1
    db.session.commit()
    assert send_due_reminders(utcnow()) == 0
    assert send_due_reminders(utcnow() + timedelta(hours=1)) == 0
    messages = _reminders()
    assert len(messages) == 1
    assert messages[0].recipient == learner.email
    assert messages[0].attachments[0]["content_type"] == "text/calendar"


def test_no_reminder_too_early_or_after_the_start(app, learner, make_user):
    _enrol(_cohort_starting_in(timedelta(days=3), code="LATER"), learner)
    _enrol(_cohort_starting_in(-timedelta(hours=1), code="STARTED"), make_user())
    assert send_due_reminders(utcnow()) == 0


def test_only_confirmed_learners_of_live_cohorts_are_reminded(app, make_user):
    soon = _cohort_starting_in(timedelta(hours=30), code="SOON")
    _enrol(soon, make_user(), EnrolmentStatus.WAITLISTED)
    _enrol(soon, make_user(), EnrolmentStatus.CANCELLED)
    cancelled = _cohort_starting_in(timedelta(hours=30), status=CohortStatus.CANCELLED, code="OFF")
    _enrol(cancelled, make_user())
    assert send_due_reminders(utcnow()) == 0


def test_a_cancelled_first_session_moves_the_start(app, learner):
    cohort = _cohort_starting_in(timedelta(hours=30))
    cohort.sessions[0].cancelled = True  # the next session is a week later
    _enrol(cohort, learner)
    assert send_due_reminders(utcnow()) == 0


def test_flask_lms_tick_keeps_sqlites_planner_statistics_fresh(app, learner):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's autovacuum keeps its statistics")
    db.session.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))
    db.session.commit()
    assert app.test_cli_runner().invoke(args=["lms", "tick"]).exit_code == 0
    analysed = db.session.scalars(text("SELECT DISTINCT tbl FROM sqlite_stat1")).all()
    assert "user_account" in analysed


def test_flask_lms_tick_queues_reminders_once(app, learner):
    _enrol(_cohort_starting_in(timedelta(hours=20)), learner)
    runner = app.test_cli_runner()
    first = runner.invoke(args=["lms", "tick"])
    second = runner.invoke(args=["lms", "tick"])
    assert first.exit_code == 0 and "Queued 1 reminder(s)." in first.output
    assert second.exit_code == 0 and "Queued 0 reminder(s)." in second.output
    assert len(_reminders()) == 1
