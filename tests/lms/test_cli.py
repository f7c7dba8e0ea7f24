"""The operator's commands: lms/cli.py (`flask lms ...`)."""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import select

from courses.models import Course
from lms.audit.audit import AuditEvent
from lms.auth.accounts import INVITATION, issue_token
from lms.auth.models import Role, User
from lms.core import outbox
from lms.core.extensions import db
from tests.helpers import PASSWORD, count, log_in

DEMO_PASSWORD = "demo-passphrase-for-tests"
PROGRAMMES = (
    "Project management for occasional project managers",
    "Project design workshop",
    "Programme management",
    "Senior Responsible Owner (SRO) essentials",
    "Working with people with lived experience",
)
DEMO_LOGINS = (
    "admin@example.nhs.uk",
    "trainer@example.nhs.uk",
    "manager@example.nhs.uk",
    "learner@example.nhs.uk",
)


@pytest.fixture
def lms(runner):
    """Runs `flask lms <args>`; a failed command leaves nothing half-done in the session."""

    def run(*args, **kwargs):
        result = runner.invoke(args=["lms", *args], **kwargs)
        if result.exit_code != 0:
            db.session.rollback()  # the real process would exit and roll back
        return result

    return run


# --- create-admin --------------------------------------------------------------------------


def test_create_admin_makes_an_admin_who_can_log_in(app, lms, monkeypatch):
    monkeypatch.setenv("LMS_ADMIN_PASSWORD", PASSWORD)
    result = lms("create-admin", "--email", "pmo.lead@example.nhs.uk", "--name", "Amara Okafor")
    assert result.exit_code == 0, result.output
    assert "pmo.lead@example.nhs.uk is an admin." in result.output
    user = db.session.scalar(User.by_email("pmo.lead@example.nhs.uk"))
    assert user.roles == {Role.ADMIN} and user.full_name == "Amara Okafor"
    assert log_in(app.test_client(), "pmo.lead@example.nhs.uk").status_code == 302
    assert "user.admin_created" in db.session.scalars(select(AuditEvent.action)).all()


def test_create_admin_grants_admin_to_an_existing_person(lms, make_user, monkeypatch):
    monkeypatch.setenv("LMS_ADMIN_PASSWORD", PASSWORD)
    person = make_user("grace@example.nhs.uk", roles=[Role.TRAINER], is_active_account=False)
    result = lms("create-admin", "--email", "GRACE@example.nhs.uk", "--name", "Ignored")
    assert result.exit_code == 0, result.output
    db.session.refresh(person)
    assert person.roles == {Role.ADMIN, Role.TRAINER} and person.is_active_account
    assert count(User) == 1


def test_create_admin_on_an_existing_person_ends_their_sessions(app, lms, learner, monkeypatch):
    """Setting a new password ends every session, as accounts.change_password does.

    Currently fails: create-admin sets password_hash without accounts.end_sessions().
    """
    theirs = app.test_client()
    assert log_in(theirs, learner.email).status_code == 302
    monkeypatch.setenv("LMS_ADMIN_PASSWORD", "another-long-passphrase")
    assert lms("create-admin", "--email", learner.email, "--name", "Zoë").exit_code == 0
    assert theirs.get("/").status_code == 302


def test_create_admin_refuses_a_weak_password_and_says_why(lms, monkeypatch):
    monkeypatch.setenv("LMS_ADMIN_PASSWORD", "short")
    result = lms("create-admin", "--email", "pmo.lead@example.nhs.uk", "--name", "Amara Okafor")
    assert result.exit_code != 0
    assert "Password must be at least 10 characters" in result.output
    assert count(User) == 0


def test_create_admin_asks_for_the_password_when_it_is_not_in_the_environment(
    app, lms, monkeypatch
):
    monkeypatch.delenv("LMS_ADMIN_PASSWORD", raising=False)
    result = lms(
        "create-admin",
        "--email",
        "pmo.lead@example.nhs.uk",
        "--name",
        "Amara Okafor",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output  # the prompt hides what is typed
    assert log_in(app.test_client(), "pmo.lead@example.nhs.uk").status_code == 302


@pytest.mark.parametrize("option", ["--password", "-p", "--admin-password"])
def test_create_admin_never_takes_the_password_as_an_argument(lms, option):
    """Arguments end up in shell history and the process list."""
    result = lms(
        "create-admin",
        "--email",
        "pmo.lead@example.nhs.uk",
        "--name",
        "Amara Okafor",
        option,
        PASSWORD,
    )
    assert result.exit_code == 2 and "No such option" in result.output
    assert count(User) == 0


def test_create_admin_help_offers_no_password_option(lms):
    assert "password" not in lms("create-admin", "--help").output.split("Options:")[1].lower()


# --- seed-demo -----------------------------------------------------------------------------


@pytest.fixture
def demo_password(monkeypatch):
    monkeypatch.setenv("LMS_DEMO_PASSWORD", DEMO_PASSWORD)
    return DEMO_PASSWORD


def test_seed_demo_loads_the_five_programmes(lms, demo_password):
    assert lms("seed-demo").exit_code == 0
    titles = set(db.session.scalars(select(Course.title)))
    assert set(PROGRAMMES) <= titles


def test_seed_demo_prints_the_demo_logins_and_their_password(lms, demo_password):
    output = lms("seed-demo").output
    assert "Demo data loaded." in output and demo_password in output
    for email in DEMO_LOGINS:
        assert email in output


def test_the_demo_logins_work_with_their_roles(app, lms, demo_password):
    lms("seed-demo")
    for email in DEMO_LOGINS:
        assert log_in(app.test_client(), email, demo_password).status_code == 302, email
    admin = db.session.scalar(User.by_email("admin@example.nhs.uk"))
    trainer = db.session.scalar(User.by_email("trainer@example.nhs.uk"))
    assert admin.is_admin and trainer.is_trainer


def test_seed_demo_if_empty_on_a_seeded_database_changes_nothing(lms, demo_password):
    lms("seed-demo")
    before = (count(User), count(Course), count(AuditEvent))
    result = lms("seed-demo", "--if-empty")
    assert result.exit_code == 0
    assert "Demo data already loaded." in result.output
    assert (count(User), count(Course), count(AuditEvent)) == before


def test_seed_demo_refuses_a_database_that_already_has_people(lms, learner, demo_password):
    result = lms("seed-demo")
    assert result.exit_code != 0
    assert "already has people" in result.output
    assert count(Course) == 0 and count(User) == 1


# --- worker --------------------------------------------------------------------------------


@pytest.fixture
def keep_signal_handlers():
    """The worker installs SIGINT/SIGTERM handlers; give pytest its own back afterwards."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def test_worker_once_sends_pending_mail_and_stops(app, lms, smtp_server, keep_signal_handlers):
    sink, port = smtp_server
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    outbox.queue("zoe.ashworth@example.nhs.uk", "Your place is confirmed", "Hello")
    outbox.queue("tom.hughes@example.nhs.uk", "Your register is ready", "Hello")
    db.session.commit()

    result = lms("worker", "--once")

    assert result.exit_code == 0, result.output
    assert "Sent 2 message(s)." in result.output
    assert sorted(email["To"] for email in sink.messages) == [
        "tom.hughes@example.nhs.uk",
        "zoe.ashworth@example.nhs.uk",
    ]


def test_create_admin_retires_an_unused_invitation_link(app, lms, make_user, monkeypatch):
    """The password create-admin sets is the only way in: an old invitation stops working."""
    person = make_user("grace@example.nhs.uk")
    raw = issue_token(person, INVITATION)
    db.session.commit()
    monkeypatch.setenv("LMS_ADMIN_PASSWORD", PASSWORD)

    assert lms("create-admin", "--email", person.email, "--name", "Grace").exit_code == 0

    assert app.test_client().get(f"/account/reset/{raw}").status_code == 410
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert {"password.set_by_operator", "user.roles_changed", "user.admin_created"} <= set(actions)
