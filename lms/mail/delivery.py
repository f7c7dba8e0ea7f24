"""What admins and operators see of mail delivery, and sending failed mail again."""

from __future__ import annotations

from dataclasses import dataclass

from lms.audit import audit
from lms.auth.models import User
from lms.core import outbox
from lms.core.domain import DomainError
from lms.core.extensions import db

LATEST_FAILED = 20  # failed messages listed on the Mail page


class NotFailed(DomainError):
    pass


@dataclass(frozen=True)
class MailSummary:
    counts: dict[str, int]  # every state of lms.core.outbox.STATUSES
    latest_failed: list  # rows of outbox.latest_failed: recipient, subject, attempts, ...


def summary() -> MailSummary:
    """How many messages are in each state, and the last ones to fail (never a body:
    a body is nobody's business but its recipient's)."""
    return MailSummary(
        counts=outbox.counts(),
        latest_failed=db.session.execute(outbox.latest_failed(LATEST_FAILED)).all(),
    )


def requeue_failed(*, by: User | None, message_id: int | None = None) -> int:
    """Puts every failed message (or the one failed message `message_id`) back in the
    queue, to be tried again for a whole OUTBOX_GIVE_UP_AFTER; audited. Returns how many."""
    requeued = outbox.requeue_failed(message_id=message_id)
    if message_id is not None and not requeued:
        raise NotFailed(f"There is no failed message {message_id} to send again")
    if requeued:
        after = {"messages": requeued}
        if message_id is not None:
            after["message_id"] = message_id
        audit.record(by, "mail.requeued", None, entity_type="OutboxMessage", after=after)
    return requeued
