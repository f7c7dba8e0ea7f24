"""Who may use a cohort's pages: one loader and decorator for every cohort-scoped view.

    @bp.get("/teach/sessions/<int:session_id>/register")
    @cohort_manager(load="session_id")
    def register(session_id: int, session: Session): ...

`cohort_manager` logs the visitor in, loads the cohort (`load="cohort_id"`) or the
session with its cohort (`load="session_id"`), and lets in only those
`may_manage` allows: admins, and people holding the trainer role who teach
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

from courses.models import Cohort, EnrolmentStatus, Session
from lms.auth.access import ObjectRule, declare_object_rule, login_required
from lms.auth.models import User
from lms.core.extensions import db

MANAGER = "admin, or trainer of this cohort"
JOINING_LINK_WITHHELD = "The joining link is shown to confirmed learners"


def may_manage(user: User, cohort: Cohort) -> bool:
    """The one cohort access rule: admins manage every cohort; someone who holds the
    trainer role manages the cohorts they teach. Someone whose trainer role was removed
    may stay on a cohort's trainer list, but manages nothing.
    """
    if user.is_admin:
        return True
    return user.is_trainer and any(trainer.id == user.id for trainer in cohort.trainers)


def may_see_joining_link(user: User, cohort: Cohort, place: EnrolmentStatus | None) -> bool:
    """The online meeting link is for the people in the meeting: the cohort's confirmed
    learners (`place` is the status of the person's own enrolment on it, if any), its
    trainers and admins (`may_manage`). A waitlisted learner, one waiting for approval
    and anyone else are told JOINING_LINK_WITHHELD instead, on the page and in calendars.
    """
    return place == EnrolmentStatus.CONFIRMED or may_manage(user, cohort)


def joining_link_shown(user: User, cohort: Cohort, place: EnrolmentStatus | None) -> str | None:
    """What the person reads where the online meeting link goes: the link, or
    JOINING_LINK_WITHHELD (see `may_see_joining_link`); None if the cohort has none."""
    if not cohort.online_link:
        return None
    if may_see_joining_link(user, cohort, place):
        return cohort.online_link
    return JOINING_LINK_WITHHELD


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
