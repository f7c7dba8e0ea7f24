"""The 3- and 6-month follow-ups (lms/impact/follow_ups.py): when each is due, queued once
each however often (or however many at once) the tick runs, the mail, and answering."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from courses.models import EnrolmentStatus
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from lms.core.timezones import start_of_local_day
from lms.impact import follow_ups
from lms.impact.follow_ups import (
    FollowUpRefused,
    latest_due_completion,
    months_due,
    queue_due_follow_ups,
)
from lms.impact.models import FollowUp, ProjectSince
from tests.helpers import as_sent, count

# Noon on 7 December 2026 in London (GMT): "today" for most tests.
NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def on_uk_day(day: date, hour: int = 12) -> datetime:
    """That UK day at `hour` o'clock, London time, as a UTC instant."""
    return start_of_local_day(day) + timedelta(hours=hour)


def follow_ups_of(enrolment) -> list[tuple[int, date]]:
    return sorted(
        db.session.execute(
            select(FollowUp.months, FollowUp.due_on).where(FollowUp.enrolment_id == enrolment.id)
        ).all()
    )


@pytest.fixture
def complete(make_user, course, make_closed_cohort, make_completion):
    """`complete(on=datetime)`: a new learner's completion at that moment."""
    numbers = iter(range(1, 1000))

    def make(on: datetime, *, status=EnrolmentStatus.COMPLETED, **learner):
        number = next(numbers)
        person = make_user(
            learner.pop("email", f"learner{number}@example.nhs.uk"),
            full_name=learner.pop("full_name", f"Learner {number}"),
            **learner,
        )
        cohort = make_closed_cohort(course, closed_at=on, code=f"PM-{number:03d}")
        return make_completion(cohort, person, ended_at=on, status=status)

    return make


# --- when a follow-up is due ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "months", "latest"),
    [
        (date(2026, 12, 7), 3, date(2026, 9, 7)),
        (date(2026, 12, 7), 6, date(2026, 6, 7)),
        # 28 February is 3 months on from 28, 29 and 30 November alike
        (date(2027, 2, 28), 3, date(2026, 11, 30)),
        (date(2028, 2, 29), 3, date(2027, 11, 30)),
        (date(2027, 2, 27), 3, date(2026, 11, 27)),
        # 31 May is 3 months on from 28 February (and from nothing later)
        (date(2027, 5, 31), 3, date(2027, 2, 28)),
        (date(2027, 4, 30), 6, date(2026, 10, 31)),
    ],
)
def test_the_last_completion_day_due_by_a_day(today, months, latest):
    assert latest_due_completion(today, months) == latest
    assert follow_ups.due_on(latest, months) <= today
    assert follow_ups.due_on(latest + timedelta(days=1), months) > today


@pytest.mark.parametrize(
    ("completed_on", "expected"),
    [
        (date(2026, 9, 8), None),  # 3 months on is tomorrow
        (date(2026, 9, 7), 3),  # exactly 3 months ago
        (date(2026, 6, 8), 3),  # the 6-month one is due tomorrow
        (date(2026, 6, 7), 6),  # exactly 6 months ago: the 6-month one only
        (date(2025, 12, 7), 6),  # exactly 12 months ago: still followed up
        (date(2025, 12, 6), None),  # more than 12 months ago: history, left alone
    ],
)
def test_which_follow_up_a_completion_is_due(completed_on, expected):
    assert months_due(completed_on, date(2026, 12, 7)) == expected


# --- queueing -------------------------------------------------------------------------------


def test_exactly_three_months_after_completion_the_3_month_follow_up_is_queued(complete):
    on_the_day = complete(on_uk_day(date(2026, 9, 7)))
    a_day_short = complete(on_uk_day(date(2026, 9, 8)))
    assert queue_due_follow_ups(NOW) == 1
    db.session.commit()
    assert follow_ups_of(on_the_day) == [(3, date(2026, 12, 7))]
    assert follow_ups_of(a_day_short) == []
    # the next day, the other's turn
    assert queue_due_follow_ups(NOW + timedelta(days=1)) == 1
    assert follow_ups_of(a_day_short) == [(3, date(2026, 12, 8))]


def test_the_day_is_the_uk_day_of_the_completion(complete):
    """23:30 UTC on 6 September is 00:30 on 7 September in London (BST)."""
    late_evening_utc = complete(datetime(2026, 9, 6, 23, 30, tzinfo=UTC))
    assert queue_due_follow_ups(datetime(2026, 12, 6, 12, tzinfo=UTC)) == 0
    assert queue_due_follow_ups(datetime(2026, 12, 7, 0, 5, tzinfo=UTC)) == 1
    assert follow_ups_of(late_evening_utc) == [(3, date(2026, 12, 7))]


def test_each_follow_up_is_queued_once_however_often_the_tick_runs(complete):
    """Acceptance: two runs (and a third, months later) queue the 3- and 6-month
    follow-ups exactly once each, with one mail each in the outbox."""
    ann = complete(on_uk_day(date(2026, 9, 1)), email="ann@example.nhs.uk")
    ben = complete(on_uk_day(date(2026, 8, 15)), email="ben@example.nhs.uk")
    assert queue_due_follow_ups(NOW) == 2
    db.session.commit()
    assert queue_due_follow_ups(NOW) == 0
    db.session.commit()
    assert queue_due_follow_ups(NOW + timedelta(minutes=10)) == 0
    db.session.commit()
    assert count(FollowUp) == 2
    assert sorted(db.session.scalars(select(OutboxMessage.recipient))) == [
        "ann@example.nhs.uk",
        "ben@example.nhs.uk",
    ]

    # three months later the 6-month ones are due: queued once each too
    later = datetime(2027, 3, 10, 12, tzinfo=UTC)
    assert queue_due_follow_ups(later) == 2
    db.session.commit()
    assert queue_due_follow_ups(later) == 0
    db.session.commit()
    assert follow_ups_of(ann) == [(3, date(2026, 12, 1)), (6, date(2027, 3, 1))]
    assert follow_ups_of(ben) == [(3, date(2026, 11, 15)), (6, date(2027, 2, 15))]
    assert count(OutboxMessage) == 4
    assert count(OutboxMessage, OutboxMessage.recipient == "ann@example.nhs.uk") == 2


def test_a_completion_already_six_months_ago_gets_only_the_6_month_follow_up(complete):
    enrolment = complete(on_uk_day(date(2026, 5, 20)))
    assert queue_due_follow_ups(NOW) == 1
    assert queue_due_follow_ups(NOW) == 0
    assert follow_ups_of(enrolment) == [(6, date(2026, 11, 20))]
    assert count(OutboxMessage) == 1


def test_completions_more_than_12_months_old_are_left_alone(complete):
    complete(on_uk_day(date(2025, 12, 6)))
    kept = complete(on_uk_day(date(2025, 12, 7)))
    assert queue_due_follow_ups(NOW) == 1
    assert follow_ups_of(kept) == [(6, date(2026, 6, 7))]


def test_only_completions_of_active_learners_are_followed_up(complete):
    complete(on_uk_day(date(2026, 8, 1)), status=EnrolmentStatus.NOT_COMPLETED)
    complete(on_uk_day(date(2026, 8, 1)), is_active_account=False)
    complete(on_uk_day(date(2026, 8, 1)), status=EnrolmentStatus.WITHDRAWN)
    assert queue_due_follow_ups(NOW) == 0
    assert count(FollowUp) == 0 and count(OutboxMessage) == 0


def test_a_run_does_a_batch_and_the_next_carries_on(complete):
    for day in (1, 2, 3, 4, 5):
        complete(on_uk_day(date(2026, 8, day)))
    assert queue_due_follow_ups(NOW, limit=2) == 2
    assert queue_due_follow_ups(NOW, limit=2) == 2
    assert queue_due_follow_ups(NOW, limit=2) == 1
    assert queue_due_follow_ups(NOW, limit=2) == 0
    assert count(FollowUp) == 5 and count(OutboxMessage) == 5


def test_a_run_that_meets_another_runs_rows_mails_nothing_twice(complete, monkeypatch):
    """Two ticks at once: the other inserts and commits between this run's finding and
    its insert. The unique (enrolment, months) turns this run's insert into nothing, and
    only the rows it inserted are mailed."""
    enrolment = complete(on_uk_day(date(2026, 9, 1)))
    other = complete(on_uk_day(date(2026, 9, 2)))
    db.session.commit()
    real = follow_ups.insert_on_conflict

    def the_other_run_wins_the_first(session, model):
        with db.engine.connect() as connection:
            connection.execute(
                FollowUp.__table__.insert().values(
                    enrolment_id=enrolment.id, months=3, due_on=date(2026, 12, 1), queued_at=NOW
                )
            )
            connection.commit()
        return real(session, model)

    monkeypatch.setattr(follow_ups, "insert_on_conflict", the_other_run_wins_the_first)
    assert queue_due_follow_ups(NOW) == 1
    db.session.commit()
    assert count(FollowUp) == 2
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.recipient == other.learner.email


def test_the_mail_links_straight_to_answering_and_to_registering_a_project(complete, app):
    enrolment = complete(
        on_uk_day(date(2026, 9, 1)), email="zoe@example.nhs.uk", full_name="Zoë Ashworth"
    )
    queue_due_follow_ups(NOW)
    db.session.commit()
    follow_up = db.session.scalar(select(FollowUp))
    message = db.session.scalar(select(OutboxMessage))
    text = as_sent(message)
    assert message.subject == "3 months on from Project management: what have you done since?"
    assert "Hello Zoë Ashworth" in text
    assert "1 September 2026" in text
    assert f"http://localhost/evaluations/follow-ups/{follow_up.id}" in text
    assert "http://localhost/projects/new" in text
    assert f'href="http://localhost/evaluations/follow-ups/{follow_up.id}"' in message.body_html
    assert 'href="http://localhost/projects/new"' in message.body_html
    assert enrolment.learner.email == message.recipient


def test_a_run_costs_the_same_statements_for_2_follow_ups_as_for_20(complete, count_queries):
    def run(days):
        for day in days:
            complete(on_uk_day(date(2026, 8, day)))
        db.session.commit()
        with count_queries() as counter:
            queued = queue_due_follow_ups(NOW)
        db.session.commit()
        return queued, counter.count

    few = run(range(1, 3))
    many = run(range(3, 23))
    assert few[0] == 2 and many[0] == 20
    assert few[1] == many[1] == 3  # find, insert, mail
    with count_queries() as counter:
        assert queue_due_follow_ups(NOW) == 0
    assert counter.count == 1  # nothing to do: found in one statement


# --- answering -------------------------------------------------------------------------------


@pytest.fixture
def follow_up(complete, make_follow_up):
    return make_follow_up(complete(on_uk_day(date(2026, 9, 1))), 3)


def test_an_answer_is_saved_and_can_be_changed(follow_up):
    follow_ups.answer(follow_up, project_since=ProjectSince.LED, applied="Stage gates", now=NOW)
    db.session.commit()
    assert (follow_up.project_since, follow_up.applied, follow_up.answered_at) == (
        ProjectSince.LED,
        "Stage gates",
        NOW,
    )
    follow_ups.answer(follow_up, project_since="neither", applied="", now=NOW + timedelta(days=2))
    db.session.commit()
    assert (follow_up.project_since, follow_up.applied) == (ProjectSince.NEITHER, None)
    assert follow_up.answered_at == NOW  # when it was first answered


@pytest.mark.parametrize(
    ("since", "applied", "fields"),
    [
        (None, "Stage gates", ["project_since"]),
        ("bogus", "", ["project_since"]),
        ("led", "", ["applied"]),
        ("worked_on", "   ", ["applied"]),
        ("neither", "x" * 2001, ["applied"]),
        (None, "x" * 2001, ["project_since", "applied"]),
    ],
)
def test_an_answer_is_refused_beside_its_fields(follow_up, since, applied, fields):
    with pytest.raises(FollowUpRefused) as refused:
        follow_ups.answer(follow_up, project_since=since, applied=applied, now=NOW)
    assert [problem.field for problem in refused.value.problems] == fields
    db.session.rollback()
    assert db.session.get(FollowUp, follow_up.id).answered_at is None


def test_what_was_applied_is_optional_for_someone_without_a_project(follow_up):
    follow_ups.answer(follow_up, project_since=ProjectSince.NEITHER, applied=None, now=NOW)
    assert follow_up.answered_at == NOW and follow_up.applied is None
