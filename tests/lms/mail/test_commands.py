"""`flask lms outbox status|requeue` and `flask lms worker --until-empty` (lms/cli.py)."""

from __future__ import annotations

import signal

import pytest
from sqlalchemy import select

from lms.core import outbox
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from tests.helpers import events


@pytest.fixture
def lms(runner):
    return lambda *args: runner.invoke(args=["lms", *args])


@pytest.fixture
def keep_signal_handlers():
    """The worker installs SIGINT/SIGTERM handlers; give pytest its own back afterwards."""
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    yield
    for number, handler in saved.items():
        signal.signal(number, handler)


def queued(status: str = "pending", recipient: str = "zoe.ashworth@example.nhs.uk"):
    message = outbox.queue(recipient, "Your place is confirmed", "Hello")
    message.status = status
    db.session.commit()
    return message


def statuses() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_status_counts_each_state(app, lms):
    for status in ("failed", "failed", "sent", "pending"):
        queued(status)
    result = lms("outbox", "status")
    assert result.exit_code == 0, result.output
    assert result.output.split("\n")[:4] == [
        "pending:          1",
        "sending:          0",
        "sent:             1",
        "failed:           2",
    ]


def test_requeue_puts_every_failed_message_back_and_says_how_many(app, lms):
    queued("failed"), queued("failed"), queued("sent")
    result = lms("outbox", "requeue")
    assert result.exit_code == 0, result.output
    assert "Requeued 2 failed message(s)." in result.output
    assert statuses() == ["pending", "pending", "sent"]
    [event] = events("mail.requeued")
    assert (event.actor_label, event.after) == ("system", {"messages": 2})


def test_requeue_can_name_one_message(app, lms):
    queued("failed")
    second = queued("failed")
    result = lms("outbox", "requeue", "--id", str(second.id))
    assert "Requeued 1 failed message(s)." in result.output
    assert statuses() == ["failed", "pending"]


def test_requeue_of_a_message_that_has_not_failed_is_refused(app, lms):
    sent = queued("sent")
    result = lms("outbox", "requeue", "--id", str(sent.id))
    assert result.exit_code != 0
    assert f"There is no failed message {sent.id} to send again" in result.output
    assert statuses() == ["sent"] and events("mail.requeued") == []


def test_worker_until_empty_sends_every_batch_then_stops(
    app, lms, smtp_server, keep_signal_handlers
):
    sink, port = smtp_server
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    for number in range(outbox.BATCH_SIZE + 2):
        queued(recipient=f"person{number}@example.nhs.uk")

    result = lms("worker", "--until-empty")

    assert result.exit_code == 0, result.output
    assert f"Sent {outbox.BATCH_SIZE + 2} message(s)." in result.output
    assert len(sink.messages) == outbox.BATCH_SIZE + 2
    assert set(statuses()) == {"sent"}
