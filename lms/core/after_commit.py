"""Work that must wait until a transaction has committed: `after_commit(callback)`.

A callback queued inside a transaction runs once that transaction commits, in the order
queued, and is dropped if it rolls back, so what it announces (a completion, say) is
never announced for a change that did not happen. Callbacks run after `commit()` has
returned, in a session free to query and change the database again; one that changes
it commits its own work. A failing callback is logged and its work rolled back: the
change it reacted to is committed already, and the other callbacks still run.

The session class is `HookedSession`, installed on `lms.core.extensions.db`, so this
holds for requests, CLI commands, the worker and tests alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_PENDING = "after_commit_pending"
_READY = "after_commit_ready"
_RUNNING = "after_commit_running"


class HookedSession(FlaskSession):
    def commit(self) -> None:
        super().commit()
        run_committed(self)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Runs `callback()` once the session's current transaction commits; never if it
    rolls back."""
    if not session.in_transaction():
        session.begin()  # so that its end, whether a commit or not, is seen
    session.info.setdefault(_PENDING, []).append(callback)


@event.listens_for(Session, "after_commit")
def _ready(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_READY, []).extend(pending)


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction) -> None:
    """The outermost transaction ended: what is still pending was not committed (a
    commit has moved its callbacks on). Listening here, not to `after_rollback`, also
    sees a rollback of a transaction that never reached the database."""
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_PENDING, None)


def run_committed(session: Session) -> None:
    """Runs the callbacks whose transaction has committed, in order. A callback's own
    commit does not run them from inside it (a cohort of 500 completions would nest 500
    deep): what it queued joins the end of the line, and runs after the rest."""
    if session.info.get(_RUNNING):
        return
    session.info[_RUNNING] = True
    try:
        while session.info.get(_READY):
            callback = session.info[_READY].pop(0)
            try:
                callback()
            except Exception:
                log.exception("work after a commit failed: %r", callback)
                session.rollback()
    finally:
        session.info.pop(_RUNNING, None)
