"""courses/cohorts/sessions.py: which sessions are held, which comes first, which are to come.

The SQL and Python forms of each rule are held to the same answers.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from courses.cohorts.cohorts import managed_cohorts, may_change_session, sessions_may_change
from courses.cohorts.sessions import (
    first_session,
    first_session_start,
    first_sessions,
    held_sessions,
    is_upcoming,
    session_dates,
)
from courses.models import CohortStatus, Session
from lms.core.db import utcnow
from lms.core.extensions import db

DAY = timedelta(days=1)
HOURS = timedelta(hours=2)


@pytest.fixture
def now():
    return utcnow().replace(microsecond=0)


@pytest.fixture
def cohort_with(course, make_cohort, now):
    """`cohort_with(*days, cancelled=(indexes))`: a cohort with sessions `days` from now."""

    def make(*days: int, cancelled: tuple[int, ...] = (), status=CohortStatus.OPEN):
        cohort = make_cohort(
            course,
            status=status,
            sessions=[(now + day * DAY, now + day * DAY + HOURS) for day in days],
        )
        for index in cancelled:
            cohort.sessions[index].cancelled = True
        db.session.commit()
        return cohort

    return make


def test_the_first_session_is_the_first_held_one_in_sql_and_in_python(cohort_with, now):
    cancelled_first = cohort_with(3, 10, cancelled=(0,))
    all_cancelled = cohort_with(3, cancelled=(0,))
    no_sessions = cohort_with()
    plain = cohort_with(5, 1)

    starts = first_sessions([c.id for c in (cancelled_first, all_cancelled, no_sessions, plain)])

    assert starts == {cancelled_first.id: now + 10 * DAY, plain.id: now + DAY}
    for cohort in (cancelled_first, all_cancelled, no_sessions, plain):
        held = first_session(cohort)
        assert (held.starts_at if held else None) == starts.get(cohort.id)
        assert first_session_start(cohort.id) == starts.get(cohort.id)
    assert first_sessions([]) == {}


def test_session_dates_span_the_held_sessions_only(cohort_with, now):
    cohort = cohort_with(1, 4, 9, cancelled=(0, 2))
    dates = session_dates([cohort.id])
    row = db.session.execute(select(dates.c.starts_at, dates.c.ends_at)).one()
    assert tuple(row) == (now + 4 * DAY, now + 4 * DAY + HOURS)
    assert [s.starts_at for s in held_sessions(cohort)] == [now + 4 * DAY]


def test_upcoming_leaves_out_ended_and_cancelled_sessions_and_cancelled_cohorts(cohort_with, now):
    live = cohort_with(-1, 2, 5, cancelled=(2,))
    cohort_with(3, status=CohortStatus.CANCELLED)
    found = db.session.scalars(select(Session).where(is_upcoming(now)).order_by(Session.starts_at))
    assert [(s.cohort_id, s.starts_at) for s in found] == [(live.id, now + 2 * DAY)]


@pytest.mark.parametrize(
    ("status", "changes"),
    [
        (CohortStatus.PLANNED, True),
        (CohortStatus.OPEN, True),
        (CohortStatus.RUNNING, True),
        (CohortStatus.CLOSED, False),
        (CohortStatus.CANCELLED, False),
    ],
)
def test_sessions_may_change_until_the_cohort_closes_or_is_cancelled(cohort_with, status, changes):
    cohort = cohort_with(2, 4, cancelled=(1,), status=status)
    assert sessions_may_change(cohort) is changes
    assert [may_change_session(s) for s in cohort.sessions] == [changes, False]


def test_the_cohort_list_puts_the_soonest_first_held_session_first(cohort_with, admin, now):
    later = cohort_with(4)
    sooner_once_cancelled = cohort_with(1, 6, cancelled=(0,))
    soonest = cohort_with(2)
    none_yet = cohort_with()
    under_way = cohort_with(-7, 7)
    listed = list(db.session.scalars(managed_cohorts(admin, now)))
    assert [c.id for c in listed] == [
        under_way.id,
        soonest.id,
        later.id,
        sooner_once_cancelled.id,
        none_yet.id,
    ]


def test_the_cohort_list_puts_finished_cohorts_last_the_latest_first(cohort_with, admin, now):
    long_ago = cohort_with(-60, -53)
    upcoming = cohort_with(30)
    last_month = cohort_with(-30)
    listed = list(db.session.scalars(managed_cohorts(admin, now)))
    assert [c.id for c in listed] == [upcoming.id, last_month.id, long_ago.id]
