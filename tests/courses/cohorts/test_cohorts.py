"""Running cohorts: courses/cohorts.py (details, capacity, status, sessions, who manages)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from courses.cohorts.cohorts import (
    ALLOWED_STATUS_CHANGES,
    CohortDetails,
    CohortError,
    SessionDetails,
    add_session,
    cancel_session,
    change_status,
    create_cohort,
    london_to_utc,
    managed_cohorts,
    may_manage,
    update_cohort,
    update_session,
)
from courses.models import Cohort, CohortStatus, Enrolment, EnrolmentStatus, Session
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from lms.core.timezones import format_local
from tests.helpers import events


def mail(subject_start: str = "") -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.subject.startswith(subject_start))
            .order_by(OutboxMessage.id)
        )
    )


def details_of(cohort: Cohort, **changes) -> CohortDetails:
    values = {
        "code": cohort.code,
        "capacity": cohort.capacity,
        "enrolment_opens_at": cohort.enrolment_opens_at,
        "enrolment_closes_at": cohort.enrolment_closes_at,
        "venue": cohort.venue,
        "online_link": cohort.online_link,
        "trainer_ids": [trainer.id for trainer in cohort.trainers],
    }
    return CohortDetails(**{**values, **changes})


def reloaded(cohort: Cohort) -> Cohort:
    db.session.expire_all()
    return db.session.get(Cohort, cohort.id)


# --- creating and changing ---------------------------------------------------------------


def test_creating_a_cohort_is_audited(course, admin, trainer):
    opens = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    cohort = create_cohort(
        course,
        CohortDetails(
            code=" pm-occ-2026-05 ",
            capacity=12,
            enrolment_opens_at=opens,
            venue="  Board room  ",
            trainer_ids=[trainer.id],
        ),
        by=admin,
    )
    db.session.commit()

    cohort = reloaded(cohort)
    assert (cohort.code, cohort.capacity, cohort.venue) == ("PM-OCC-2026-05", 12, "Board room")
    assert cohort.status == CohortStatus.PLANNED and cohort.enrolment_opens_at == opens
    assert [person.email for person in cohort.trainers] == [trainer.email]
    [created] = events("cohort.created")
    assert (created.actor_id, created.entity_type, created.entity_id) == (
        admin.id,
        "Cohort",
        str(cohort.id),
    )
    assert created.before is None
    assert created.after["capacity"] == 12 and created.after["trainers"] == [trainer.email]


def test_a_trainer_who_creates_a_cohort_teaches_it(course, trainer):
    cohort = create_cohort(course, CohortDetails(code="PM-T", capacity=8), by=trainer)
    db.session.commit()
    assert [person.id for person in reloaded(cohort).trainers] == [trainer.id]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": "pm-taken"}, "code", "Another cohort already has this code"),
        ({"capacity": 0}, "capacity", "Capacity must be at least 1"),
        (
            {
                "enrolment_opens_at": datetime(2026, 5, 1, tzinfo=UTC),
                "enrolment_closes_at": datetime(2026, 4, 1, tzinfo=UTC),
            },
            "closes_date",
            "Enrolment must close after it opens",
        ),
    ],
)
def test_cohort_details_are_checked(course, make_cohort, admin, changes, field, message):
    make_cohort(course, code="PM-TAKEN")
    details = CohortDetails(**{"code": "PM-NEW", "capacity": 10, **changes})
    with pytest.raises(CohortError) as refused:
        create_cohort(course, details, by=admin)
    assert (str(refused.value), refused.value.field) == (message, field)


def test_only_people_with_the_trainer_role_can_be_trainers(course, admin, learner):
    details = CohortDetails(code="PM-X", capacity=10, trainer_ids=[learner.id])
    with pytest.raises(CohortError, match="Choose trainers from the list") as refused:
        create_cohort(course, details, by=admin)
    assert refused.value.field == "trainer_ids"


def test_updating_a_cohort_audits_only_what_changed(course, make_cohort, admin, trainer):
    cohort = make_cohort(course, code="PM-01", capacity=10, venue="Room 1")
    update_cohort(cohort, details_of(cohort, venue="Room 2", trainer_ids=[trainer.id]), by=admin)
    db.session.commit()

    [updated] = events("cohort.updated")
    assert updated.before == {"venue": "Room 1", "trainers": []}
    assert updated.after == {"venue": "Room 2", "trainers": [trainer.email]}
    assert reloaded(cohort).venue == "Room 2"

    update_cohort(reloaded(cohort), details_of(reloaded(cohort)), by=admin)
    db.session.commit()
    assert len(events("cohort.updated")) == 1  # saving without changes records nothing


# --- capacity ------------------------------------------------------------------------------


def test_raising_capacity_promotes_the_waitlist_in_order_and_tells_each_learner(
    course, make_cohort, make_enrolment, make_user, admin
):
    cohort = make_cohort(course, capacity=2)
    for _ in range(2):
        make_enrolment(cohort)
    start = utcnow() - timedelta(hours=1)
    # Made out of order: the waitlist is by request time, not by row id.
    third = make_enrolment(
        cohort, make_user(), EnrolmentStatus.WAITLISTED, requested_at=start + timedelta(minutes=3)
    )
    first = make_enrolment(cohort, make_user(), EnrolmentStatus.WAITLISTED, requested_at=start)
    second = make_enrolment(
        cohort, make_user(), EnrolmentStatus.WAITLISTED, requested_at=start + timedelta(minutes=1)
    )
    emails = {e.id: e.learner.email for e in (first, second, third)}

    update_cohort(cohort, details_of(cohort, capacity=4), by=admin)
    db.session.commit()

    rows = db.session.execute(
        select(Enrolment.id, Enrolment.status).where(Enrolment.cohort_id == cohort.id)
    )
    statuses = dict(rows.all())
    assert [statuses[e.id] for e in (first, second, third)] == [
        EnrolmentStatus.CONFIRMED,
        EnrolmentStatus.CONFIRMED,
        EnrolmentStatus.WAITLISTED,
    ]
    promoted = mail("A place is now yours")
    assert [message.recipient for message in promoted] == [emails[first.id], emails[second.id]]
    assert [e.entity_id for e in events("enrolment.promoted")] == [str(first.id), str(second.id)]
    assert events("cohort.updated")[0].after == {"capacity": 4}


def test_capacity_cannot_go_below_the_places_confirmed(course, make_cohort, make_enrolment, admin):
    cohort = make_cohort(course, capacity=5)
    for _ in range(3):
        make_enrolment(cohort)

    with pytest.raises(CohortError) as refused:
        update_cohort(cohort, details_of(cohort, capacity=2, venue="Elsewhere"), by=admin)
    db.session.rollback()

    assert str(refused.value) == "Capacity cannot be lower than the 3 places already confirmed"
    assert refused.value.field == "capacity"
    cohort = reloaded(cohort)
    assert (cohort.capacity, cohort.venue) == (5, None)
    assert events("cohort.updated") == []

    update_cohort(cohort, details_of(cohort, capacity=3), by=admin)  # equal is fine
    db.session.commit()
    assert reloaded(cohort).capacity == 3


# --- status --------------------------------------------------------------------------------

PAIRS = [(before, after) for before in CohortStatus for after in CohortStatus if before != after]


@pytest.mark.parametrize(("before", "after"), PAIRS, ids=[f"{b}-{a}" for b, a in PAIRS])
def test_status_changes_follow_the_allowed_transitions(course, make_cohort, admin, before, after):
    cohort = make_cohort(course, status=before)
    allowed = after in ALLOWED_STATUS_CHANGES[before]
    if allowed:
        change_status(cohort, after, by=admin)
        db.session.commit()
        assert reloaded(cohort).status == after
        [event] = events(f"cohort.{after.value}")
        assert (event.before, event.after) == ({"status": before.value}, {"status": after.value})
    else:
        with pytest.raises(CohortError, match=f"A {before.value} cohort cannot become {after}"):
            change_status(cohort, after, by=admin)
        db.session.rollback()
        assert reloaded(cohort).status == before


def test_the_status_machine_runs_planned_open_running_and_leaves_closing_to_its_service():
    assert ALLOWED_STATUS_CHANGES[CohortStatus.PLANNED] == {
        CohortStatus.OPEN,
        CohortStatus.CANCELLED,
    }
    assert CohortStatus.RUNNING in ALLOWED_STATUS_CHANGES[CohortStatus.OPEN]
    # Closing decides completions: courses/cohorts/closing.py, never a plain status change.
    assert all(CohortStatus.CLOSED not in moves for moves in ALLOWED_STATUS_CHANGES.values())
    assert ALLOWED_STATUS_CHANGES[CohortStatus.CLOSED] == set()
    assert ALLOWED_STATUS_CHANGES[CohortStatus.CANCELLED] == set()


def test_cancelling_a_cohort_ends_every_active_place_and_tells_each_learner(
    course, make_cohort, make_enrolment, make_user, admin
):
    cohort = make_cohort(course, capacity=1)
    confirmed = make_enrolment(cohort)
    waitlisted = make_enrolment(cohort, status=EnrolmentStatus.WAITLISTED)
    pending = make_enrolment(cohort, status=EnrolmentStatus.PENDING_APPROVAL)
    gone = make_enrolment(cohort, status=EnrolmentStatus.CANCELLED, ended_at=utcnow())
    told = {e.learner.email for e in (confirmed, waitlisted, pending)}
    untouched_email = gone.learner.email

    change_status(cohort, CohortStatus.CANCELLED, by=admin)
    db.session.commit()

    assert reloaded(cohort).status == CohortStatus.CANCELLED
    ended = [confirmed, waitlisted, pending]
    for row in ended:
        assert db.session.get(Enrolment, row.id).status == EnrolmentStatus.CANCELLED
        assert db.session.get(Enrolment, row.id).ended_at is not None
    audited = events("enrolment.cancelled_with_cohort")
    assert sorted(event.entity_id for event in audited) == sorted(str(e.id) for e in ended)
    assert {event.before["status"] for event in audited} == {
        "confirmed",
        "waitlisted",
        "pending_approval",
    }
    cancelled_mail = mail("Cancelled:")
    assert sorted(m.recipient for m in cancelled_mail) == sorted(told)
    assert untouched_email not in {m.recipient for m in mail()}
    assert all(course.title in m.subject for m in cancelled_mail)


# --- sessions and the clocks ---------------------------------------------------------------


def session_at(day: date, start: time, end: time, *, title="Module") -> SessionDetails:
    return SessionDetails(
        title=title,
        starts_at=london_to_utc(day, start, field_name="start_time"),
        ends_at=london_to_utc(day, end, field_name="end_time"),
    )


def test_sessions_on_the_clocks_change_weekends_keep_their_local_time(course, make_cohort, admin):
    cohort = make_cohort(course, sessions=[])
    spring = add_session(
        cohort, session_at(date(2026, 3, 29), time(10), time(12), title="Spring"), by=admin
    )
    autumn = add_session(
        cohort, session_at(date(2026, 10, 25), time(10), time(12), title="Autumn"), by=admin
    )
    db.session.commit()
    db.session.expire_all()

    spring, autumn = db.session.get(Session, spring.id), db.session.get(Session, autumn.id)
    assert spring.starts_at == datetime(2026, 3, 29, 9, 0, tzinfo=UTC)  # BST: UTC+1
    assert autumn.starts_at == datetime(2026, 10, 25, 10, 0, tzinfo=UTC)  # GMT: UTC+0
    assert format_local(spring.starts_at, "%H:%M") == "10:00"
    assert format_local(autumn.starts_at, "%H:%M") == "10:00"
    assert format_local(spring.ends_at, "%H:%M") == format_local(autumn.ends_at, "%H:%M") == "12:00"
    assert [event.action for event in events(entity_type="Session")] == ["session.created"] * 2


def test_a_time_the_clocks_skip_is_refused():
    with pytest.raises(CohortError, match="clocks go forward") as refused:
        london_to_utc(date(2026, 3, 29), time(1, 30), field_name="start_time")
    assert refused.value.field == "start_time"
    # the hour that happens twice in October is taken as its first (summer time) occurrence
    assert london_to_utc(date(2026, 10, 25), time(1, 30), field_name="x") == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )


def test_a_session_must_end_after_it_starts(course, make_cohort, admin):
    cohort = make_cohort(course, sessions=[])
    with pytest.raises(CohortError, match="must end after it starts") as refused:
        add_session(cohort, session_at(date(2026, 5, 1), time(12), time(9)), by=admin)
    assert refused.value.field == "end_time"


def test_changing_and_cancelling_a_session_is_audited(course, make_cohort, admin):
    cohort = make_cohort(course, sessions=[])
    session = add_session(cohort, session_at(date(2026, 5, 1), time(9), time(12)), by=admin)
    update_session(
        session, session_at(date(2026, 5, 2), time(9), time(12), title="Moved"), by=admin
    )
    cancel_session(session, by=admin)
    cancel_session(session, by=admin)  # twice changes nothing
    db.session.commit()

    assert [e.action for e in events(entity_type="Session")] == [
        "session.created",
        "session.updated",
        "session.cancelled",
    ]
    session = db.session.get(Session, session.id)
    assert session.cancelled and session.title == "Moved"
    assert session.starts_at == datetime(2026, 5, 2, 8, 0, tzinfo=UTC)


# --- who manages what ----------------------------------------------------------------------


def test_trainers_manage_only_the_cohorts_they_teach(
    course, make_cohort, make_user, admin, learner, trainer
):
    theirs = make_cohort(course, code="PM-THEIRS", trainers=[trainer])
    other = make_cohort(course, code="PM-OTHER", trainers=[make_user(roles=[Role.TRAINER])])

    assert may_manage(trainer, theirs) and not may_manage(trainer, other)
    assert may_manage(admin, theirs) and may_manage(admin, other)
    assert not may_manage(learner, theirs)
    assert [c.code for c in db.session.scalars(managed_cohorts(trainer, utcnow()))] == ["PM-THEIRS"]
    assert {c.code for c in db.session.scalars(managed_cohorts(admin, utcnow()))} == {
        "PM-THEIRS",
        "PM-OTHER",
    }
