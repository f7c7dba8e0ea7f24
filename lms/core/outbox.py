"""The outbox: mail is written as rows in the same transaction as the change.

Nothing is sent for a change that rolls back, and nothing is lost while the mail
server is down. Delivery happens after commit: in-process in embedded mode, or by
`flask lms worker`. Either way a message is first *claimed* by one conditional
UPDATE ... RETURNING, committed before anything is sent, so however many threads,
processes or hosts deliver at once (on SQLite as on PostgreSQL), each message goes
to exactly one of them. A claim is a lease: a sender that dies mid-batch leaves its
unsent claims to be taken again once the lease runs out.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import JSON, Index, String, Text, event, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.core.db import Base, utcnow
from lms.core.extensions import db
from lms.core.mailer import build_email, header_text, transport_for

log = logging.getLogger("lms.outbox")

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
# How long a claim holds a message: far longer than a batch takes to send.
CLAIM_LEASE = timedelta(minutes=10)
BATCH_SIZE = 50
SUBJECT_LENGTH = 250
_QUEUED = "outbox_queued"
_COMMITTED = "outbox_committed"


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    # Senders look for the unsent: the status first, so the sent history is never read.
    __table_args__ = (
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
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
    """30 s, 1 min, 2 min, ... capped at 6 hours."""
    return timedelta(seconds=min(30 * 2 ** (attempts - 1), 6 * 3600))


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
    unreachable: bool = False  # the mail server could not be reached at all


def lease_for(limit: int, config) -> timedelta:
    """Long enough to send a whole batch even when every message takes the full timeout,
    so another sender never takes over a message this one is still sending."""
    return max(CLAIM_LEASE, timedelta(seconds=limit * config["MAIL_TIMEOUT"]) + CLAIM_LEASE)


def _deliver_batch(*, limit: int, due_by: datetime, now: datetime) -> Batch:
    """Claims the messages due by `due_by` and sends them, leasing and stamping by `now`."""
    config = current_app.config
    lease_until = now + lease_for(limit, config)
    ids = claim_due(db.session, limit=limit, now=due_by, lease_until=lease_until)
    if not ids:
        return Batch()
    claimed = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(ids)).order_by(OutboxMessage.id)
    ).all()
    sent = 0
    try:
        with transport_for(config) as transport:
            for message in claimed:
                if _send_one(transport, message, config, now):
                    sent += 1
                db.session.commit()
    except (smtplib.SMTPException, OSError) as exc:  # could not reach the server at all
        for message in claimed:
            if message.status == SENDING:
                _failed_attempt(message, exc, config, now)
        db.session.commit()
        return Batch(len(ids), sent, unreachable=True)
    return Batch(len(ids), sent)


def _send_one(transport, message: OutboxMessage, config, now: datetime) -> bool:
    try:
        email = build_email(message, config["MAIL_FROM"])
    except (ValueError, TypeError, KeyError) as exc:  # a malformed row never holds up others
        message.attempts += 1
        message.status = FAILED
        message.last_error = f"could not build the message: {exc}"[:2000]
        log.error("outbox message %s cannot be built: %s", message.id, exc)
        return False
    try:
        transport.send(email)
    except smtplib.SMTPRecipientsRefused as exc:
        message.attempts += 1
        message.status = FAILED
        message.last_error = str(exc)[:2000]
        log.warning("outbox message %s refused by the server: %s", message.id, exc)
        return False
    except (smtplib.SMTPException, OSError) as exc:
        _failed_attempt(message, exc, config, now)
        return False
    except Exception as exc:  # anything unforeseen counts as a failed try, never blocks the rest
        log.exception("outbox message %s could not be sent", message.id)
        _failed_attempt(message, exc, config, now)
        return False
    message.status = SENT
    message.sent_at = now
    message.attempts += 1
    return True


def _failed_attempt(message: OutboxMessage, exc: Exception, config, now: datetime) -> None:
    message.attempts += 1
    message.last_error = str(exc)[:2000] or type(exc).__name__
    if message.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
        message.status = FAILED
        log.error("outbox message %s failed for good: %s", message.id, exc)
    else:
        message.status = PENDING
        message.next_attempt_at = now + backoff(message.attempts)
        log.warning("outbox message %s will be retried: %s", message.id, exc)


def run_worker(*, interval: float = 5.0, once: bool = False, should_stop=lambda: False) -> int:
    """Delivers mail until stopped; returns how many messages were sent."""
    total = 0
    while not should_stop():
        try:
            sent = deliver_due()
        except Exception:  # e.g. the database restarting: log, wait, carry on
            db.session.rollback()
            log.exception("mail delivery failed; retrying in %s s", interval)
            if once:
                raise
            time.sleep(interval)
            continue
        total += sent
        if once:
            break
        if sent == 0:
            time.sleep(interval)
    return total
