"""Calendar files (courses/calendars.py) stay whole whatever text the database holds."""

from __future__ import annotations

import pytest
from icalendar import Calendar
from sqlalchemy import select

from courses.cohorts import calendars
from courses.models import Enrolment, EnrolmentStatus
from lms.core import outbox
from lms.core.extensions import db

# Saved before forms refused them: a title over two lines, a terminal colour code, a C1
# control and a line separator.
LEGACY_TITLE = "Project management\r\nfor occasional\x1b[31m project\x85managers\u2028"


@pytest.fixture
def legacy_cohort(make_course, make_cohort):
    course = make_course(title=LEGACY_TITLE)
    return make_cohort(course, venue="Room 4\nTrust HQ\x07", code="PM-OCC-01")


def test_the_cohort_calendar_of_a_title_with_a_line_break_downloads(
    client, login, learner, legacy_cohort
):
    login(learner)
    response = client.get(f"/cohorts/{legacy_cohort.id}/calendar.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == (
        "Project management for occasional project managers (PM-OCC-01)"
    )
    [event] = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Project management for occasional project managers: Session 1"
    assert str(event["LOCATION"]) == "Room 4 Trust HQ"


@pytest.mark.parametrize("character", ["\r", "\n", "\x01", "\x1b", "\x9b", "\u2029"])
def test_no_calendar_text_carries_a_line_break_or_a_control_character(
    make_course, make_cohort, character
):
    cohort = make_cohort(make_course(title=f"A{character}B"), venue=f"C{character}D")
    cohort.sessions[0].title = f"E{character}F"
    body = calendars.cohort_calendar(cohort)
    lines = body.decode("utf-8").split("\r\n")
    assert all(c == "\t" or c.isprintable() for line in lines for c in line)
    assert len(Calendar.from_ical(body).walk("VEVENT")) == 1


def test_enrolling_on_a_title_with_a_line_break_confirms_and_mails_the_calendar(
    client, login, learner, legacy_cohort, smtp
):
    login(learner)
    response = client.post(f"/cohorts/{legacy_cohort.id}/enrol")
    assert response.status_code == 302
    assert db.session.scalar(select(Enrolment.status)) == EnrolmentStatus.CONFIRMED

    assert outbox.deliver_due() == 1
    [confirmation] = smtp
    [calendar_file] = confirmation.iter_attachments()
    calendar = Calendar.from_ical(calendar_file.get_payload(decode=True))
    assert "\n" not in str(calendar["X-WR-CALNAME"])
    assert len(calendar.walk("VEVENT")) == 1


def test_the_personal_feed_of_a_title_with_a_line_break_reads(
    learner, legacy_cohort, make_enrolment
):
    make_enrolment(legacy_cohort, learner)
    [event] = Calendar.from_ical(calendars.personal_calendar(learner)).walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("Project management for occasional project")
