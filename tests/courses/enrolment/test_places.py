"""courses/enrolment/places.py: what the cohort page says about a learner's place, and the
one button it offers — decided by the enrolment rules, never by the template."""

from __future__ import annotations

from datetime import timedelta

from courses.enrolment.places import Place, your_place
from courses.models import CohortStatus
from courses.models import EnrolmentStatus as S
from lms.core.db import utcnow

HOUR = timedelta(hours=1)


def place(cohort, learner, seats_left: int = 5) -> Place:
    return your_place(cohort, learner, utcnow(), seats_left=seats_left)


def test_a_confirmed_place_offers_to_cancel_it(course, make_cohort, make_enrolment, learner):
    cohort = make_cohort(course)
    mine = make_enrolment(cohort, learner)
    assert place(cohort, learner) == Place(
        mine, "Your place is confirmed.", cancel_label="Cancel my place"
    )


def test_a_waitlist_place_says_its_position(course, make_cohort, make_enrolment, learner):
    cohort = make_cohort(course, capacity=1)
    make_enrolment(cohort)
    make_enrolment(cohort, status=S.WAITLISTED, requested_at=utcnow() - HOUR)
    make_enrolment(cohort, learner, S.WAITLISTED)
    shown = place(cohort, learner, seats_left=0)
    assert shown.position == 2
    assert shown.message.startswith("You are on the waitlist at position 2.")
    assert (shown.cancel_label, shown.enrol_label) == ("Cancel my request", None)


def test_a_request_waiting_for_approval_offers_to_withdraw_it(
    make_course, make_cohort, make_enrolment, learner
):
    cohort = make_cohort(make_course(requires_approval=True))
    make_enrolment(cohort, learner, S.PENDING_APPROVAL)
    shown = place(cohort, learner)
    assert shown.message == "Your request is waiting for your line manager's approval."
    assert (shown.cancel_label, shown.enrol_label) == ("Cancel my request", None)


def test_the_enrol_button_says_what_enrolling_will_do(
    make_course, make_cohort, make_enrolment, make_user, course, learner
):
    open_cohort = make_cohort(course)
    assert place(open_cohort, learner) == Place(None, enrol_label="Enrol")
    full = place(open_cohort, learner, seats_left=0)
    assert (full.enrol_label, full.enrol_hint) == (
        "Join the waitlist",
        "This cohort is full. You can join the waitlist.",
    )
    managed = make_user(line_manager=make_user())
    approval = place(make_cohort(make_course(requires_approval=True)), managed)
    assert approval.enrol_label == "Ask to enrol" and "approval" in approval.enrol_hint


def test_someone_who_gave_up_their_place_may_enrol_again(
    course, make_cohort, make_enrolment, learner
):
    cohort = make_cohort(course)
    make_enrolment(cohort, learner, S.CANCELLED)
    assert place(cohort, learner) == Place(None, enrol_label="Enrol")


def test_a_refusal_offers_no_button(course, make_cohort, learner):
    closed = make_cohort(course, status=CohortStatus.PLANNED)
    assert place(closed, learner) == Place(None, "Enrolment for this cohort is not open")
