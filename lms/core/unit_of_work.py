"""The unit of work: one transaction per request, ended in one place.

A state-changing request (POST) that succeeds is committed once, after its view has
answered; a refused one (`refuse_changes`, or any answer of 400 and above) and every
GET are never committed: the session's removal when the request ends rolls them back,
so a page never writes by accident and a refusal never leaves half a change. An
exception rolls back the same way.
Views and services never commit; CLI commands and the mail worker own their
transactions.
"""

from __future__ import annotations

from flask import Flask, Response, g, request

from lms.core.extensions import db

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_REFUSED = "unit_of_work_refused"
_KEEP = "unit_of_work_keep"


def init_unit_of_work(app: Flask) -> None:
    """Ends each request's transaction; register it after any hook that needs the commit
    to have happened (Flask runs after-request hooks last registered, first)."""
    app.after_request(end_request_transaction)


def refuse_changes() -> None:
    """Rolls back what this request has done, and keeps it rolled back to the end."""
    db.session.rollback()
    setattr(g, _REFUSED, True)


def keep_changes_despite_refusal() -> None:
    """For a record that must outlive its request's refusal: a failed login's audit event."""
    setattr(g, _KEEP, True)


def end_request_transaction(response: Response) -> Response:
    """Commits a successful change. Anything else is never committed: the session's
    removal at the end of the request rolls it back (a refusal has rolled back already),
    and leaving it until then keeps the loaded rows, such as the current user, usable by
    the hooks that still run."""
    if request.method in SAFE_METHODS or not db.session.registry.has():
        return response  # nothing to commit (and no session to open just to find that out)
    refused = getattr(g, _REFUSED, False) or response.status_code >= 400
    if not refused or getattr(g, _KEEP, False):
        db.session.commit()
    return response
