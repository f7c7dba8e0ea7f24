"""Liveness and readiness probes for load balancers and benchmarks."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy.exc import SQLAlchemyError

from lms.auth.access import public
from lms.core import outbox
from lms.core.extensions import db

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz():
    """The process is up; touches nothing else (the stack's speed baseline)."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/readyz")
@public
def readyz():
    """The database answers; the body also says how many messages have failed for good.

    Failed mail does not make the service unready (a load balancer would take every
    process out for it): monitoring reads the count, and an admin requeues them.
    """
    try:
        failed = outbox.failed_count()  # one statement, which also proves the database
    except SQLAlchemyError:
        db.session.rollback()
        return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return f"ok\nfailed mail: {failed}", 200, {"Content-Type": "text/plain; charset=utf-8"}
