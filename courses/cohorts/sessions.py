"""A cohort's sessions: which are held, which comes first, which are still to come.

A cancelled session is not held: it never starts a cohort and no list of what is coming
shows it, nor any session of a cancelled cohort. Each rule is written once, here: in SQL
for queries over many cohorts, and (for a cohort whose sessions are already loaded) in
Python, so that a page never spends a statement on what it has in hand. The two forms are
tested against each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, Select, Subquery, and_, func, select

from courses.models import Cohort, CohortStatus, Session
from lms.core.extensions import db

# SQL: the session is held (not cancelled).
HELD: ColumnElement[bool] = Session.cancelled.is_(False)


def is_held(session: Session) -> bool:
    """Python: the session is held (not cancelled)."""
    return not session.cancelled


def held_sessions(cohort: Cohort) -> list[Session]:
    """The cohort's held sessions, soonest first, from its loaded sessions (no query)."""
    return [session for session in cohort.sessions if is_held(session)]


def first_session(cohort: Cohort) -> Session | None:
    """The cohort's first held session, from its loaded sessions (no query); None if none."""
    return next(iter(held_sessions(cohort)), None)


def session_dates(cohort_ids: Iterable[int] | Select | None = None) -> Subquery:
    """SQL: (cohort_id, starts_at, ends_at) — when each cohort's first held session starts
    and its last one ends. Join it to a query; `cohort_ids` (ids or a select of ids) narrows
    it to those cohorts. A cohort with no held session has no row.
    """
    query = (
        select(
            Session.cohort_id,
            func.min(Session.starts_at).label("starts_at"),
            func.max(Session.ends_at).label("ends_at"),
        )
        .where(HELD)
        .group_by(Session.cohort_id)
    )
    if cohort_ids is not None:
        query = query.where(Session.cohort_id.in_(cohort_ids))
    return query.subquery("session_dates")


def first_sessions(cohort_ids: Iterable[int]) -> dict[int, datetime]:
    """When each cohort's first held session starts, in one query; cohorts without one
    are left out."""
    ids = list(cohort_ids)
    if not ids:
        return {}
    dates = session_dates(ids)
    return dict(db.session.execute(select(dates.c.cohort_id, dates.c.starts_at)).all())


def first_session_start(cohort_id: int) -> datetime | None:
    return first_sessions([cohort_id]).get(cohort_id)


def is_upcoming(now: datetime) -> ColumnElement[bool]:
    """SQL: the session is still to come (it has not ended) and will be held — neither it
    nor its cohort is cancelled. Every "upcoming sessions" list filters by this."""
    return and_(
        Session.ends_at > now,
        HELD,
        Session.cohort.has(Cohort.status != CohortStatus.CANCELLED),
    )
