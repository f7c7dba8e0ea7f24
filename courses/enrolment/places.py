"""A learner's place on a cohort as the cohort page shows it: what it says, and which
button it offers, decided by the enrolment rules (`can_cancel`, `check_can_self_enrol`)
so the page only prints them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from courses.enrolment.enrolment import can_cancel, check_can_self_enrol, waitlist_positions
from courses.models import Cohort, Enrolment, EnrolmentStatus
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db


@dataclass(frozen=True)
class Place:
    """The learner's place on the cohort, or why they cannot have one.

    At most one of the buttons is offered: cancelling what they hold, or enrolling.
    """

    enrolment: Enrolment | None  # what they hold (a seat, a waitlist place or a request)
    message: str | None = None  # what the page tells them about it, or why they cannot enrol
    cancel_label: str | None = None  # the cancel button's words; None: no cancel button
    enrol_label: str | None = None  # the enrol button's words; None: no enrol button
    enrol_hint: str | None = None  # a sentence above the enrol button
    position: int | None = None  # their waitlist position


def own_enrolment(cohort: Cohort, learner: User) -> Enrolment | None:
    return db.session.scalar(
        select(Enrolment).where(
            Enrolment.cohort_id == cohort.id, Enrolment.learner_id == learner.id
        )
    )


def your_place(cohort: Cohort, learner: User, now: datetime, *, seats_left: int) -> Place:
    """What the cohort page says to `learner` about their place, and the button it offers."""
    mine = own_enrolment(cohort, learner)
    if mine is not None and can_cancel(mine):
        if mine.status == EnrolmentStatus.CONFIRMED:
            return Place(mine, "Your place is confirmed.", cancel_label="Cancel my place")
        if mine.status == EnrolmentStatus.WAITLISTED:
            position = waitlist_positions([mine.id]).get(mine.id)
            return Place(
                mine,
                f"You are on the waitlist at position {position}. "
                "If a place becomes free, we will email you.",
                cancel_label="Cancel my request",
                position=position,
            )
        return Place(
            mine,
            "Your request is waiting for your line manager's approval.",
            cancel_label="Cancel my request",
        )
    try:
        check_can_self_enrol(cohort, learner, now)
    except DomainError as refusal:
        return Place(None, str(refusal))
    if cohort.course.requires_approval:
        return Place(
            None,
            enrol_label="Ask to enrol",
            enrol_hint="This course needs your line manager's approval. We will ask them for you.",
        )
    if seats_left > 0:
        return Place(None, enrol_label="Enrol")
    return Place(
        None,
        enrol_label="Join the waitlist",
        enrol_hint="This cohort is full. You can join the waitlist.",
    )
