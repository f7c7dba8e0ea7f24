"""A cohort's online meeting link (courses.cohorts.access.may_see_joining_link) reaches
only the people in the meeting: its confirmed learners, its trainers and admins. Everyone
else is told where it is shown, on the cohort page, in the cohort's .ics, in the personal
calendar feed and in mail.
"""

from __future__ import annotations

import re

import pytest
from icalendar import Calendar

from courses.cohorts import calendars
from courses.cohorts.access import JOINING_LINK_WITHHELD, may_see_joining_link
from courses.enrolment import enrol
from courses.models import CohortStatus, EnrolmentStatus
from lms.auth.models import Role
from lms.core import outbox
from lms.core.extensions import db
from tests.helpers import text_of

LINK = "https://teams.example.nhs.uk/meet/pm-occ-secret"


@pytest.fixture
def online(make_course, make_cohort, trainer):
    """An online cohort taught by the trainer, with one seat."""
    course = make_course(code="PM-OCC", title="Project management")
    return make_cohort(course, capacity=1, trainers=[trainer], online_link=LINK, venue=None)


@pytest.fixture
def person(request, online, make_user, make_enrolment, trainer, admin):
    """Someone in each relation to the online cohort, by the parameter's name."""
    kind = request.param
    if kind == "admin":
        return admin
    if kind == "trainer":
        return trainer
    if kind == "another trainer":
        return make_user("other.trainer@example.nhs.uk", roles=[Role.TRAINER])
    user = make_user("someone@example.nhs.uk")
    status = {
        "confirmed learner": EnrolmentStatus.CONFIRMED,
        "waitlisted learner": EnrolmentStatus.WAITLISTED,
        "learner awaiting approval": EnrolmentStatus.PENDING_APPROVAL,
        "learner who cancelled": EnrolmentStatus.CANCELLED,
    }.get(kind)
    if status is not None:
        make_enrolment(online, user, status=status)
    return user


SEES = ["confirmed learner", "trainer", "admin"]
DOES_NOT_SEE = [
    "waitlisted learner",
    "learner awaiting approval",
    "learner who cancelled",
    "another trainer",
    "another logged-in person",
]


def online_link_row(page: str) -> str:
    """The value beside "Online link" in the cohort's summary list."""
    match = re.search(
        r'Online link\s*</dt>\s*<dd class="nhsuk-summary-list__value">\s*(.*?)\s*</dd>',
        page,
        re.DOTALL,
    )
    return match.group(1)


def event_of(body: bytes):
    [event] = Calendar.from_ical(body).walk("VEVENT")
    return event


# --- the cohort page and its .ics --------------------------------------------------------


@pytest.mark.parametrize("person", SEES, indirect=True)
def test_the_page_and_the_ics_show_the_link_to_the_people_in_the_meeting(
    client, login, online, person
):
    login(person)

    page = text_of(client.get(f"/cohorts/{online.id}"))
    event = event_of(client.get(f"/cohorts/{online.id}/calendar.ics").data)

    assert online_link_row(page) == LINK
    assert JOINING_LINK_WITHHELD not in page
    assert str(event["LOCATION"]) == LINK
    assert f"Join online: {LINK}" in str(event["DESCRIPTION"])


@pytest.mark.parametrize("person", DOES_NOT_SEE, indirect=True)
def test_the_page_and_the_ics_tell_everyone_else_where_the_link_is_shown(
    client, login, online, person
):
    login(person)

    response = client.get(f"/cohorts/{online.id}")
    ics = client.get(f"/cohorts/{online.id}/calendar.ics")

    assert response.status_code == ics.status_code == 200
    assert online_link_row(text_of(response)) == JOINING_LINK_WITHHELD
    assert LINK not in response.get_data(as_text=True) and LINK.encode() not in ics.data
    event = event_of(ics.data)
    assert str(event["LOCATION"]) == "Online"
    assert JOINING_LINK_WITHHELD in str(event["DESCRIPTION"])


def test_a_cohort_without_a_link_says_none(client, as_learner, make_course, make_cohort):
    cohort = make_cohort(make_course(), venue="Room 4")
    assert online_link_row(text_of(client.get(f"/cohorts/{cohort.id}"))) == "None"


def test_a_trainer_who_lost_the_role_no_longer_sees_the_link(online, trainer):
    trainer.role_grants.clear()
    db.session.commit()
    assert not may_see_joining_link(trainer, online, None)


# --- the personal feed -------------------------------------------------------------------


def test_the_personal_feed_carries_the_link_only_while_the_place_is_confirmed(
    online, learner, make_enrolment
):
    place = make_enrolment(online, learner)
    assert LINK in str(event_of(calendars.personal_calendar(learner))["DESCRIPTION"])

    online.status = CohortStatus.CANCELLED  # the learner's place ends with it
    place.status = EnrolmentStatus.CANCELLED
    db.session.commit()

    body = calendars.personal_calendar(learner)
    assert LINK.encode() not in body
    assert str(event_of(body)["STATUS"]) == "CANCELLED"


def test_the_personal_feed_over_http_carries_the_confirmed_learners_link(
    app, online, learner, make_enrolment
):
    make_enrolment(online, learner)
    feed, _ = calendars.issue_feed(learner)
    db.session.commit()
    body = app.test_client().get(f"/calendar/{feed.token}.ics").data
    assert f"Join online: {LINK}" in str(event_of(body)["DESCRIPTION"])


# --- mail --------------------------------------------------------------------------------


def test_a_confirmed_learners_calendar_by_mail_has_the_link_a_waitlisted_learners_mail_not(
    online, admin, make_user, smtp
):
    enrol(online, make_user("first@example.nhs.uk"), by=admin, on_behalf=True)
    enrol(online, make_user("second@example.nhs.uk"), by=admin, on_behalf=True)
    db.session.commit()

    assert outbox.deliver_due() == 2
    mail = {message["To"]: message for message in smtp}
    confirmed, waitlisted = mail["first@example.nhs.uk"], mail["second@example.nhs.uk"]
    [calendar_file] = confirmed.iter_attachments()
    assert LINK in str(event_of(calendar_file.get_payload(decode=True))["DESCRIPTION"])
    assert "waitlist" in waitlisted["Subject"]
    assert LINK not in waitlisted.as_string() and list(waitlisted.iter_attachments()) == []


def test_a_request_for_approval_does_not_carry_the_link(
    make_course, make_cohort, make_user, trainer, smtp
):
    cohort = make_cohort(make_course(requires_approval=True), trainers=[trainer], online_link=LINK)
    manager = make_user("manager@example.nhs.uk")
    learner = make_user("asker@example.nhs.uk", line_manager=manager)
    placed = enrol(cohort, learner, by=learner)
    db.session.commit()

    assert placed.status == EnrolmentStatus.PENDING_APPROVAL
    assert outbox.deliver_due() >= 1
    assert smtp and all(LINK not in message.as_string() for message in smtp)
