"""Work that waits for a commit (lms/core/after_commit.py) and the signals of `courses`
sent that way (courses/signals.py): after the commit, once, never for a rollback."""

from __future__ import annotations

import logging

from blinker import Signal
from sqlalchemy import func, select

from courses import signals
from lms.audit.audit import AuditEvent
from lms.core.after_commit import after_commit
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage, queue


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_a_callback_runs_after_the_commit_in_the_order_queued(app):
    ran = []
    queue("a@example.nhs.uk", "Subject", "Body")
    after_commit(db.session(), lambda: ran.append(("first", outbox_count())))
    after_commit(db.session(), lambda: ran.append(("second", outbox_count())))
    db.session.flush()
    assert ran == []
    db.session.commit()
    # Each saw the committed row, from a session free to query again.
    assert ran == [("first", 1), ("second", 1)]
    db.session.commit()
    assert len(ran) == 2  # once only


def test_a_rolled_back_transaction_drops_its_callbacks(app):
    ran = []
    after_commit(db.session(), lambda: ran.append("rolled back"))
    db.session.rollback()
    db.session.commit()
    assert ran == []


def test_a_callback_that_commits_runs_the_callbacks_it_queued_after_it(app):
    ran = []

    def first():
        ran.append("first")
        queue("b@example.nhs.uk", "Subject", "Body")
        after_commit(db.session(), lambda: ran.append("queued by first"))
        db.session.commit()

    after_commit(db.session(), first)
    after_commit(db.session(), lambda: ran.append("second"))
    db.session.commit()
    assert ran == ["first", "second", "queued by first"]
    assert outbox_count() == 1


def test_five_hundred_receivers_that_commit_all_run_without_nesting(app):
    received = []

    def receiver(sender, **extra):
        received.append(sender)
        queue(f"{sender}@example.nhs.uk", "Your certificate", "Body")
        db.session.commit()  # as a receiver does: its own work, committed

    completed = Signal("completed")  # the app's own receivers are not this test's
    with completed.connected_to(receiver):
        for number in range(500):
            signals.send_after_commit(completed, f"learner{number}")
        db.session.commit()
    assert received == [f"learner{number}" for number in range(500)]
    assert outbox_count() == 500


def test_a_failing_receiver_does_not_keep_the_signal_from_the_others(app, caplog):
    heard = []

    def failing(sender, **extra):
        queue("a@example.nhs.uk", "Half done", "Body")
        db.session.flush()
        raise RuntimeError("no certificate today")

    def listening(sender, **extra):
        heard.append(sender)
        queue("b@example.nhs.uk", "Done", "Body")
        db.session.commit()

    completed = Signal("completed")
    with completed.connected_to(failing), completed.connected_to(listening):
        signals.send_after_commit(completed, "learner")
        db.session.commit()
    assert heard == ["learner"]
    assert outbox_count() == 1  # the failing receiver's half is rolled back
    assert "no certificate today" in caplog.text


def test_a_failing_callback_is_logged_and_rolled_back_and_the_others_still_run(app, caplog):
    ran = []

    def failing():
        queue("c@example.nhs.uk", "Subject", "Body")
        db.session.flush()
        raise RuntimeError("the certificate printer is on fire")

    queue("d@example.nhs.uk", "Subject", "Body")
    after_commit(db.session(), failing)
    after_commit(db.session(), lambda: ran.append("after the failure"))
    with caplog.at_level(logging.ERROR, logger="lms.core.after_commit"):
        db.session.commit()
    assert "work after a commit failed" in caplog.text
    assert ran == ["after the failure"]
    assert outbox_count() == 1  # the change it reacted to stays; its own work does not


def test_a_signal_is_sent_once_after_the_commit_and_never_for_a_rollback(app):
    received = []

    def receiver(sender, **extra):
        received.append((sender, extra, db.session.scalar(select(func.count(AuditEvent.id)))))

    with signals.cohort_closed.connected_to(receiver):
        signals.send_after_commit(signals.cohort_closed, "cohort", reason="test")
        assert received == []
        db.session.commit()
        signals.send_after_commit(signals.cohort_closed, "not sent")
        db.session.rollback()
        db.session.commit()
    assert received == [("cohort", {"reason": "test"}, 0)]
