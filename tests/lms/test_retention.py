"""The retention schedule: lms/retention.py, applied by `flask lms tick`."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from courses.models import AttendanceMethod, AttendanceRecord, AttendanceStatus
from lms.audit import audit
from lms.audit.audit import AuditEvent
from lms.auth.accounts import INVITATION, RESET, InvitationState, last_invitation
from lms.auth.models import PasswordToken
from lms.core.config import ConfigError, from_environment
from lms.core.extensions import db
from lms.core.outbox import FAILED, SENT, OutboxMessage
from lms.people import directory
from lms.retention import apply_retention
from tests.helpers import count, days, events, span

MOMENT = datetime(2027, 6, 1, 9, tzinfo=UTC)
INSIDE, OUTSIDE = timedelta(minutes=-1), timedelta(minutes=1)  # of a period, before MOMENT


def ago(days_: int, past_the_period: timedelta = timedelta(0)) -> datetime:
    """`days_` days before MOMENT, then a minute more (OUTSIDE) or less (INSIDE)."""
    return MOMENT - timedelta(days=days_) - past_the_period


# --- makers --------------------------------------------------------------------------------


def message(status: str, when: datetime) -> OutboxMessage:
    row = OutboxMessage(
        recipient="someone@example.nhs.uk",
        subject="Hello",
        body_text="Dear Zoë",
        status=status,
        created_at=when,
        next_attempt_at=when,
        last_attempt_at=when,
        sent_at=when if status == SENT else None,
    )
    db.session.add(row)
    return row


def token(user, purpose: str, *, created: datetime, used: datetime | None = None, expires=None):
    row = PasswordToken(
        user_id=user.id,
        purpose=purpose,
        token_hash=secrets.token_hex(32),
        created_at=created,
        expires_at=expires or created + timedelta(hours=72),
        used_at=used,
    )
    db.session.add(row)
    return row


def security_event(when: datetime, address: str = "192.0.2.1") -> AuditEvent:
    event = audit.record(None, "login.failed", None, entity_type="User")
    event.occurred_at, event.ip_address = when, address
    return event


@pytest.fixture
def noted_record(course, make_cohort, make_enrolment, trainer):
    """`noted_record(ended_at, note)`: an attendance record with a note, of a session
    that ended then."""

    def make(ended_at: datetime, note: str | None = "Left early: a hospital appointment"):
        cohort = make_cohort(course, sessions=[span(ended_at - timedelta(hours=3))])
        record = AttendanceRecord(
            session_id=cohort.sessions[0].id,
            enrolment_id=make_enrolment(cohort).id,
            status=AttendanceStatus.LEFT_EARLY,
            method=AttendanceMethod.REGISTER,
            note=note,
            marked_by_id=trainer.id,
            marked_at=ended_at,
        )
        db.session.add(record)
        db.session.commit()
        return record

    return make


def fresh(row):
    db.session.commit()
    db.session.expire_all()
    return db.session.get(type(row), row.id)


# --- each period, at its boundary ----------------------------------------------------------


def test_sent_mail_is_removed_after_30_days_and_failed_mail_after_90(app):
    kept = [
        message(SENT, ago(30, INSIDE)),
        message(FAILED, ago(90, INSIDE)),
        message(FAILED, ago(30, OUTSIDE)),  # a failure is kept longer, to be looked into
    ]
    message(SENT, ago(30, OUTSIDE))
    message(FAILED, ago(90, OUTSIDE))
    db.session.commit()
    assert apply_retention(MOMENT)["mail"] == 2
    db.session.commit()
    assert sorted(db.session.scalars(select(OutboxMessage.id))) == [row.id for row in kept]


def test_mail_still_to_send_is_kept_whatever_its_age(app):
    message("pending", ago(400))
    db.session.commit()
    assert apply_retention(MOMENT)["mail"] == 0
    assert count(OutboxMessage) == 1


def test_used_password_links_are_removed_30_days_after_use(learner):
    kept = token(learner, RESET, created=ago(31), used=ago(30, INSIDE))
    token(learner, RESET, created=ago(31), used=ago(30, OUTSIDE))
    db.session.commit()
    assert apply_retention(MOMENT)["spent_links"] == 1
    db.session.commit()
    assert db.session.scalars(select(PasswordToken.id)).all() == [kept.id]


def test_unused_password_links_are_removed_30_days_after_they_expire(learner):
    kept = token(learner, RESET, created=ago(31), expires=ago(30, INSIDE))
    working = token(learner, RESET, created=MOMENT, expires=MOMENT + timedelta(hours=1))
    token(learner, RESET, created=ago(31), expires=ago(30, OUTSIDE))
    db.session.commit()
    assert apply_retention(MOMENT)["spent_links"] == 1
    db.session.commit()
    assert sorted(db.session.scalars(select(PasswordToken.id))) == sorted([kept.id, working.id])


def test_each_persons_latest_invitation_is_kept_so_the_people_pages_still_read_right(
    make_newcomer, learner
):
    """An admin still sees "used" or "expired", and the never-used invitation still
    counts: the newcomer is not "not yet invited" again, to be invited twice."""
    newcomer = make_newcomer("newcomer@example.nhs.uk")
    token(newcomer, INVITATION, created=ago(400), expires=ago(397))
    latest_unused = token(newcomer, INVITATION, created=ago(200), expires=ago(197))
    latest_used = token(learner, INVITATION, created=ago(300), used=ago(299))
    token(learner, INVITATION, created=ago(500), used=ago(300))
    db.session.commit()
    assert apply_retention(MOMENT)["spent_links"] == 2
    db.session.commit()
    assert sorted(db.session.scalars(select(PasswordToken.id))) == sorted(
        [latest_unused.id, latest_used.id]
    )
    assert last_invitation(newcomer).state is InvitationState.EXPIRED
    assert last_invitation(learner).state is InvitationState.USED
    assert directory.count_not_yet_invited() == 0


def test_ip_addresses_are_blanked_90_days_after_the_event(app):
    kept = security_event(ago(90, INSIDE))
    blanked = security_event(ago(90, OUTSIDE))
    db.session.commit()
    assert apply_retention(MOMENT)["audit_ip_addresses"] == 1
    assert fresh(kept).ip_address == "192.0.2.1"
    blanked = fresh(blanked)
    assert blanked.ip_address is None and blanked.action == "login.failed"


def test_register_notes_are_blanked_a_year_after_the_session_ended(noted_record):
    kept = noted_record(ago(365, INSIDE))
    blanked = noted_record(ago(365, OUTSIDE))
    version = blanked.version
    assert apply_retention(MOMENT)["register_notes"] == 1
    assert fresh(kept).note == "Left early: a hospital appointment"
    blanked = fresh(blanked)
    assert blanked.note is None
    assert blanked.status is AttendanceStatus.LEFT_EARLY  # the mark itself is kept
    assert blanked.version == version + 1  # a register loaded before cannot write it back


def test_where_check_ins_came_from_is_blanked_30_days_after_the_session(noted_record):
    kept = noted_record(ago(30, INSIDE))
    blanked = noted_record(ago(30, OUTSIDE))
    for record in (kept, blanked):
        record.check_in_device, record.check_in_address = "d" * 64, "a" * 64
    db.session.commit()
    version = blanked.version
    assert apply_retention(MOMENT)["check_in_sources"] == 1
    assert fresh(kept).check_in_device == "d" * 64
    blanked = fresh(blanked)
    assert (blanked.check_in_device, blanked.check_in_address) == (None, None)
    assert blanked.version == version  # where it came from is not the attendance itself


# --- the whole schedule --------------------------------------------------------------------


def test_applying_it_again_does_nothing_and_audits_nothing(learner, noted_record):
    message(SENT, ago(400))
    token(learner, RESET, created=ago(400), used=ago(400))
    security_event(ago(400))
    noted_record(ago(400))
    first = apply_retention(MOMENT)
    db.session.commit()
    assert first == {
        "mail": 1,
        "spent_links": 1,
        "audit_ip_addresses": 1,
        "register_notes": 1,
        "check_in_sources": 0,
    }
    assert apply_retention(MOMENT) == dict.fromkeys(first, 0)
    db.session.commit()
    [event] = events("retention.applied")
    assert event.actor_label == "system" and event.after == first


def test_a_backlog_is_worked_off_a_batch_at_a_time(app, learner):
    app.config["RETENTION_BATCH_SIZE"] = 2
    for _ in range(3):
        token(learner, RESET, created=ago(400), used=ago(400))
        security_event(ago(400))
    db.session.commit()
    assert apply_retention(MOMENT) == {
        "mail": 0,
        "spent_links": 2,
        "audit_ip_addresses": 2,
        "register_notes": 0,
        "check_in_sources": 0,
    }
    second = apply_retention(MOMENT)
    assert (second["spent_links"], second["audit_ip_addresses"]) == (1, 1)


def test_each_period_is_a_setting(app, monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_RETENTION_AUDIT_IP_DAYS", "30")
    assert from_environment(tmp_path, {"SECRET_KEY": "k" * 32})["RETENTION_AUDIT_IP_DAYS"] == 30
    app.config["RETENTION_AUDIT_IP_DAYS"] = 30
    security_event(ago(30, OUTSIDE))
    db.session.commit()
    assert apply_retention(MOMENT)["audit_ip_addresses"] == 1


def test_a_negative_period_is_refused(monkeypatch, tmp_path):
    monkeypatch.setenv("LMS_RETENTION_REGISTER_NOTE_DAYS", "-1")
    with pytest.raises(ConfigError, match="LMS_RETENTION_REGISTER_NOTE_DAYS"):
        from_environment(tmp_path, {"SECRET_KEY": "k" * 32})


# --- flask lms tick ------------------------------------------------------------------------


def test_tick_applies_the_schedule_and_says_what_it_did(app, learner, noted_record):
    """tick reads the clock itself: the rows are placed around the run's start."""
    message(SENT, days(-31))
    token(learner, RESET, created=days(-40), used=days(-40))
    security_event(days(-91))
    noted_record(days(-366))
    db.session.commit()
    output = app.test_cli_runner().invoke(args=["lms", "tick"]).output
    assert "Removed 1 sent or failed message(s) past their retention." in output
    assert "Removed 1 used or expired password link(s)." in output
    assert "Blanked 1 IP address(es) in the audit log." in output
    assert "Blanked 1 register note(s)." in output
    again = app.test_cli_runner().invoke(args=["lms", "tick"]).output
    assert "Removed 0 sent or failed message(s) past their retention." in again
    assert "Blanked 0 register note(s)." in again
