"""The outbox and its delivery: lms/outbox.py and lms/mailer.py, against a real SMTP server.

Two or more real `flask lms worker` processes are in test_outbox_workers.py.
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lms.core import mailer, outbox, tokens
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import Attachment, OutboxMessage
from tests.conftest import MailSink
from tests.helpers import free_port


@pytest.fixture
def smtp_down(app):
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())


class ScriptedSink(MailSink):
    """A mail server that answers each recipient (RCPT) and each message (DATA) from a
    script, e.g. `rcpt=["450 4.2.0 Greylisted, try again later"]`, then accepts."""

    def __init__(self, *, rcpt=(), data=()):
        super().__init__()
        self.rcpt, self.data = list(rcpt), list(data)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt:
            return self.rcpt.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data:
            return self.data.pop(0)
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def scripted_smtp(app):
    """`scripted_smtp(rcpt=[...], data=[...])`: the app sends through a server answering
    from that script; returns the server's sink (what it accepted is in `.messages`)."""
    controllers = []

    def start(**script) -> ScriptedSink:
        sink = ScriptedSink(**script)
        port = free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        return sink

    yield start
    for controller in controllers:
        controller.stop()


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


def retry_until_settled(message: OutboxMessage, now) -> list:
    """Tries the message each time it falls due until it is sent or has failed; returns
    the times it was tried."""
    tried = []
    while message.status == "pending":
        outbox.deliver_due(now=now)
        tried.append(now)
        db.session.refresh(message)
        now = message.next_attempt_at
    return tried


def test_a_temporary_failure_is_retried_for_the_whole_give_up_period_then_fails(app, smtp_down):
    """An SMTP outage of a day must not lose mail: the old rule (8 tries, about an hour)
    failed everything queued during an hour-long outage."""
    app.config["OUTBOX_GIVE_UP_AFTER"] = timedelta(hours=30)
    message = queued()
    start = utcnow()

    tried = retry_until_settled(message, start)

    assert message.status == "failed"
    assert message.attempts == len(tried) > 8
    assert tried[-1] == start + timedelta(hours=30)  # the last try is at the deadline
    assert all(later - earlier <= outbox.MAX_BACKOFF for earlier, later in pairwise(tried))
    assert message.failing_since == start and message.last_attempt_at == tried[-1]
    assert message.last_error  # why, e.g. "[Errno 111] Connection refused"
    assert outbox.deliver_due(now=tried[-1] + timedelta(days=1)) == 0
    db.session.refresh(message)
    assert message.attempts == len(tried)


def test_by_default_a_temporary_failure_is_retried_for_48_hours(app, smtp_down):
    assert app.config["OUTBOX_GIVE_UP_AFTER"] == timedelta(hours=48)
    message = queued()
    start = utcnow()
    tried = retry_until_settled(message, start)
    assert tried[-1] - start == timedelta(hours=48)
    assert message.status == "failed"


def test_greylisting_then_acceptance_delivers_the_message_once(app, scripted_smtp):
    sink = scripted_smtp(rcpt=["450 4.2.0 Greylisted, please try again later"])
    message = queued()
    now = utcnow()

    assert outbox.deliver_due(now=now) == 0
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.last_error.startswith("zoe.ashworth@example.nhs.uk: 450 4.2.0 Greylisted")
    assert message.next_attempt_at == now + outbox.backoff(1)

    assert outbox.deliver_due(now=message.next_attempt_at) == 1
    assert outbox.deliver_due(now=message.next_attempt_at + timedelta(days=3)) == 0
    assert [email["To"] for email in sink.messages] == ["zoe.ashworth@example.nhs.uk"]
    db.session.refresh(message)
    assert (message.status, message.attempts, message.failing_since) == ("sent", 2, None)


def test_a_temporary_refusal_of_the_message_itself_is_retried(app, scripted_smtp):
    sink = scripted_smtp(data=["451 4.3.0 Local problem, try later"])
    message = queued()
    now = utcnow()
    assert outbox.deliver_due(now=now) == 0
    db.session.refresh(message)
    assert (
        message.status == "pending" and message.last_error == "451 4.3.0 Local problem, try later"
    )
    assert outbox.deliver_due(now=message.next_attempt_at) == 1
    assert len(sink.messages) == 1


@pytest.mark.parametrize(
    ("script", "error"),
    [
        ({"rcpt": ["550 5.1.1 No such user here"]}, "550 5.1.1 No such user here"),
        ({"data": ["554 5.7.1 Message rejected as spam"]}, "554 5.7.1 Message rejected as spam"),
    ],
)
def test_a_permanent_refusal_fails_the_message_at_once_and_keeps_the_reason(
    app, scripted_smtp, script, error
):
    sink = scripted_smtp(**script)
    message = queued()
    behind = queued("tom.hughes@example.nhs.uk")
    now = utcnow()

    assert outbox.deliver_due(now=now) == 1  # the one behind it still goes

    db.session.refresh(message)
    assert (message.status, message.attempts, message.last_attempt_at) == ("failed", 1, now)
    assert error in message.last_error
    assert [email["To"] for email in sink.messages] == [behind.recipient]
    assert outbox.deliver_due(now=now + timedelta(days=3)) == 0


def test_a_lost_connection_fails_the_rest_of_the_batch_for_now_not_for_good(app, smtp, monkeypatch):
    first, second, third = (queued(f"person{n}@example.nhs.uk") for n in range(3))
    real_send = mailer.SmtpTransport.send

    def send(self, email):
        if email["To"] == second.recipient:
            self.connection.close()  # the server went away mid-batch
        real_send(self, email)

    monkeypatch.setattr(mailer.SmtpTransport, "send", send)
    now = utcnow()

    assert outbox.deliver_due(now=now) == 1

    for message in (first, second, third):
        db.session.refresh(message)
    assert first.status == "sent"
    assert [(m.status, m.attempts) for m in (second, third)] == [("pending", 1)] * 2
    assert [email["To"] for email in smtp] == [first.recipient]


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


def test_backoff_doubles_from_30_seconds_up_to_an_hour():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.backoff(8) == outbox.backoff(500) == timedelta(hours=1)


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


def test_a_claim_is_committed_and_no_row_is_locked_while_the_server_is_talked_to(
    app, smtp, monkeypatch
):
    """Another connection can read the claim and write the row during the SMTP
    conversation: the sender holds no lock (it would otherwise wait, and fail here)."""
    message = queued()
    seen = []
    real_send = mailer.SmtpTransport.send

    def send(self, email):
        with db.engine.connect() as other:
            if other.dialect.name == "postgresql":
                other.execute(text("SET lock_timeout = '200ms'"))
            else:
                other.exec_driver_sql("PRAGMA busy_timeout = 0")
            seen.append(other.scalar(select(OutboxMessage.status)))
            other.execute(text("UPDATE outbox_message SET last_error = 'probe'"))
            other.commit()
        real_send(self, email)

    monkeypatch.setattr(mailer.SmtpTransport, "send", send)

    assert outbox.deliver_due() == 1
    assert seen == ["sending"]
    db.session.refresh(message)
    assert message.status == "sent" and len(smtp) == 1


def test_a_sender_whose_claim_was_taken_over_does_not_overwrite_the_new_claim(
    app, smtp, monkeypatch
):
    message = queued()
    later = utcnow() + timedelta(hours=2)
    real_send = mailer.SmtpTransport.send

    def send(self, email):
        with Session(db.engine) as other_sender:  # this sender's lease ran out meanwhile
            other_sender.execute(OutboxMessage.__table__.update().values(next_attempt_at=later))
            other_sender.commit()
        real_send(self, email)

    monkeypatch.setattr(mailer.SmtpTransport, "send", send)
    outbox.deliver_due()
    db.session.refresh(message)
    assert (message.status, message.next_attempt_at) == ("sending", later)


def test_a_sender_that_dies_mid_send_leaves_the_message_for_after_its_lease(app, smtp, monkeypatch):
    """Claim, then abandon (the process is killed while talking to the server): the
    message is neither lost nor sent by anyone else before the lease runs out."""
    message = queued()
    now = utcnow()

    def killed(self, email):
        raise KeyboardInterrupt  # stands for SIGKILL: nothing after this runs

    monkeypatch.setattr(mailer.SmtpTransport, "send", killed)
    with pytest.raises(KeyboardInterrupt):
        outbox.deliver_due(now=now)
    db.session.rollback()
    monkeypatch.undo()

    lease = outbox.lease_for(outbox.BATCH_SIZE, app.config)
    assert outbox.deliver_due(now=now + lease - timedelta(seconds=1)) == 0
    assert outbox.deliver_due(now=now + lease) == 1
    db.session.refresh(message)
    assert (message.status, message.attempts) == ("sent", 1)
    assert len(smtp) == 1


def test_a_batch_stops_taking_messages_before_its_lease_could_run_out(app, smtp, monkeypatch):
    """The messages it has not reached are given back at once, for any sender to take."""
    first, second = queued(), queued("tom.hughes@example.nhs.uk")
    ticks = iter([0.0, 0.0, 1e9, 1e9])  # the first send takes longer than the whole lease
    monkeypatch.setattr(outbox, "monotonic", lambda: next(ticks))
    now = utcnow()

    assert outbox.deliver_due(now=now) == 1

    db.session.refresh(first)
    db.session.refresh(second)
    assert first.status == "sent"
    assert (second.status, second.attempts, second.next_attempt_at) == ("pending", 0, now)


# --- secret links ------------------------------------------------------------------------


def test_a_placeholder_is_replaced_by_its_token_only_in_the_mail_sent(app, smtp):
    reference = tokens.new_reference()
    placeholder = tokens.placeholder("reset", reference, "zoe.ashworth@example.nhs.uk")
    message = outbox.queue(
        "Zoe.Ashworth@example.nhs.uk",
        "Reset your password",
        f"Open http://localhost/account/reset/{placeholder} to choose a password.",
        f'<p><a href="http://localhost/account/reset/{placeholder}">Choose a password</a></p>',
    )
    db.session.commit()

    assert outbox.deliver_due() == 1

    token = tokens.derive("reset", reference)
    [email] = smtp
    assert f"/account/reset/{token} to choose" in email.get_body(("plain",)).get_content()
    assert (
        f'href="http://localhost/account/reset/{token}"' in email.get_body(("html",)).get_content()
    )
    db.session.refresh(message)
    assert token not in message.body_text + message.body_html
    assert placeholder in message.body_text


def test_a_placeholder_typed_into_a_mail_or_copied_from_another_is_never_filled(app, smtp):
    """Names, titles and reasons typed by people end up in mail: a placeholder among them,
    made up or copied from another person's queued mail, stays as typed."""
    reference = tokens.new_reference()
    theirs = tokens.placeholder("reset", reference, "victim@example.nhs.uk")
    made_up = f"lmsref.reset.{reference}.{'0' * 32}.end"
    outbox.queue("attacker@example.nhs.uk", "Hello", f"Dear {theirs} and {made_up}")
    db.session.commit()

    assert outbox.deliver_due() == 1

    [email] = smtp
    body = email.get_body(("plain",)).get_content()
    assert theirs in body and made_up in body
    assert tokens.derive("reset", reference) not in body


# --- requeue, counts and purge -----------------------------------------------------------


def test_requeue_puts_failed_messages_back_with_a_fresh_give_up_period(app, scripted_smtp):
    sink = scripted_smtp(rcpt=["550 5.1.1 No such user here"])
    message = queued()
    untouched = queued("tom.hughes@example.nhs.uk", status="sent")
    now = utcnow()
    outbox.deliver_due(now=now)
    db.session.refresh(message)
    assert message.status == "failed"

    later = now + timedelta(days=2)
    assert outbox.requeue_failed(now=later) == 1
    db.session.commit()

    db.session.refresh(message)
    assert (message.status, message.attempts, message.next_attempt_at) == ("pending", 0, later)
    assert message.failing_since is None and "550" in message.last_error
    assert outbox.deliver_due(now=later) == 1
    assert [email["To"] for email in sink.messages] == [message.recipient]
    db.session.refresh(untouched)
    assert untouched.status == "sent"


def test_requeue_can_name_one_message(app):
    first = queued(status="failed")
    second = queued("tom.hughes@example.nhs.uk", status="failed")
    assert outbox.requeue_failed(message_id=second.id) == 1
    assert outbox.requeue_failed(message_id=second.id) == 0  # no longer failed
    db.session.commit()
    assert [message.status for message in (first, second)] == ["failed", "pending"]


def test_counts_list_every_state(app):
    queued(status="failed")
    queued(status="failed")
    queued(status="sent")
    queued()
    assert outbox.counts() == {"pending": 1, "sending": 0, "sent": 1, "failed": 2}
    assert outbox.failed_count() == 2


def test_latest_failed_lists_the_last_to_fail_first_without_bodies(app):
    now = utcnow()
    older = queued(status="failed", last_attempt_at=now - timedelta(hours=2), last_error="550")
    newer = queued(status="failed", last_attempt_at=now - timedelta(hours=1), last_error="554")
    queued(status="sent")
    rows_shown = db.session.execute(outbox.latest_failed()).all()
    assert [row.id for row in rows_shown] == [newer.id, older.id]
    assert rows_shown[0].failed_at == now - timedelta(hours=1)
    assert "body_text" not in rows_shown[0]._fields


def test_purge_deletes_only_finished_messages_past_their_periods(app):
    now = utcnow()
    day = timedelta(days=1)
    kept = [
        queued(status="sent", sent_at=now - 5 * day),
        queued(status="failed", last_attempt_at=now - 20 * day),
        queued(status="pending", created_at=now - 400 * day),
        queued(status="sending", created_at=now - 400 * day),
    ]
    queued(status="sent", sent_at=now - 40 * day)
    queued(status="failed", last_attempt_at=now - 100 * day)
    queued(status="failed", created_at=now - 100 * day)  # failed before last_attempt_at existed

    purged = outbox.purge_finished(sent_before=now - 30 * day, failed_before=now - 90 * day)
    db.session.commit()

    assert purged == 3
    assert [message.id for message in rows()] == [message.id for message in kept]
