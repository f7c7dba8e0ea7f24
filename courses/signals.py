"""How `courses` tells the areas above it what happened, without knowing them.

Each signal is sent after the transaction that made the change has committed
(`send_after_commit`), once per change, with the object as its sender:

    from courses import signals

    @signals.enrolment_completed.connect
    def issue_certificate(enrolment, **extra): ...

- `cohort_closed(cohort)`: a cohort was closed (or closed again after reopening).
- `enrolment_completed(enrolment)`: an enrolment became completed.
- `enrolment_completion_withdrawn(enrolment, reason=...)`: a completed enrolment was
  found not completed when its cohort was closed again.

A receiver runs in a session free to query and change the database; it commits its own
work (`lms.core.after_commit`). Receivers run one by one: one that fails is logged and its
work rolled back, and the next still runs (certificates failing must not stop the CPD
record hearing of a completion).
"""

from __future__ import annotations

import logging

from blinker import Namespace, Signal

from lms.core.after_commit import after_commit
from lms.core.extensions import db

log = logging.getLogger(__name__)

_signals = Namespace()

cohort_closed = _signals.signal("cohort-closed")
enrolment_completed = _signals.signal("enrolment-completed")
enrolment_completion_withdrawn = _signals.signal("enrolment-completion-withdrawn")


def send_after_commit(signal: Signal, sender: object, **extra: object) -> None:
    """Sends `signal` from `sender` once the current transaction commits; never if it
    rolls back."""
    after_commit(db.session(), lambda: _send_to_each(signal, sender, extra))


def _send_to_each(signal: Signal, sender: object, extra: dict) -> None:
    for receiver in signal.receivers_for(sender):
        try:
            receiver(sender, **extra)
        except Exception:
            log.exception(
                "%s: receiver %r failed for %r", getattr(signal, "name", signal), receiver, sender
            )
            db.session.rollback()
