"""Calendar files (courses/cohorts/calendars.py) stay whole whatever text the database holds,
and feed addresses are recognised by a digest, never stored."""

from __future__ import annotations

import hashlib
import re
import secrets

import pytest
from flask_migrate import upgrade
from icalendar import Calendar
from sqlalchemy import select, text

from courses.cohorts import calendars
from courses.models import CalendarFeed, Enrolment, EnrolmentStatus
from lms.core import outbox, tokens
from lms.core.extensions import db
from lms.models import metadata
from tests.helpers import text_of

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
    body = calendars.cohort_calendar(cohort, joining_link=True)
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


# --- feed addresses are never stored ------------------------------------------------------


def stored_values() -> list[str]:
    """Every value of every column of every table, as text."""
    values = []
    for table in metadata.sorted_tables:
        for row in db.session.execute(select(table)):
            values.extend(str(value) for value in row if value is not None)
    return values


def test_no_column_holds_a_feed_address_token(learner):
    feed, _ = calendars.issue_feed(learner)
    db.session.commit()
    token = feed.token

    assert len(token) >= 43
    assert not [value for value in stored_values() if token in value]
    assert feed.token_hash == tokens.digest(token)
    assert calendars.user_for_feed(token) == learner


def feed_address(page: str) -> str | None:
    """The path of the feed address the settings page shows, if it shows one."""
    found = re.search(r"http://localhost(/calendar/[\w-]+\.ics)", page)
    return found.group(1) if found else None


def test_the_settings_page_shows_the_same_address_on_every_visit(client, as_learner):
    client.post("/calendar/")
    first, second = (feed_address(text_of(client.get("/calendar/"))) for _ in range(2))
    assert first is not None and first == second
    assert client.get(first).status_code == 200


def test_a_new_secret_key_retires_every_derived_address(app, client, login, as_learner):
    """Someone with a copy of the database and the old key could derive every address;
    after the key is changed, none of those works, and the page offers a new one."""
    old = feed_address(text_of(client.post("/calendar/", follow_redirects=True)))
    key = app.secret_key
    app.secret_key = "another-secret-key-" + "y" * 32
    try:
        login(as_learner)  # the session cookie was signed with the old key too
        assert client.get(old).status_code == 404
        page = text_of(client.get("/calendar/"))
        assert "has stopped working because the service's security keys were changed" in page
        assert feed_address(page) is None

        new = feed_address(text_of(client.post("/calendar/", follow_redirects=True)))
        assert new != old and client.get(new).status_code == 200
    finally:
        app.secret_key = key


@pytest.fixture
def old_style_feed(learner):
    """A feed as migration 4d5e6f7a8b93 leaves one made before: the digest of its token,
    no reference."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        CalendarFeed(user_id=learner.id, reference=None, token_hash=tokens.digest(token))
    )
    db.session.commit()
    return token


def test_an_old_style_feed_address_keeps_working(app, old_style_feed):
    response = app.test_client().get(f"/calendar/{old_style_feed}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"


def test_an_old_style_feed_cannot_be_shown_and_the_page_offers_a_new_one(
    client, as_learner, old_style_feed
):
    page = text_of(client.get("/calendar/"))
    assert "cannot be shown again" in page and "It still works" in page
    assert feed_address(page) is None and "Make a new address" in page

    page = text_of(client.post("/calendar/", follow_redirects=True))

    assert "Your calendar has a new address. The old one no longer works." in page
    assert client.get(f"/calendar/{old_style_feed}.ics").status_code == 404
    assert client.get(feed_address(page)).status_code == 200


def test_the_migration_keeps_existing_feed_addresses_working(make_app, fresh_database):
    token = "an-old-feed-token-made-with-secrets-token-urlsafe"
    with fresh_database() as url:
        app = make_app(SQLALCHEMY_DATABASE_URI=url)
        with app.app_context():
            upgrade(revision="3c4d5e6f7a82")
            with db.engine.begin() as connection:
                connection.execute(
                    text("INSERT INTO user_account (email, full_name) VALUES (:email, :name)"),
                    {"email": "old.feed@example.nhs.uk", "name": "Old Feed"},
                )
                connection.execute(
                    text(
                        "INSERT INTO calendar_feed (user_id, token) "
                        "SELECT id, :token FROM user_account"
                    ),
                    {"token": token},
                )
            upgrade()
            [row] = db.session.execute(select(CalendarFeed)).scalars().all()
            assert (row.reference, row.token) == (None, None)
            assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
            assert calendars.user_for_feed(token).email == "old.feed@example.nhs.uk"
            assert not [value for value in stored_values() if token in value]
            db.session.remove()
            db.engine.dispose()
