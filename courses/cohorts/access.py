"""Who may use a cohort's pages: one loader and decorator for every cohort-scoped view.

    @bp.get("/teach/sessions/<int:session_id>/register")
    @cohort_manager(load="session_id")
    def register(session_id: int, session: Session): ...

`cohort_manager` logs the visitor in, loads the cohort (`load="cohort_id"`) or the
session with its cohort (`load="session_id"`), and lets in only those
`cohorts.may_manage` allows: admins, and people holding the trainer role who teach
this cohort. Everyone else, like a missing id, gets 404, so a cohort's existence is
not revealed. The loaded object reaches the view as the keyword `cohort=` or
`session=`, so a view never loads or checks it itself. The rule is declared as data
(`lms.auth.access.ObjectRule`), so the access-matrix test calls every such route as
an outsider.

After a refused change has rolled the request back, a view loads afresh with
`managed_cohort(id)` or `managed_session(id)`, which apply the same rule.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from courses.cohorts.cohorts import may_manage
from courses.models import Cohort, Session
from lms.auth.access import ObjectRule, declare_object_rule, login_required
from lms.core.extensions import db

MANAGER = "admin, or trainer of this cohort"


def _cohort_options():
    return (
        joinedload(Cohort.course),
        selectinload(Cohort.sessions),
        selectinload(Cohort.trainers),
    )


def _allowed(found: Cohort | Session | None) -> Cohort | Session:
    if found is None:
        abort(404)
    cohort = found if isinstance(found, Cohort) else found.cohort
    if not may_manage(current_user, cohort):
        abort(404)
    return found


def managed_cohort(cohort_id: int) -> Cohort:
    """The cohort, with its course, sessions and trainers, or 404 for anyone who may not
    manage it."""
    return _allowed(
        db.session.scalar(select(Cohort).where(Cohort.id == cohort_id).options(*_cohort_options()))
    )


def managed_session(session_id: int) -> Session:
    """The session with its cohort (as `managed_cohort` loads it), or 404 for anyone who
    may not manage its cohort."""
    return _allowed(
        db.session.scalar(
            select(Session)
            .where(Session.id == session_id)
            .options(joinedload(Session.cohort).options(*_cohort_options()))
        )
    )


# URL argument -> (the view's keyword, the loader)
LOADERS: dict[str, tuple[str, Callable[[int], Cohort | Session]]] = {
    "cohort_id": ("cohort", managed_cohort),
    "session_id": ("session", managed_session),
}


def cohort_manager(*, load: str) -> Callable[[Callable], Callable]:
    """Admins, and trainers of the cohort the URL argument `load` names; 404 for anyone else."""
    if load not in LOADERS:
        raise ValueError(f"cohort_manager loads one of {sorted(LOADERS)}, not {load!r}")
    keyword, loader = LOADERS[load]

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            kwargs[keyword] = loader(kwargs[load])
            return view(*args, **kwargs)

        return declare_object_rule(login_required(guarded), ObjectRule(MANAGER, load))

    return decorator
