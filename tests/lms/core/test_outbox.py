"""The outbox and its delivery: lms/outbox.py and lms/mailer.py, against a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.core import mailer, outbox
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import Attachment, OutboxMessage
from tests.helpers import free_port


@pytest.fixture
def smtp_down(app):
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())


def queued(recipient="zoe.ashworth@example.nhs.uk", **fields) -> OutboxMessage:
    message = outbox.queue(recipient, fields.pop("subject", "Your place is confirmed"), "Hello")
    for name, value in fields.items():
        setattr(message, name, value)
    db.session.commit()
    return message


def rows() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_subjects_are_made_safe_for_a_mail_header(app):
    message = queued(subject="Zoë asks to join\r\n" + "a very long course title " * 20)
    assert "\n" not in message.subject and "\r" not in message.subject
    assert len(message.subject) <= outbox.SUBJECT_LENGTH and message.subject.endswith("…")


def test_queued_mail_in_a_rolled_back_transaction_leaves_no_row(app):
    outbox.queue("zoe.ashworth@example.nhs.uk", "Your place is confirmed", "Hello")
    db.session.rollback()
    assert rows() == []


def test_queued_mail_waits_as_pending_until_delivered(app):
    message = queued()
    assert (message.status, message.attempts, message.sent_at) == ("pending", 0, None)


def test_delivery_sends_text_html_and_attachments_through_smtp(app, smtp):
    invite = Attachment("session.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    message = outbox.queue(
        "zoe.ashworth@example.nhs.uk",
        "Your place is confirmed",
        "Your place on Project design workshop is confirmed.",
        "<p>Your place on <strong>Project design workshop</strong> is confirmed.</p>",
        [invite],
    )
    db.session.commit()

    assert outbox.deliver_due() == 1

    [email] = smtp
    assert email["To"] == "zoe.ashworth@example.nhs.uk"
    assert email["Subject"] == "Your place is confirmed"
    assert email["From"] == app.config["MAIL_FROM"]
    assert "is confirmed." in email.get_body(("plain",)).get_content()
    assert "<strong>Project design workshop</strong>" in email.get_body(("html",)).get_content()
    [attachment] = email.iter_attachments()
    assert attachment.get_filename() == "session.ics"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_content().replace("\r\n", "\n") == "BEGIN:VCALENDAR\nEND:VCALENDAR\n"
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("sent", 1)
    assert message.sent_at is not None


def test_binary_attachments_arrive_unchanged(app, smtp):
    data = bytes(range(256))
    pdf = Attachment("certificate.pdf", "application/pdf", data)
    outbox.queue("a@example.nhs.uk", "Your certificate", "Attached.", None, [pdf])
    db.session.commit()
    outbox.deliver_due()
    [attachment] = smtp[0].iter_attachments()
    assert attachment.get_content() == data


def test_a_sent_message_is_not_sent_again(app, smtp):
    queued()
    assert outbox.deliver_due() == 1
    assert outbox.deliver_due() == 0
    assert len(smtp) == 1


def test_mail_server_down_leaves_the_message_pending_for_a_later_try(app, smtp_down):
    message = queued()
    now = utcnow()
    assert outbox.deliver_due(now=now) == 0
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.last_error
    assert message.next_attempt_at == now + outbox.backoff(1)


def test_a_message_waiting_for_its_retry_is_not_sent_early(app, smtp_down, smtp_server):
    queued()
    now = utcnow()
    outbox.deliver_due(now=now)
    sink, port = smtp_server
    app.config["MAIL_PORT"] = port
    assert outbox.deliver_due(now=now + outbox.backoff(1) - timedelta(seconds=1)) == 0
    assert outbox.deliver_due(now=now + outbox.backoff(1)) == 1
    assert len(sink.messages) == 1


def test_after_the_last_allowed_attempt_the_message_has_failed(app, smtp_down):
    message = queued()
    now = utcnow()
    for _ in range(app.config["OUTBOX_MAX_ATTEMPTS"]):
        outbox.deliver_due(now=now)
        now += timedelta(hours=7)  # beyond the longest back-off
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("failed", app.config["OUTBOX_MAX_ATTEMPTS"])
    assert outbox.deliver_due(now=now + timedelta(days=1)) == 0
    db.session.refresh(message)
    assert message.attempts == app.config["OUTBOX_MAX_ATTEMPTS"]


def test_a_message_that_cannot_be_built_does_not_hold_up_the_others(app, smtp):
    """One bad row (here a line break smuggled into the recipient after queueing) must not
    block the outbox: it is marked failed and the rows behind it are still sent."""
    broken = queued()
    broken.recipient = "zoe.ashworth@example.nhs.uk\nBcc: everyone@example.nhs.uk"
    db.session.commit()
    queued("tom.hughes@example.nhs.uk")
    try:
        sent = outbox.deliver_due()
    except ValueError:
        db.session.rollback()
        sent = 0
    assert sent == 1 and [email["To"] for email in smtp] == ["tom.hughes@example.nhs.uk"]
    db.session.refresh(broken)
    assert broken.status == "failed" and broken.last_error


@pytest.mark.parametrize("smuggled", ["\r\n", "\n", "\x1b[31m", "\x85", "\u2028", "\x07"])
def test_a_subject_is_written_on_one_line_whatever_reached_the_row(app, smtp, smuggled):
    message = queued()
    message.subject = f"Your place{smuggled}Bcc: everyone@example.nhs.uk"
    db.session.commit()
    assert outbox.deliver_due() == 1
    [email] = smtp
    subject = email["Subject"]
    assert subject.startswith("Your place ") and subject.endswith("Bcc: everyone@example.nhs.uk")
    assert not any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F for char in subject)
    assert "\u2028" not in subject and email["Bcc"] is None


def test_backoff_doubles_from_30_seconds_up_to_6_hours():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.backoff(20) == timedelta(hours=6)


def test_messages_not_yet_due_are_not_sent(app, smtp):
    message = queued(next_attempt_at=utcnow() + timedelta(minutes=5))
    assert outbox.deliver_due() == 0
    assert smtp == []
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 0)


def test_a_request_that_queues_mail_delivers_it_before_responding(
    app, make_app, make_user, smtp_server
):
    """Embedded mode drains the outbox in-process after the request's commit."""
    sink, port = smtp_server
    person = make_user("zoe.ashworth@example.nhs.uk")
    inline = make_app(OUTBOX_INLINE=True, MAIL_TRANSPORT="smtp", MAIL_PORT=port)

    response = inline.test_client().post("/account/reset", data={"email": person.email})

    assert response.status_code == 200
    [email] = sink.messages
    assert email["To"] == person.email and email["Subject"] == "Reset your password"
    assert [message.status for message in rows()] == ["sent"]


def test_without_inline_delivery_a_request_leaves_mail_for_the_worker(
    app, make_user, client, smtp_server
):
    sink, port = smtp_server
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_PORT=port)
    person = make_user("zoe.ashworth@example.nhs.uk")
    client.post("/account/reset", data={"email": person.email})
    assert sink.messages == []
    assert [message.status for message in rows()] == ["pending"]


def test_two_senders_claim_disjoint_messages(app):
    """A claim is one conditional UPDATE: two senders never get the same message."""
    for number in range(4):
        queued(f"person{number}@example.nhs.uk")
    now = utcnow()
    with Session(db.engine) as first, Session(db.engine) as second:
        mine = outbox.claim_due(first, limit=3, now=now)
        theirs = outbox.claim_due(second, limit=3, now=now)
    assert len(mine) == 3 and len(theirs) == 1
    assert set(mine).isdisjoint(theirs)
    assert {message.status for message in rows()} == {"sending"}


def test_deliver_due_skips_messages_another_sender_has_claimed(app, smtp):
    for number in range(4):
        queued(f"person{number}@example.nhs.uk")
    with Session(db.engine) as other_sender:
        held = outbox.claim_due(other_sender, limit=2, now=utcnow())
    assert outbox.deliver_due() == 2
    statuses = {message.id: message.status for message in rows()}
    assert [statuses[message_id] for message_id in held] == ["sending", "sending"]
    assert len(smtp) == 2


def test_a_claim_left_by_a_sender_that_died_is_taken_again_after_its_lease(app, smtp):
    message = queued()
    now = utcnow()
    with Session(db.engine) as dead_sender:
        assert outbox.claim_due(dead_sender, limit=10, now=now) == [message.id]
    assert outbox.deliver_due(now=now + outbox.CLAIM_LEASE - timedelta(seconds=1)) == 0
    assert outbox.deliver_due(now=now + outbox.CLAIM_LEASE) == 1
    assert len(smtp) == 1


def test_inline_delivery_sends_every_due_message_not_just_one_batch(app, smtp):
    for number in range(outbox.BATCH_SIZE + 3):
        queued(f"person{number}@example.nhs.uk")
    assert outbox.deliver_all_due() == outbox.BATCH_SIZE + 3
    assert len(smtp) == outbox.BATCH_SIZE + 3


def test_each_batch_of_a_long_drain_leases_and_stamps_by_the_clock_as_it_starts(
    app, smtp, monkeypatch
):
    """A drain that takes longer than a lease must not hand later batches leases that have
    already run out (another sender would then send them again)."""
    for number in range(outbox.BATCH_SIZE + 5):
        queued(f"person{number}@example.nhs.uk")
    start = utcnow()
    ticks = iter(start + timedelta(minutes=11 * step) for step in range(1, 100))
    monkeypatch.setattr(outbox, "utcnow", lambda: next(ticks))

    assert outbox.deliver_all_due(now=start) == outbox.BATCH_SIZE + 5

    stamps = sorted({message.sent_at for message in rows()})
    assert stamps == [start + timedelta(minutes=11), start + timedelta(minutes=22)]
    assert len(smtp) == outbox.BATCH_SIZE + 5


def test_a_batch_lease_covers_every_message_taking_the_full_timeout(app):
    lease = outbox.lease_for(outbox.BATCH_SIZE, app.config)
    assert lease > timedelta(seconds=outbox.BATCH_SIZE * app.config["MAIL_TIMEOUT"])


def test_a_drain_stops_at_the_first_batch_the_server_cannot_take(app, smtp_down):
    for number in range(outbox.BATCH_SIZE * 2 + 1):
        queued(f"person{number}@example.nhs.uk")

    assert outbox.deliver_all_due() == 0

    attempts = [message.attempts for message in rows()]
    assert attempts.count(1) == outbox.BATCH_SIZE  # one connection tried, not three
    assert {message.status for message in rows()} == {"pending"}


def test_an_unforeseen_error_on_one_message_is_a_failed_try_not_a_stuck_batch(
    app, smtp, monkeypatch
):
    broken = queued("broken@example.nhs.uk")
    queued("tom.hughes@example.nhs.uk")
    real_send = mailer.SmtpTransport.send

    def send(self, email):
        if email["To"] == "broken@example.nhs.uk":
            raise RuntimeError("something nobody expected")
        real_send(self, email)

    monkeypatch.setattr(mailer.SmtpTransport, "send", send)

    assert outbox.deliver_due() == 1
    db.session.refresh(broken)
    assert (broken.status, broken.attempts) == ("pending", 1)
    assert "something nobody expected" in broken.last_error
    assert [email["To"] for email in smtp] == ["tom.hughes@example.nhs.uk"]
