"""`flask lms tick` queues the 3- and 6-month follow-ups (lms/impact/follow_ups.py): once
each, however often it runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.core.dates import add_months
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from lms.core.timezones import local_today, start_of_local_day
from lms.impact.models import FollowUp
from tests.helpers import count


def test_tick_queues_each_follow_up_once(
    app, course, make_user, make_closed_cohort, make_completion
):
    # Completed 4 months ago (its 3-month follow-up due) and 7 months ago (its 6-month).
    for months in (4, 7):
        ended = start_of_local_day(add_months(local_today(), -months)) + timedelta(hours=12)
        cohort = make_closed_cohort(course, closed_at=ended, code=f"PM-{months}")
        make_completion(cohort, make_user(), ended_at=ended)
    runner = app.test_cli_runner()

    first = runner.invoke(args=["lms", "tick"])
    assert first.exit_code == 0, first.output
    assert "Queued 2 follow-up(s) 3 or 6 months after a completion." in first.output
    again = runner.invoke(args=["lms", "tick"])
    assert "Queued 0 follow-up(s)" in again.output
    assert sorted(db.session.scalars(select(FollowUp.months))) == [3, 6]
    assert count(OutboxMessage, OutboxMessage.created_at <= utcnow()) == 2
