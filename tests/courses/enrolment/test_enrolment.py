"""The enrolment state machine (courses/enrolment.py), as DESIGN.md §4 draws it.

pending_approval → confirmed | waitlisted | rejected; waitlisted → confirmed (first come,
first served); confirmed → cancelled (before the first session) | withdrawn (after it).
Each refusal carries the plain message the learner sees.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from courses.enrolment import (
    MAX_BULK_ADDRESSES,
    AlreadyEnrolled,
    CohortCancelled,
    CourseUnavailable,
    EnrolmentClosed,
    InvalidTransition,
    NoLineManager,
    NotAllowed,
    PrerequisiteMissing,
    TooManyAddresses,
    cancel,
    decide,
    enrol,
    enrol_many,
    promote_from_waitlist,
    seats_left,
    waitlist_positions,
)
from courses.models import CohortStatus, CourseStatus, Enrolment, EnrolmentStatus
from lms.audit.audit import AuditEvent
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage

MINUTE = timedelta(minutes=1)
DAY = timedelta(days=1)


@pytest.fixture
def approval_course(make_course):
    return make_course(code="LEAD", title="Leading change", requires_approval=True)


@pytest.fixture
def report(make_user, manager):
    """A learner whose line manager is `manager`."""
    return make_user("report@example.nhs.uk", full_name="Rhys Patel", line_manager=manager)


def exactly(message: str) -> str:
    return f"^{re.escape(message)}$"


def enrol_self(cohort, learner, **kwargs) -> Enrolment:
    return enrol(cohort, learner, by=learner, **kwargs)


def audit_trail(row: Enrolment) -> list[tuple[str, str, dict | None, dict | None]]:
    """(action, actor, before status, after status) of one enrolment's audit events."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity_type == "Enrolment", AuditEvent.entity_id == str(row.id))
        .order_by(AuditEvent.id)
    )
    return [
        (
            event.action,
            event.actor_label,
            (event.before or {}).get("status"),
            (event.after or {}).get("status"),
        )
        for event in events
    ]


def mail() -> list[tuple[str, str]]:
    return [
        (message.recipient, message.subject)
        for message in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
    ]


def mail_to(recipient: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == recipient)
            .order_by(OutboxMessage.id)
        )
    )


def enrolment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Enrolment))


def position(row: Enrolment) -> int | None:
    return waitlist_positions([row.id]).get(row.id)


# --- self-enrolment: seats and the waitlist ------------------------------------------------


def test_self_enrolment_is_confirmed_while_seats_remain(course, make_cohort, learner):
    cohort = make_cohort(course, capacity=2)
    now = utcnow()

    row = enrol_self(cohort, learner, now=now)

    assert row.status == EnrolmentStatus.CONFIRMED
    assert (row.requested_at, row.confirmed_at) == (now, now)
    assert seats_left([cohort.id]) == {cohort.id: 1}
    assert audit_trail(row) == [("enrolment.confirmed", learner.email, None, "confirmed")]
    assert mail() == [(learner.email, "Your place is confirmed: Project management")]


def test_the_confirmation_mail_carries_the_sessions_as_a_calendar_file(
    course, make_cohort, learner
):
    cohort = make_cohort(course)
    enrol_self(cohort, learner)

    [message] = mail_to(learner.email)
    [attachment] = message.attachments
    assert attachment["content_type"] == "text/calendar"
    assert attachment["filename"] == f"{cohort.code}.ics"


def test_a_full_cohort_waitlists_with_a_visible_position(course, make_cohort, make_user):
    cohort = make_cohort(course, capacity=1)
    first, second, third = make_user(), make_user(), make_user()
    enrol_self(cohort, first)

    waiting = [enrol_self(cohort, second), enrol_self(cohort, third)]

    assert [row.status for row in waiting] == [
        EnrolmentStatus.WAITLISTED,
        EnrolmentStatus.WAITLISTED,
    ]
    assert [position(row) for row in waiting] == [1, 2]
    assert audit_trail(waiting[1]) == [("enrolment.waitlisted", third.email, None, "waitlisted")]
    [message] = mail_to(third.email)
    assert message.subject == "You are on the waitlist: Project management"
    assert "on the waitlist at position 2" in message.body_text


def test_a_freed_seat_goes_to_the_earliest_request_on_the_waitlist(course, make_cohort, make_user):
    cohort = make_cohort(course, capacity=1)
    holder, early, late = make_user(), make_user(), make_user()
    t0 = utcnow()
    seat = enrol_self(cohort, holder, now=t0)
    # The later request is made first, so the waitlist must follow request time, not id.
    later = enrol_self(cohort, late, now=t0 + 2 * MINUTE)
    earlier = enrol_self(cohort, early, now=t0 + MINUTE)
    assert (position(earlier), position(later)) == (1, 2)

    cancel(seat, by=holder, now=t0 + 3 * MINUTE)

    assert (earlier.status, later.status) == (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED)
    assert position(later) == 1
    assert audit_trail(earlier)[-1] == (
        "enrolment.promoted",
        holder.email,
        "waitlisted",
        "confirmed",
    )
    assert mail_to(early.email)[-1].subject == "A place is now yours: Project management"
    assert [subject for _, subject in mail() if subject.startswith("A place")] == [
        "A place is now yours: Project management"
    ]


def test_each_promotion_queues_its_own_notification(course, make_cohort, make_user, admin):
    cohort = make_cohort(course, capacity=1)
    enrol_self(cohort, make_user())
    waiting = [enrol_self(cohort, make_user()) for _ in range(3)]
    cohort.capacity = 3
    db.session.commit()

    promoted = promote_from_waitlist(cohort, by=admin)

    assert promoted == waiting[:2]
    assert waiting[2].status == EnrolmentStatus.WAITLISTED and position(waiting[2]) == 1
    for row in waiting[:2]:
        assert audit_trail(row)[-1][0] == "enrolment.promoted"
        assert mail_to(row.learner.email)[-1].subject.startswith("A place is now yours")
    assert len(mail_to(waiting[2].learner.email)) == 1  # only the waitlist mail


# --- manager approval -------------------------------------------------------------------


def test_a_course_needing_approval_asks_the_line_manager(
    approval_course, make_cohort, report, manager
):
    cohort = make_cohort(approval_course)

    row = enrol_self(cohort, report)

    assert row.status == EnrolmentStatus.PENDING_APPROVAL
    assert seats_left([cohort.id]) == {cohort.id: cohort.capacity}
    assert audit_trail(row) == [("enrolment.requested", report.email, None, "pending_approval")]
    assert mail() == [(manager.email, "Rhys Patel asks to join Leading change")]
    assert "/approvals/" in mail_to(manager.email)[0].body_text


def test_approval_takes_a_seat_while_seats_remain(approval_course, make_cohort, report, manager):
    cohort = make_cohort(approval_course, capacity=1)
    row = enrol_self(cohort, report)

    decide(row, approve=True, by=manager)

    assert row.status == EnrolmentStatus.CONFIRMED
    assert row.decided_by == manager
    assert audit_trail(row)[-1] == (
        "enrolment.approved",
        manager.email,
        "pending_approval",
        "confirmed",
    )
    assert mail()[-1] == (report.email, "Your place is confirmed: Leading change")


def test_approval_follows_the_original_request_time_onto_the_waitlist(
    approval_course, make_cohort, make_user, manager, admin
):
    cohort = make_cohort(approval_course, capacity=1)
    early = make_user(full_name="Early Asker", line_manager=manager)
    late = make_user(full_name="Late Asker", line_manager=manager)
    t0 = utcnow()
    early_request = enrol_self(cohort, early, now=t0)
    late_request = enrol_self(cohort, late, now=t0 + MINUTE)
    enrol(cohort, make_user(), by=admin, now=t0 + 2 * MINUTE)  # fills the cohort

    decide(late_request, approve=True, by=manager, now=t0 + 3 * MINUTE)
    assert (late_request.status, position(late_request)) == (EnrolmentStatus.WAITLISTED, 1)
    decide(early_request, approve=True, by=manager, now=t0 + 4 * MINUTE)

    assert early_request.status == EnrolmentStatus.WAITLISTED
    assert (position(early_request), position(late_request)) == (1, 2)
    assert mail()[-1] == (early.email, "You are on the waitlist: Leading change")
    assert audit_trail(early_request)[-1][:2] == ("enrolment.approved", manager.email)


def test_rejecting_needs_a_reason(approval_course, make_cohort, report, manager):
    row = enrol_self(make_cohort(approval_course), report)

    with pytest.raises(
        InvalidTransition, match=exactly("Give a reason for rejecting the request")
    ) as info:
        decide(row, approve=False, by=manager, reason="   ")

    assert info.value.field == "reason"


def test_rejecting_with_a_reason_ends_the_request_and_tells_the_learner(
    approval_course, make_cohort, report, manager
):
    row = enrol_self(make_cohort(approval_course), report)
    now = utcnow()

    decide(row, approve=False, by=manager, reason=" Not this quarter ", now=now)

    assert (row.status, row.decision_reason, row.ended_at) == (
        EnrolmentStatus.REJECTED,
        "Not this quarter",
        now,
    )
    assert audit_trail(row)[-1] == (
        "enrolment.rejected",
        manager.email,
        "pending_approval",
        "rejected",
    )
    [*_, message] = mail_to(report.email)
    assert message.subject == "Your request was not approved: Leading change"
    assert "Not this quarter" in message.body_text


@pytest.mark.parametrize("who", ["admin", "another manager", "the learner"])
def test_only_the_line_manager_may_decide(
    who, approval_course, make_cohort, report, admin, make_user
):
    row = enrol_self(make_cohort(approval_course), report)
    deciders = {"admin": admin, "another manager": make_user(), "the learner": report}

    with pytest.raises(
        NotAllowed, match=exactly("Only the learner's line manager can decide this request")
    ):
        decide(row, approve=True, by=deciders[who])

    assert row.status == EnrolmentStatus.PENDING_APPROVAL


def test_a_decided_request_cannot_be_decided_again(approval_course, make_cohort, report, manager):
    row = enrol_self(make_cohort(approval_course), report)
    decide(row, approve=True, by=manager)

    with pytest.raises(InvalidTransition, match="already been decided"):
        decide(row, approve=False, by=manager, reason="Changed my mind")

    assert row.status == EnrolmentStatus.CONFIRMED


# --- cancelling -------------------------------------------------------------------------


def test_cancelling_before_the_first_session_cancels_and_frees_the_seat(
    course, make_cohort, learner, make_user
):
    cohort = make_cohort(course, capacity=1)
    seat = enrol_self(cohort, learner)
    waiting = enrol_self(cohort, make_user())

    cancel(seat, by=learner)

    assert seat.status == EnrolmentStatus.CANCELLED and seat.ended_at is not None
    assert waiting.status == EnrolmentStatus.CONFIRMED
    assert audit_trail(seat)[-1] == ("enrolment.cancelled", learner.email, "confirmed", "cancelled")


def test_cancelling_after_the_first_session_started_withdraws(
    course, make_cohort, learner, make_user
):
    start = utcnow().replace(microsecond=0) + DAY
    cohort = make_cohort(course, capacity=1, sessions=[(start, start + 3 * timedelta(hours=1))])
    seat = enrol_self(cohort, learner)
    waiting = enrol_self(cohort, make_user())

    cancel(seat, by=learner, now=start + MINUTE)

    assert seat.status == EnrolmentStatus.WITHDRAWN
    assert waiting.status == EnrolmentStatus.CONFIRMED
    assert audit_trail(seat)[-1] == ("enrolment.withdrawn", learner.email, "confirmed", "withdrawn")


@pytest.mark.parametrize("after_start", [False, True], ids=["cancelled", "withdrawn"])
def test_giving_up_a_place_tells_the_learner(after_start, course, make_cohort, learner):
    """Issue 3: every transition is audited and queues a notification."""
    start = utcnow().replace(microsecond=0) + DAY
    cohort = make_cohort(course, sessions=[(start, start + timedelta(hours=3))])
    seat = enrol_self(cohort, learner)
    before = len(mail_to(learner.email))

    cancel(seat, by=learner, now=start + MINUTE if after_start else None)

    assert len(mail_to(learner.email)) == before + 1


def test_cancelling_a_waitlist_place_or_a_request_promotes_nobody(
    course, approval_course, make_cohort, make_user, report
):
    cohort = make_cohort(course, capacity=1)
    enrol_self(cohort, make_user())
    first, second = enrol_self(cohort, make_user()), enrol_self(cohort, make_user())
    request = enrol_self(make_cohort(approval_course), report)

    cancel(first, by=first.learner)
    cancel(request, by=report)

    assert (first.status, request.status) == (EnrolmentStatus.CANCELLED, EnrolmentStatus.CANCELLED)
    assert (second.status, position(second)) == (EnrolmentStatus.WAITLISTED, 1)


def test_cancelling_a_cancelled_enrolment_is_refused(course, make_cohort, learner):
    row = enrol_self(make_cohort(course), learner)
    cancel(row, by=learner)

    with pytest.raises(InvalidTransition, match=exactly("This enrolment cannot be cancelled")):
        cancel(row, by=learner)


def test_only_the_learner_or_an_admin_may_cancel(course, make_cohort, learner, make_user, admin):
    row = enrol_self(make_cohort(course), learner)

    with pytest.raises(NotAllowed, match=exactly("You can only cancel your own enrolments")):
        cancel(row, by=make_user())
    cancel(row, by=admin)

    assert row.status == EnrolmentStatus.CANCELLED
    assert audit_trail(row)[-1][:2] == ("enrolment.cancelled", admin.email)


def test_a_learner_may_enrol_again_after_cancelling(course, make_cohort, learner):
    cohort = make_cohort(course)
    t0 = utcnow()
    row = enrol_self(cohort, learner, now=t0)
    cancel(row, by=learner, now=t0 + MINUTE)

    again = enrol_self(cohort, learner, now=t0 + 2 * MINUTE)

    assert again.id == row.id
    assert (again.status, again.requested_at, again.ended_at) == (
        EnrolmentStatus.CONFIRMED,
        t0 + 2 * MINUTE,
        None,
    )
    assert [action for action, *_ in audit_trail(again)] == [
        "enrolment.confirmed",
        "enrolment.cancelled",
        "enrolment.confirmed",
    ]
    assert audit_trail(again)[-1][2:] == ("cancelled", "confirmed")


# --- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"enrolment_opens_at": DAY},
        {"enrolment_closes_at": -DAY},
        {"status": CohortStatus.PLANNED},
        {"status": CohortStatus.RUNNING},
    ],
    ids=["not open yet", "closed", "planned", "running"],
)
def test_enrolment_outside_the_window_is_refused(fields, course, make_cohort, learner):
    now = utcnow()
    fields = {
        key: now + value if isinstance(value, timedelta) else value for key, value in fields.items()
    }
    cohort = make_cohort(course, **fields)

    with pytest.raises(EnrolmentClosed, match=exactly("Enrolment for this cohort is not open")):
        enrol_self(cohort, learner, now=now)

    assert enrolment_count() == 0


def test_the_window_is_open_from_its_opening_to_just_before_its_closing(
    course, make_cohort, make_user
):
    now = utcnow()
    cohort = make_cohort(course, enrolment_opens_at=now, enrolment_closes_at=now + MINUTE)

    assert enrol_self(cohort, make_user(), now=now).status == EnrolmentStatus.CONFIRMED
    with pytest.raises(EnrolmentClosed):
        enrol_self(cohort, make_user(), now=now + MINUTE)


def test_a_missing_prerequisite_is_named(make_course, make_cohort, learner):
    basics = make_course(title="Risk basics")
    cohort = make_cohort(make_course(prerequisites=[basics]))

    with pytest.raises(
        PrerequisiteMissing, match=exactly("You need to complete Risk basics before you can enrol")
    ):
        enrol_self(cohort, learner)


def test_a_prerequisite_is_met_only_by_a_completed_enrolment(
    make_course, make_cohort, make_enrolment, learner
):
    basics = make_course(title="Risk basics")
    cohort = make_cohort(make_course(prerequisites=[basics]))
    attempt = make_enrolment(make_cohort(basics), learner, status=EnrolmentStatus.CONFIRMED)
    with pytest.raises(PrerequisiteMissing):
        enrol_self(cohort, learner)

    attempt.status = EnrolmentStatus.COMPLETED
    db.session.commit()

    assert enrol_self(cohort, learner).status == EnrolmentStatus.CONFIRMED


@pytest.mark.parametrize(
    "status",
    [EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED, EnrolmentStatus.PENDING_APPROVAL],
)
def test_enrolling_twice_is_refused(status, course, make_cohort, make_enrolment, learner):
    cohort = make_cohort(course)
    make_enrolment(cohort, learner, status=status)

    with pytest.raises(AlreadyEnrolled, match=exactly("You are already enrolled on this cohort")):
        enrol_self(cohort, learner)

    assert enrolment_count() == 1


@pytest.mark.parametrize("status", [CourseStatus.ARCHIVED, CourseStatus.DRAFT])
def test_a_course_not_published_takes_no_enrolments(status, make_course, make_cohort, learner):
    cohort = make_cohort(make_course(status=status))

    with pytest.raises(
        CourseUnavailable, match=exactly("This course is no longer taking enrolments")
    ):
        enrol_self(cohort, learner)


def test_a_cancelled_cohort_takes_no_enrolments(course, make_cohort, learner):
    cohort = make_cohort(course, status=CohortStatus.CANCELLED)

    with pytest.raises(CohortCancelled, match=exactly("This cohort has been cancelled")):
        enrol_self(cohort, learner)


def test_an_approval_course_needs_a_known_line_manager(approval_course, make_cohort, learner):
    cohort = make_cohort(approval_course)
    message = (
        "This course needs your line manager's approval, but we do not know who your line "
        "manager is. Contact the PMO team to have it added."
    )

    with pytest.raises(NoLineManager, match=exactly(message)):
        enrol_self(cohort, learner)

    assert enrolment_count() == 0
    assert mail() == []


# --- enrolling other people -------------------------------------------------------------


def test_an_admin_enrolling_someone_skips_the_window_and_approval(
    approval_course, make_cohort, learner, admin
):
    cohort = make_cohort(approval_course, enrolment_closes_at=utcnow() - DAY)

    row = enrol(cohort, learner, by=admin)

    assert row.status == EnrolmentStatus.CONFIRMED  # no line manager needed either
    assert audit_trail(row) == [("enrolment.confirmed", admin.email, None, "confirmed")]
    assert mail() == [(learner.email, "Your place is confirmed: Leading change")]


def test_an_admin_cannot_enrol_anyone_on_a_cancelled_cohort(course, make_cohort, learner, admin):
    cohort = make_cohort(course, status=CohortStatus.CANCELLED)

    with pytest.raises(CohortCancelled, match=exactly("This cohort is no longer running")):
        enrol(cohort, learner, by=admin)


def test_an_admin_is_told_who_is_already_enrolled(course, make_cohort, learner, admin):
    cohort = make_cohort(course)
    enrol_self(cohort, learner)

    with pytest.raises(
        AlreadyEnrolled, match=exactly("Zoë Ashworth is already enrolled on this cohort")
    ):
        enrol(cohort, learner, by=admin)


@pytest.mark.parametrize("roles", [(), ("trainer",)], ids=["learner", "trainer"])
def test_only_an_admin_may_enrol_someone_else(roles, course, make_cohort, learner, make_user):
    cohort = make_cohort(course)

    with pytest.raises(NotAllowed, match=exactly("Only the PMO team can enrol other people")):
        enrol(cohort, learner, by=make_user(roles=roles))

    assert enrolment_count() == 0


def test_bulk_enrolment_reports_each_line(course, make_cohort, make_user, admin):
    cohort = make_cohort(course, capacity=3)
    for name in ("ann", "bob", "cat", "dan"):
        make_user(f"{name}@example.nhs.uk")
    make_user("gone@example.nhs.uk", is_active_account=False)
    enrol(cohort, make_user("eve@example.nhs.uk"), by=admin)
    text = (
        "ann@example.nhs.uk, BOB@example.nhs.uk\n"
        "\n"
        "cat@example.nhs.uk; dan@example.nhs.uk\r\n"
        "  eve@example.nhs.uk  \n"
        "nobody@example.nhs.uk\n"
        "gone@example.nhs.uk\n"
        "ann@example.nhs.uk\n"
    )

    report = enrol_many(cohort, text, by=admin)

    assert [(line.line, line.email, line.outcome) for line in report.lines] == [
        (1, "ann@example.nhs.uk", "enrolled"),
        (1, "BOB@example.nhs.uk", "enrolled"),
        (3, "cat@example.nhs.uk", "waitlisted"),
        (3, "dan@example.nhs.uk", "waitlisted"),
        (4, "eve@example.nhs.uk", "already enrolled"),
        (5, "nobody@example.nhs.uk", "not found"),
        (6, "gone@example.nhs.uk", "not found"),
        (7, "ann@example.nhs.uk", "duplicate"),
    ]
    outcomes = ("enrolled", "waitlisted", "already enrolled", "duplicate")
    counts = {o: report.count(o) for o in outcomes}
    assert counts == {"enrolled": 2, "waitlisted": 2, "already enrolled": 1, "duplicate": 1}
    assert report.count("not found") == 2
    assert enrolment_count() == 5


def test_bulk_addresses_may_be_separated_by_spaces_and_tabs_too(
    admin, course, make_cohort, make_user
):
    cohort = make_cohort(course)
    for name in ("ann", "bob", "cat"):
        make_user(f"{name}@example.nhs.uk")

    report = enrol_many(
        cohort, "ann@example.nhs.uk bob@example.nhs.uk\tcat@example.nhs.uk", by=admin
    )

    assert [(line.line, line.email, line.outcome) for line in report.lines] == [
        (1, "ann@example.nhs.uk", "enrolled"),
        (1, "bob@example.nhs.uk", "enrolled"),
        (1, "cat@example.nhs.uk", "enrolled"),
    ]


@pytest.mark.parametrize("separator", [",", ";", " ", "\n"])
def test_bulk_enrolment_caps_the_different_addresses_however_they_are_laid_out(
    admin, course, make_cohort, make_user, separator
):
    cohort = make_cohort(course)
    make_user("person0@example.nhs.uk")
    text = separator.join(f"person{n}@example.nhs.uk" for n in range(MAX_BULK_ADDRESSES + 1))

    with pytest.raises(TooManyAddresses) as refused:
        enrol_many(cohort, text, by=admin)

    assert str(refused.value) == (
        "Enrol at most 1,000 people at a time; this list has 1,001 different addresses"
    )
    assert enrolment_count() == 0 and db.session.scalar(select(OutboxMessage)) is None


def test_bulk_enrolment_counts_an_address_listed_again_once(admin, course, make_cohort, make_user):
    cohort = make_cohort(course)
    for name in ("ann", "bob"):
        make_user(f"{name}@example.nhs.uk")
    text = "\n".join(["ann@example.nhs.uk, BOB@example.nhs.uk"] * (MAX_BULK_ADDRESSES + 1))

    report = enrol_many(cohort, text, by=admin)

    assert (report.count("enrolled"), report.count("duplicate")) == (2, 2 * MAX_BULK_ADDRESSES)


def test_an_admin_listing_themself_is_enrolled_like_everyone_else(admin, make_course, make_cohort):
    cohort = make_cohort(make_course(requires_approval=True), status=CohortStatus.PLANNED)
    report = enrol_many(cohort, admin.email, by=admin)
    assert [line.outcome for line in report.lines] == ["enrolled"]


# --- counting seats and places in one query ----------------------------------------------


def test_seats_left_for_several_cohorts_in_one_query(
    course, make_cohort, make_enrolment, count_queries
):
    empty, busy, full = (make_cohort(course, capacity=capacity) for capacity in (3, 3, 1))
    make_enrolment(busy)
    make_enrolment(busy, status=EnrolmentStatus.CANCELLED)
    make_enrolment(busy, status=EnrolmentStatus.WAITLISTED)
    make_enrolment(busy, status=EnrolmentStatus.PENDING_APPROVAL)
    make_enrolment(full)
    make_enrolment(full, status=EnrolmentStatus.WAITLISTED)

    ids = [empty.id, busy.id, full.id]

    with count_queries() as counter:
        left = seats_left(ids)

    assert left == {empty.id: 3, busy.id: 2, full.id: 0}
    assert counter.count == 1
    assert seats_left([]) == {}


def test_waitlist_positions_for_several_cohorts_in_one_query(
    course, make_cohort, make_enrolment, count_queries
):
    one, two = make_cohort(course, capacity=1), make_cohort(course, capacity=1)
    t0 = utcnow()
    seat = make_enrolment(one, requested_at=t0)
    a = make_enrolment(one, status=EnrolmentStatus.WAITLISTED, requested_at=t0 + 2 * MINUTE)
    b = make_enrolment(one, status=EnrolmentStatus.WAITLISTED, requested_at=t0 + MINUTE)
    c = make_enrolment(two, status=EnrolmentStatus.WAITLISTED, requested_at=t0 + 3 * MINUTE)
    make_enrolment(one, status=EnrolmentStatus.CANCELLED, requested_at=t0)
    ids = [seat.id, a.id, b.id, c.id]

    with count_queries() as counter:
        positions = waitlist_positions(ids)

    assert positions == {b.id: 1, a.id: 2, c.id: 1}
    assert counter.count == 1
