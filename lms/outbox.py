"""The outbox: mail is written as rows in the same transaction as the change.

Nothing is sent for a change that rolls back, and nothing is lost while the mail
server is down. Delivery happens after commit: in-process in embedded mode, or by
`flask lms worker`, which claims rows with SELECT ... FOR UPDATE SKIP LOCKED so any
number of workers can share one database without sending a message twice.
"""

from __future__ import annotations

import base64
import logging
import smtplib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, render_template
from sqlalchemy import JSON, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from lms.db import Base, utcnow
from lms.extensions import db
from lms.mailer import build_email, transport_for

log = logging.getLogger("lms.outbox")

PENDING, SENT, FAILED = "pending", "sent", "failed"
SUBJECT_LENGTH = 250
_QUEUED = "outbox_queued"
_COMMITTED = "outbox_committed"


class OutboxMessage(Base):
    __tablename__ = "outbox_message"

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
    if len(subject) > SUBJECT_LENGTH:
        subject = subject[: SUBJECT_LENGTH - 1] + "…"
    message = OutboxMessage(
        recipient=recipient,
        subject=" ".join(subject.split()),  # no line breaks in a mail header
        body_text=body_text,
        body_html=body_html,
        attachments=[a.as_json() for a in attachments] if attachments else None,
    )
    db.session.add(message)
    db.session.info[_QUEUED] = True
    return message


def queue_mail(recipient: str, subject: str, template: str, **context) -> OutboxMessage:
    """Renders `<template>.txt` and `<template>.html` (e.g. "mail/invitation") and queues them."""
    context.setdefault("service_name", current_app.config["SERVICE_NAME"])
    text = render_template(f"{template}.txt", subject=subject, **context)
    html = render_template(f"{template}.html", subject=subject, **context)
    return queue(recipient, subject, text, html, context.get("attachments"))


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


def deliver_due(*, limit: int = 50, now: datetime | None = None) -> int:
    """Sends up to `limit` due messages and commits; returns how many were sent.

    Owns its transaction: the claimed rows stay locked until the batch commits, so a
    second worker skips them, and a worker that dies releases them for another try.
    """
    config = current_app.config
    now = now or utcnow()
    claimed = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not claimed:
        db.session.rollback()
        return 0
    sent = 0
    try:
        with transport_for(config) as transport:
            for message in claimed:
                if _send_one(transport, message, config, now):
                    sent += 1
    except (smtplib.SMTPException, OSError) as exc:  # could not reach the server at all
        for message in claimed:
            _failed_attempt(message, exc, config, now)
    db.session.commit()
    return sent


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
