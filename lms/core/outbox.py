"""The outbox: mail is written as rows in the same transaction as the change.

Nothing is sent for a change that rolls back, and nothing is lost while the mail
server is down. Delivery happens after commit: in-process in embedded mode, or by
`flask lms worker`. Either way a message is first *claimed* by one conditional
UPDATE ... RETURNING, committed before anything is sent, so however many threads,
processes or hosts deliver at once (on SQLite as on PostgreSQL), each message goes
to exactly one of them. A claim is a lease: a sender that dies mid-batch leaves its
unsent claims to be taken again once the lease runs out. Each message's outcome is
committed as soon as the server answers, and no transaction is open while the mail
server is being talked to, so no row is locked during SMTP.

A refusal for the time being (a 4xx reply such as greylisting, a lost connection, a
timeout, the server down) is tried again with back-off until OUTBOX_GIVE_UP_AFTER has
passed since the first one; a refusal for good (5xx) fails the message at once. Failed
messages keep their error, are counted on /readyz and the admin "Mail" page, and can
be put back in the queue (`flask lms outbox requeue`).

A row never holds a password link: the message holds a placeholder for the token,
which `build_email` fills in as it sends (see lms.core.tokens).
"""

from __future__ import annotations

import base64
import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic

from flask import current_app, render_template
from sqlalchemy import JSON, Index, String, Text, delete, event, func, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.core.db import Base, utcnow
from lms.core.extensions import db
from lms.core.mailer import build_email, header_text, is_permanent, transport_for

log = logging.getLogger("lms.outbox")

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATUSES = (PENDING, SENDING, SENT, FAILED)
# How long a claim holds a message: far longer than a batch takes to send.
CLAIM_LEASE = timedelta(minutes=10)
BATCH_SIZE = 50
MAX_BACKOFF = timedelta(hours=1)
SUBJECT_LENGTH = 250
_QUEUED = "outbox_queued"
_COMMITTED = "outbox_committed"


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    # Senders look for the unsent: the status first, so the sent history is never read.
    # Purging the sent history finds it by when each was sent.
    __table_args__ = (
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_message_status_sent_at", "status", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(SUBJECT_LENGTH))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default=PENDING, server_default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime | None]
    # The first of the current run of temporary refusals: the message fails for good
    # OUTBOX_GIVE_UP_AFTER later. None until it is refused (and again once it is sent).
    failing_since: Mapped[datetime | None]


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes

    def as_json(self) -> dict:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "data": base64.b64encode(self.data).decode("ascii"),
        }


def queue(
    recipient: str,
    subject: str,
    body_text: str,
    body_html: str | None = None,
    attachments: list[Attachment] | None = None,
) -> OutboxMessage:
    """Adds a message to the current transaction; it is sent only if that commits."""
    message = OutboxMessage(
        recipient=recipient,
        subject=_header_safe(subject),
        body_text=body_text,
        body_html=body_html,
        attachments=[a.as_json() for a in attachments] if attachments else None,
    )
    db.session.add(message)
    db.session.info[_QUEUED] = True
    return message


def queue_mail(recipient: str, subject: str, template: str, **context) -> OutboxMessage:
    """Renders `<template>.txt` and `.html` (e.g. "auth/mail/invitation") and queues them."""
    context.setdefault("service_name", current_app.config["SERVICE_NAME"])
    text = render_template(f"{template}.txt", subject=subject, **context)
    html = render_template(f"{template}.html", subject=subject, **context)
    return queue(recipient, subject, text, html, context.get("attachments"))


def queue_many_mail(template: str, messages: list[tuple[str, str, dict]]) -> int:
    """`queue_mail` for many messages, (recipient, subject, context) each, in one INSERT.

    The ORM would insert them one row at a time on SQLite; a bulk invitation queues
    thousands. Returns how many were queued.
    """
    rows = []
    for recipient, subject, context in messages:
        context.setdefault("service_name", current_app.config["SERVICE_NAME"])
        rows.append(
            {
                "recipient": recipient,
                "subject": _header_safe(subject),
                "body_text": render_template(f"{template}.txt", subject=subject, **context),
                "body_html": render_template(f"{template}.html", subject=subject, **context),
            }
        )
    if rows:
        db.session.execute(insert(OutboxMessage), rows)
        db.session.info[_QUEUED] = True
    return len(rows)


def _header_safe(subject: str) -> str:
    """A subject that fits its column, on one line with no control characters."""
    subject = header_text(subject)
    if len(subject) > SUBJECT_LENGTH:
        subject = subject[: SUBJECT_LENGTH - 1] + "…"
    return subject


@event.listens_for(Session, "after_commit")
def _note_committed_mail(session):
    if session.info.pop(_QUEUED, False):
        session.info[_COMMITTED] = True


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_mail(session):
    session.info.pop(_QUEUED, None)


def committed_mail_waiting() -> bool:
    """True once per commit that queued mail (used to drain the outbox in-process)."""
    return db.session.info.pop(_COMMITTED, False)


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at an hour, so mail held up by an outage goes within
    the hour of the server coming back."""
    return min(timedelta(seconds=30 * 2 ** min(attempts - 1, 20)), MAX_BACKOFF)


def claim_due(
    session: Session, *, limit: int, now: datetime, lease_until: datetime | None = None
) -> list[int]:
    """Claims up to `limit` due messages for this sender and commits the claim.

    One UPDATE ... RETURNING decides the claim, so it is atomic on both databases: on
    PostgreSQL the rows are picked with FOR UPDATE SKIP LOCKED (senders never wait on
    each other); SQLite runs the statement under its write lock and re-checks the
    status. A claimed message is `sending` until its lease ends at `next_attempt_at`
    (`lease_until`, by default `now` + CLAIM_LEASE).
    """
    due = (OutboxMessage.status.in_([PENDING, SENDING])) & (OutboxMessage.next_attempt_at <= now)
    # A materialised CTE is evaluated once; PostgreSQL may re-run a plain IN (subquery)
    # during the UPDATE and so claim more rows than the limit.
    candidates = (
        select(OutboxMessage.id)
        .where(due)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("candidates")
        .prefix_with("MATERIALIZED")
    )
    claimed = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(select(candidates.c.id)), due)
        .values(status=SENDING, next_attempt_at=lease_until or now + CLAIM_LEASE)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return sorted(claimed)


def deliver_due(*, limit: int = BATCH_SIZE, now: datetime | None = None) -> int:
    """Claims up to `limit` due messages, sends them and returns how many were sent.

    Each message's outcome is committed as soon as it is known, so a sender that dies
    can resend at most the one message it was sending when it died.
    """
    now = now or utcnow()
    return _deliver_batch(limit=limit, due_by=now, now=now).sent


def deliver_all_due(*, now: datetime | None = None) -> int:
    """Sends every message due now, batch after batch, until none is left or the mail
    server cannot be reached; returns how many were sent."""
    due_by = now or utcnow()
    total = 0
    while True:
        # Each batch leases and stamps by the clock as it starts, not as the drain began.
        batch = _deliver_batch(limit=BATCH_SIZE, due_by=due_by, now=max(due_by, utcnow()))
        total += batch.sent
        if batch.claimed < BATCH_SIZE or batch.unreachable:
            return total


@dataclass(frozen=True)
class Batch:
    claimed: int = 0
    sent: int = 0
    unreachable: bool = False  # the mail server could not be reached, or was lost


def lease_for(limit: int, config) -> timedelta:
    """Long enough to send a whole batch even when every message takes the full timeout,
    so another sender never takes over a message this one is still sending."""
    return max(CLAIM_LEASE, timedelta(seconds=limit * config["MAIL_TIMEOUT"]) + CLAIM_LEASE)


# What a sender reads of a claimed message: enough to build it and to record its outcome.
_TO_SEND = (
    OutboxMessage.id,
    OutboxMessage.recipient,
    OutboxMessage.subject,
    OutboxMessage.body_text,
    OutboxMessage.body_html,
    OutboxMessage.attachments,
    OutboxMessage.attempts,
    OutboxMessage.failing_since,
)


def _connection_lost(error: Exception) -> bool:
    """The connection to the mail server is gone (dropped, timed out, reset): nothing
    more can be sent on it. (Every SMTP error is an OSError; only these are about the
    connection rather than the message.)"""
    return isinstance(error, smtplib.SMTPServerDisconnected) or (
        isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException)
    )


def _deliver_batch(*, limit: int, due_by: datetime, now: datetime) -> Batch:
    """Claims the messages due by `due_by` and sends them, leasing and stamping by `now`."""
    config = current_app.config
    lease = lease_for(limit, config)
    lease_until = now + lease
    ids = claim_due(db.session, limit=limit, now=due_by, lease_until=lease_until)
    if not ids:
        return Batch()
    claimed = db.session.execute(
        select(*_TO_SEND).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    ).all()
    db.session.commit()  # no transaction stays open while the mail server is talked to
    with db.engine.connect() as connection:
        # Each outcome is one UPDATE that commits by itself, the moment it is known.
        outcomes = connection.execution_options(isolation_level="AUTOCOMMIT")
        return _send_batch(outcomes, claimed, config, now, lease_until, lease)


def _send_batch(outcomes, claimed, config, now, lease_until, lease) -> Batch:
    """Sends the claimed messages on one SMTP connection, recording each outcome on
    `outcomes`. If the server cannot be reached (or is lost), every message not yet sent
    has a failed try; messages the lease would not cover are handed back untried."""
    # Past this point another sender could take over the rest once the lease runs out.
    stop_at = monotonic() + (lease - CLAIM_LEASE).total_seconds()
    sent = 0
    unsent, error = claimed, None
    try:
        with transport_for(config) as transport:
            for index, message in enumerate(claimed):
                if monotonic() >= stop_at:
                    unsent = claimed[index:]
                    break
                try:
                    sent += _send_one(transport, outcomes, message, config, now, lease_until)
                except OSError as exc:  # only a lost connection gets this far
                    unsent, error = claimed[index:], exc
                    break
            else:
                unsent = []
    except OSError as exc:  # could not connect or log in (SMTP errors are OSErrors too)
        unsent, error = claimed, exc
    if error is not None:
        log.warning("the mail server could not be reached: %s", _describe(error))
        for message in unsent:
            outcome = _temporary_failure(message, error, config, now)
            _record(outcomes, message, lease_until, outcome)
        return Batch(len(claimed), sent, unreachable=True)
    if unsent:  # the lease is running out: the rest are due again for any sender
        outcomes.execute(
            _claimed_by(lease_until, [message.id for message in unsent]).values(
                status=PENDING, next_attempt_at=now
            )
        )
    return Batch(len(claimed), sent)


def _send_one(transport, outcomes, message, config, now: datetime, lease_until: datetime) -> int:
    """Sends one claimed message and records what became of it; 1 if it was sent.

    A lost connection is left to the caller: the rest of the batch cannot go either.
    """
    try:
        email = build_email(message, config["MAIL_FROM"])
    except (ValueError, TypeError, KeyError) as exc:  # a malformed row never holds up others
        log.error("outbox message %s cannot be built: %s", message.id, exc)
        outcome = _permanent_failure(message, f"could not build the message: {exc}", now)
    else:
        try:
            transport.send(email)
        except Exception as exc:
            if _connection_lost(exc):
                raise
            if is_permanent(exc):
                log.warning("outbox message %s refused for good: %s", message.id, exc)
                outcome = _permanent_failure(message, _describe(exc), now)
            else:
                if not isinstance(exc, smtplib.SMTPException):  # unforeseen: a failed try
                    log.exception("outbox message %s could not be sent", message.id)
                outcome = _temporary_failure(message, exc, config, now)
        else:
            outcome = {
                "status": SENT,
                "sent_at": now,
                "last_attempt_at": now,
                "attempts": message.attempts + 1,
                "failing_since": None,
            }
    _record(outcomes, message, lease_until, outcome)
    return 1 if outcome["status"] == SENT else 0


def _claimed_by(lease_until: datetime, ids: list[int]):
    """An UPDATE of these messages for as long as this sender's claim on them holds."""
    return (
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == SENDING,
            OutboxMessage.next_attempt_at == lease_until,
        )
        .execution_options(synchronize_session=False)
    )


def _record(outcomes, message, lease_until: datetime, outcome: dict) -> None:
    """Writes what became of a claimed message (on a connection that commits each
    statement), unless its claim was lost (the lease ran out and another sender took
    it): that sender's outcome is the one that stands."""
    if not outcomes.execute(_claimed_by(lease_until, [message.id]).values(**outcome)).rowcount:
        log.warning(
            "outbox message %s: its claim ran out before its outcome was recorded", message.id
        )


def _permanent_failure(message, reason: str, now: datetime) -> dict:
    return {
        "status": FAILED,
        "attempts": message.attempts + 1,
        "last_attempt_at": now,
        "last_error": reason[:2000],
    }


def _temporary_failure(message, error: BaseException, config, now: datetime) -> dict:
    """Tried again after a back-off, until OUTBOX_GIVE_UP_AFTER since the first refusal."""
    attempts = message.attempts + 1
    failing_since = message.failing_since or now
    give_up_at = failing_since + config["OUTBOX_GIVE_UP_AFTER"]
    outcome = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_error": _describe(error),
        "failing_since": failing_since,
    }
    if now >= give_up_at:
        log.error("outbox message %s failed for good, refused since %s", message.id, failing_since)
        return {**outcome, "status": FAILED}
    log.warning("outbox message %s will be tried again: %s", message.id, error)
    return {
        **outcome,
        "status": PENDING,
        "next_attempt_at": min(now + backoff(attempts), give_up_at),
    }


def _describe(error: BaseException) -> str:
    """The error as an operator reads it: the server's reply code and text where it gave one."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        text = "; ".join(
            f"{recipient}: {code} {_reply(reply)}"
            for recipient, (code, reply) in error.recipients.items()
        )
    elif isinstance(error, smtplib.SMTPResponseException):
        text = f"{error.smtp_code} {_reply(error.smtp_error)}"
    else:
        text = str(error)
    return (text or type(error).__name__)[:2000]


def _reply(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def run_worker(
    *,
    interval: float = 5.0,
    once: bool = False,
    until_empty: bool = False,
    should_stop=lambda: False,
) -> int:
    """Delivers mail until stopped; returns how many messages were sent.

    `once` sends one batch and stops; `until_empty` stops as soon as nothing is due (or
    the mail server cannot be reached).
    """
    total = 0
    while not should_stop():
        try:
            now = utcnow()
            batch = _deliver_batch(limit=BATCH_SIZE, due_by=now, now=now)
        except Exception:  # e.g. the database restarting: log, wait, carry on
            db.session.rollback()
            log.exception("mail delivery failed; retrying in %s s", interval)
            if once or until_empty:
                raise
            time.sleep(interval)
            continue
        total += batch.sent
        idle = batch.claimed == 0 or batch.unreachable
        if once or (until_empty and idle):
            break
        if idle:
            time.sleep(interval)
    return total


# --- what operators see and do ------------------------------------------------------------


def counts() -> dict[str, int]:
    """How many messages are in each state, every state listed (0 when none)."""
    found = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return {status: found.get(status, 0) for status in STATUSES}


def failed_count() -> int:
    """How many messages have failed for good (and wait for someone to requeue them)."""
    return db.session.scalar(
        select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == FAILED)
    )


def latest_failed(limit: int = 20):
    """The failed messages that failed last, newest first: who to, what, and why (never
    the body)."""
    return (
        select(
            OutboxMessage.id,
            OutboxMessage.recipient,
            OutboxMessage.subject,
            OutboxMessage.attempts,
            OutboxMessage.last_error,
            func.coalesce(OutboxMessage.last_attempt_at, OutboxMessage.created_at).label(
                "failed_at"
            ),
        )
        .where(OutboxMessage.status == FAILED)
        .order_by(OutboxMessage.last_attempt_at.desc().nulls_last(), OutboxMessage.id.desc())
        .limit(limit)
    )


def requeue_failed(*, message_id: int | None = None, now: datetime | None = None) -> int:
    """Puts the failed messages (or the one failed message `message_id`) back in the
    queue, due now and with a fresh OUTBOX_GIVE_UP_AFTER; returns how many. The last
    error is kept until the next try. Like `queue`, they go once the caller commits."""
    query = update(OutboxMessage).where(OutboxMessage.status == FAILED)
    if message_id is not None:
        query = query.where(OutboxMessage.id == message_id)
    requeued = db.session.execute(
        query.values(
            status=PENDING, next_attempt_at=now or utcnow(), attempts=0, failing_since=None
        ).execution_options(synchronize_session=False)
    ).rowcount
    if requeued:
        db.session.info[_QUEUED] = True  # embedded mode sends them after the commit
    return requeued


def purge_finished(*, sent_before: datetime, failed_before: datetime) -> int:
    """Deletes messages sent before `sent_before` and messages that failed (were last
    tried) before `failed_before`; returns how many. Pending and sending ones are kept
    whatever their age. The caller commits."""
    sent = db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.status == SENT, OutboxMessage.sent_at < sent_before)
        .execution_options(synchronize_session=False)
    ).rowcount
    failed_at = func.coalesce(OutboxMessage.last_attempt_at, OutboxMessage.created_at)
    failed = db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.status == FAILED, failed_at < failed_before)
        .execution_options(synchronize_session=False)
    ).rowcount
    return sent + failed
