"""When an assessment opens and falls due for one cohort (courses/assessments/schedule.py).

Pure: the assessment and the cohort with its sessions are built in memory, no database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from courses.assessments.models import Assessment
from courses.assessments.schedule import window
from courses.models import Cohort, Session

# Winter (GMT) and summer (BST) dates, so "the end of the UK day" is checked in both.
WINTER = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 13, 9, 0, tzinfo=UTC)


def cohort_with(*starts: datetime, cancelled: tuple[int, ...] = ()) -> Cohort:
    return Cohort(
        sessions=[
            Session(
                title=f"Session {number}",
                starts_at=start,
                ends_at=start + timedelta(hours=3),
                cancelled=number in cancelled,
            )
            for number, start in enumerate(starts, start=1)
        ]
    )


def weekly(first: datetime, count: int) -> list[datetime]:
    return [first + timedelta(weeks=week) for week in range(count)]


def test_without_dates_it_is_open_from_the_start_and_never_due():
    dates = window(Assessment(), cohort_with(*weekly(WINTER, 2)))
    assert (dates.opens_at, dates.due_at, dates.waiting_for_session) == (None, None, None)
    assert dates.is_open(WINTER - timedelta(days=30))
    assert not dates.is_late(WINTER + timedelta(days=3650))
    assert dates.opens_words == "Open now"


def test_a_fixed_date_opens_it_then_and_not_a_second_before():
    opens = WINTER + timedelta(days=3)
    dates = window(Assessment(opens_at=opens), cohort_with(WINTER))
    assert not dates.is_open(opens - timedelta(seconds=1))
    assert dates.is_open(opens)
    assert dates.opens_words == "Opens 15 January 2026 at 09:00"


def test_after_session_n_it_opens_when_that_held_session_ends():
    starts = weekly(WINTER, 3)
    dates = window(Assessment(opens_after_session=2), cohort_with(*starts))
    assert dates.opens_at == starts[1] + timedelta(hours=3)


def test_a_cancelled_session_does_not_count_towards_n():
    starts = weekly(WINTER, 3)
    dates = window(Assessment(opens_after_session=2), cohort_with(*starts, cancelled=(1,)))
    assert dates.opens_at == starts[2] + timedelta(hours=3)


def test_a_cohort_without_session_n_is_waiting_and_not_open():
    dates = window(Assessment(opens_after_session=3), cohort_with(*weekly(WINTER, 2)))
    assert dates.waiting_for_session == 3 and dates.opens_at is None
    assert not dates.is_open(WINTER + timedelta(days=3650))
    assert dates.opens_words == "Opens after session 3"


def test_a_fixed_date_wins_over_after_session_n():
    opens = WINTER - timedelta(days=1)
    dates = window(Assessment(opens_at=opens, opens_after_session=3), cohort_with(WINTER))
    assert dates.opens_at == opens and dates.waiting_for_session is None


@pytest.mark.parametrize(
    ("last_start", "due"),
    [
        # 14 days after 12 Jan (GMT): 26 Jan, 23:59:59 in London = 23:59:59 UTC
        (WINTER, datetime(2026, 1, 26, 23, 59, 59, tzinfo=UTC)),
        # 14 days after 13 Jul (BST): 27 Jul, 23:59:59 in London = 22:59:59 UTC
        (SUMMER, datetime(2026, 7, 27, 22, 59, 59, tzinfo=UTC)),
    ],
)
def test_n_days_after_the_last_session_is_due_at_the_end_of_that_uk_day(last_start, due):
    cohort = cohort_with(last_start - timedelta(weeks=1), last_start)
    dates = window(Assessment(due_days_after_last_session=14), cohort)
    assert dates.due_at == due
    assert not dates.is_late(due)
    assert dates.is_late(due + timedelta(seconds=1))


def test_the_last_session_is_the_last_held_one():
    starts = weekly(WINTER, 3)
    cohort = cohort_with(*starts, cancelled=(3,))
    dates = window(Assessment(due_days_after_last_session=0), cohort)
    assert dates.due_at == datetime(2026, 1, 19, 23, 59, 59, tzinfo=UTC)


def test_a_fixed_due_date_wins_and_a_cohort_without_sessions_has_no_relative_one():
    due = WINTER + timedelta(days=40)
    fixed = Assessment(due_at=due, due_days_after_last_session=1)
    assert window(fixed, cohort_with()).due_at == due
    assert window(Assessment(due_days_after_last_session=1), cohort_with()).due_at is None
