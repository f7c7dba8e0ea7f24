"""The coaching log's pages: lms/projects/coaching_views.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.auth.access import object_rule
from lms.auth.models import User
from lms.core import outbox
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from lms.core.timezones import local_today
from lms.cpd import record
from lms.cpd.models import CpdEntry, EntrySource
from lms.cpd.years import year_of
from lms.projects import coaching
from lms.projects.coaching import SessionDetails
from lms.projects.models import CoachingSession, ProjectRole, Support
from tests.helpers import count, field_error, sign_in, text_of

NOTES = "Private: the sponsor is wobbling."
ACTIONS = "Write the risk log by Friday."


@dataclass
class Coaching:
    coach: User
    coachee: User
    lead: User  # leads the project; neither coach nor coachee
    stranger: User  # another learner
    admin: User
    support: Support


@pytest.fixture
def world(make_user, admin, make_project, make_support) -> Coaching:
    coach = make_user("coach@example.nhs.uk", full_name="Cerys Coach")
    coachee = make_user("coachee@example.nhs.uk", full_name="Dev Patel")
    lead = make_user("lead@example.nhs.uk", full_name="Lena Lead")
    stranger = make_user("stranger@example.nhs.uk", full_name="Sam Stranger")
    project = make_project(
        "Digital outpatient letters", lead=lead, members={coachee: ProjectRole.PROJECT_MANAGER}
    )
    support = make_support(
        project, coachee, responsible=coach, starts_on=local_today() - timedelta(days=60)
    )
    return Coaching(coach, coachee, lead, stranger, admin, support)


def client_as(app, person):
    client = app.test_client()
    sign_in(client, person.get_id())
    return client


def log(world: Coaching, **changes) -> CoachingSession:
    values = {
        "held_on": local_today(),
        "minutes": 90,
        "topic": "Planning the first stage",
        "actions": ACTIONS,
        "notes": NOTES,
    }
    values.update(changes)
    session = coaching.log_session(
        world.support, SessionDetails(**values), by=world.coach, today=local_today()
    )
    db.session.commit()
    return session


def form(**changes) -> dict:
    data = {
        "held_on": local_today().isoformat(),
        "minutes": "90",
        "topic": "Planning the first stage",
        "actions": ACTIONS,
        "notes": NOTES,
    }
    data.update(changes)
    return data


def cpd_total(client) -> str:
    page = text_of(client.get("/cpd/"))
    return re.search(r"<strong>(.*?)</strong> of your", page).group(1)


def year_total(person) -> Decimal:
    return record.year_summary(person.id, year_of(local_today()), Decimal(35)).total


# --- the routes and their rules --------------------------------------------------------------


def test_the_routes_are_declared_as_agreed(app):
    rules = {
        rule.endpoint: rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("coaching.")
    }
    found = {
        name: (rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"}))
        for name, rule in rules.items()
    }
    assert found == {
        "coaching.index": ("/coaching/", ["GET"]),
        "coaching.support": ("/coaching/<int:support_id>", ["GET"]),
        "coaching.new_session": ("/coaching/<int:support_id>/sessions/new", ["GET", "POST"]),
        "coaching.session": ("/coaching/sessions/<int:coaching_session_id>", ["GET"]),
        "coaching.edit_session": (
            "/coaching/sessions/<int:coaching_session_id>/edit",
            ["GET", "POST"],
        ),
        "coaching.delete_session": (
            "/coaching/sessions/<int:coaching_session_id>/delete",
            ["GET", "POST"],
        ),
        "coaching.confirm": ("/coaching/sessions/<int:coaching_session_id>/confirm", ["POST"]),
        "coaching.add_to_cpd": ("/coaching/sessions/<int:coaching_session_id>/cpd", ["POST"]),
    }
    for name, rule in rules.items():
        declared = object_rule(app, name)
        assert name == "coaching.index" or declared.argument in rule.arguments


# --- private notes --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "stranger", "lead"])
def test_a_sessions_page_and_its_notes_are_refused_to_anyone_but_coach_and_coachee(app, world, who):
    session = log(world)
    client = client_as(app, getattr(world, who))
    for path in (
        f"/coaching/sessions/{session.id}",
        f"/coaching/sessions/{session.id}/edit",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert NOTES not in text_of(response)
    for path in ("confirm", "cpd", "edit"):
        assert (
            client.post(f"/coaching/sessions/{session.id}/{path}", data=form()).status_code == 404
        )
    db.session.expire_all()
    assert session.confirmed_at is None and session.notes == NOTES


@pytest.mark.parametrize("who", ["coach", "coachee"])
def test_the_coach_and_the_coachee_read_the_notes(app, world, who):
    session = log(world)
    page = text_of(client_as(app, getattr(world, who)).get(f"/coaching/sessions/{session.id}"))
    assert NOTES in page and ACTIONS in page
    assert "1 hour 30 minutes" in page and "Not confirmed yet" in page


def test_a_supports_page_shows_admins_the_sessions_but_never_their_notes(app, world):
    session = log(world)
    page = text_of(client_as(app, world.admin).get(f"/coaching/{world.support.id}"))
    assert "Planning the first stage" in page and "1 hour 30 minutes" in page
    assert NOTES not in page and ACTIONS not in page
    assert f'/coaching/sessions/{session.id}"' not in page  # no link to a page they cannot open
    assert "Log a session" not in page
    for who in (world.stranger, world.lead):
        assert client_as(app, who).get(f"/coaching/{world.support.id}").status_code == 404
    coach_page = text_of(client_as(app, world.coach).get(f"/coaching/{world.support.id}"))
    assert "Log a session" in coach_page and f"/coaching/sessions/{session.id}" in coach_page
    assert client_as(app, world.coach).get("/coaching/999999").status_code == 404


# --- logging a session ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["stranger", "coachee", "lead", "admin"])
def test_only_the_coach_may_log_a_session(app, world, who):
    client = client_as(app, getattr(world, who))
    path = f"/coaching/{world.support.id}/sessions/new"
    assert client.get(path).status_code == 404
    assert client.post(path, data=form()).status_code == 404
    assert count(CoachingSession) == 0


def test_the_coach_logs_a_session_and_the_coachee_is_mailed_through_smtp(app, world, smtp):
    client = client_as(app, world.coach)
    path = f"/coaching/{world.support.id}/sessions/new"
    assert local_today().isoformat() in text_of(client.get(path))  # today, filled in
    response = client.post(path, data=form())
    [session] = db.session.scalars(select(CoachingSession)).all()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/coaching/sessions/{session.id}"
    assert (session.minutes, session.topic, session.notes) == (
        90,
        "Planning the first stage",
        NOTES,
    )
    outbox.deliver_all_due()
    [message] = smtp
    assert message["To"] == world.coachee.email
    assert message["Subject"].startswith("Please confirm your coaching session on")
    body = message.get_body(("plain",)).get_content()
    assert f"http://localhost/coaching/sessions/{session.id}" in body
    assert NOTES not in message.as_string()


@pytest.mark.parametrize(
    ("sent", "field", "message"),
    [
        ({"minutes": "0"}, "minutes", "Enter a length from 1 to 600 minutes (10 hours)"),
        ({"minutes": "601"}, "minutes", "Enter a length from 1 to 600 minutes (10 hours)"),
        ({"minutes": "abc"}, "minutes", "Enter the length as a whole number of minutes, like 45"),
        ({"minutes": ""}, "minutes", "Enter how long the session lasted in minutes, like 45"),
        (
            {"held_on": "tomorrow"},
            "held_on",
            "The date of the session must be today or in the past",
        ),
        (
            {"held_on": "2026-02-30"},
            "held_on",
            "Enter the date of the session as a real date, like 2026-04-01",
        ),
        ({"held_on": ""}, "held_on", "Enter the date of the session"),
        ({"topic": ""}, "topic", "Enter the topic of the session"),
        ({"topic": "a\nb"}, "topic", "Enter the topic on one line"),
    ],
)
def test_a_refused_session_says_why_beside_the_field(app, world, sent, field, message):
    if sent.get("held_on") == "tomorrow":
        sent = {"held_on": (local_today() + timedelta(days=1)).isoformat()}
    client = client_as(app, world.coach)
    response = client.post(f"/coaching/{world.support.id}/sessions/new", data=form(**sent))
    assert response.status_code == 422
    assert field_error(text_of(response), field) == message
    assert count(CoachingSession) == 0 and count(OutboxMessage) == 0


# --- confirming and the CPD record ----------------------------------------------------------


def test_confirming_adds_the_hours_to_the_coachees_cpd_total_once(app, world):
    session = log(world, minutes=90)
    client = client_as(app, world.coachee)
    assert cpd_total(client) == "0 hours"
    index = text_of(client.get("/coaching/"))
    assert "Confirm attendance" in index and ACTIONS in index and NOTES not in index
    response = client.post(f"/coaching/sessions/{session.id}/confirm")
    assert response.status_code == 302
    assert cpd_total(client) == "1.5 hours"
    again = client.post(f"/coaching/sessions/{session.id}/confirm", follow_redirects=True)
    assert "You have already confirmed this session" in text_of(again)
    assert cpd_total(client) == "1.5 hours"
    [entry] = db.session.scalars(select(CpdEntry)).all()
    assert (entry.source, entry.provider, entry.title) == (
        EntrySource.COACHING_RECEIVED,
        "Cerys Coach",
        "Coaching: Planning the first stage",
    )
    page = text_of(client.get(f"/coaching/sessions/{session.id}"))
    assert "Confirmed" in page and f"/cpd/entries/{entry.id}" in page
    assert "Confirm attendance" not in text_of(client.get("/coaching/"))


def test_the_coach_cannot_confirm_for_the_coachee(app, world):
    session = log(world)
    assert (
        client_as(app, world.coach).post(f"/coaching/sessions/{session.id}/confirm").status_code
        == 404
    )
    assert count(CpdEntry) == 0


def test_changed_minutes_after_confirmation_are_confirmed_again(app, world):
    session = log(world, minutes=90)
    coachee = client_as(app, world.coachee)
    coachee.post(f"/coaching/sessions/{session.id}/confirm")
    assert cpd_total(coachee) == "1.5 hours"
    coach = client_as(app, world.coach)
    edit = f"/coaching/sessions/{session.id}/edit"
    assert NOTES in text_of(coach.get(edit))  # the form holds the session as it is
    refused = coach.post(edit, data=form(minutes="601"))
    assert refused.status_code == 422 and field_error(text_of(refused), "minutes")
    assert cpd_total(coachee) == "1.5 hours"  # nothing changed
    response = coach.post(edit, data=form(minutes="45"))
    assert response.status_code == 302
    assert cpd_total(coachee) == "0 hours"  # until the coachee confirms the new length
    assert count(CpdEntry) == 0
    assert "Confirm attendance" in text_of(coachee.get(f"/coaching/sessions/{session.id}"))
    coachee.post(f"/coaching/sessions/{session.id}/confirm")
    assert cpd_total(coachee) == "0.75 hours"


def test_deleting_a_session_takes_its_hours_back_out(app, world):
    session = log(world, minutes=120)
    coachee = client_as(app, world.coachee)
    coachee.post(f"/coaching/sessions/{session.id}/confirm")
    assert cpd_total(coachee) == "2 hours"
    coach = client_as(app, world.coach)
    delete = f"/coaching/sessions/{session.id}/delete"
    page = text_of(coach.get(delete))
    assert "will be taken out of Dev Patel's CPD record" in page and NOTES not in page
    assert client_as(app, world.coachee).post(delete).status_code == 404
    assert client_as(app, world.stranger).get(delete).status_code == 404
    response = coach.post(delete)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/coaching/{world.support.id}"
    assert cpd_total(coachee) == "0 hours"
    assert count(CoachingSession) == 0 and count(CpdEntry) == 0


def test_an_admin_may_delete_a_session_without_seeing_its_notes(app, world):
    session = log(world)
    admin = client_as(app, world.admin)
    page = text_of(admin.get(f"/coaching/sessions/{session.id}/delete"))
    assert NOTES not in page and ACTIONS not in page
    assert admin.post(f"/coaching/sessions/{session.id}/delete").status_code == 302
    assert count(CoachingSession) == 0


def test_the_coach_adds_coaching_given_to_their_own_record(app, world):
    session = log(world, minutes=60)
    coach = client_as(app, world.coach)
    refused = coach.post(f"/coaching/sessions/{session.id}/cpd", follow_redirects=True)
    assert "The coachee must confirm the session" in text_of(refused)
    assert "Add to my CPD record" not in text_of(coach.get(f"/coaching/sessions/{session.id}"))
    client_as(app, world.coachee).post(f"/coaching/sessions/{session.id}/confirm")
    assert "Add to my CPD record" in text_of(coach.get(f"/coaching/sessions/{session.id}"))
    assert coach.post(f"/coaching/sessions/{session.id}/cpd").status_code == 302
    coach.post(f"/coaching/sessions/{session.id}/cpd")  # a second click adds nothing
    assert cpd_total(coach) == "1 hour"
    given = db.session.scalars(
        select(CpdEntry).where(CpdEntry.source == EntrySource.COACHING_GIVEN)
    ).all()
    assert [(entry.learner_id, entry.provider) for entry in given] == [
        (world.coach.id, "Dev Patel")
    ]
    assert (
        client_as(app, world.coachee).post(f"/coaching/sessions/{session.id}/cpd").status_code
        == 404
    )


# --- the index ------------------------------------------------------------------------------


def test_a_coach_sees_their_coachees(app, world):
    first = log(world, minutes=90)
    log(world, minutes=30)
    coaching.confirm(first, by=world.coachee, now=utcnow())
    db.session.commit()
    page = text_of(client_as(app, world.coach).get("/coaching/"))
    assert "Your coachees" in page
    row = re.search(
        r"<tr class=\"nhsuk-table__row\">\s*<td[^>]*><a href=\"/coaching/\d+\">Dev Patel.*?</tr>",
        page,
        re.S,
    ).group(0)
    cells = [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]
    assert cells == ["Dev Patel", "Digital outpatient letters", "2", "2", "1"]
    nobody = text_of(client_as(app, world.stranger).get("/coaching/"))
    assert "Your coachees" not in nobody and "You have no coaching sessions yet" in nobody


# --- statement counts -----------------------------------------------------------------------


def _grow(world: Coaching, make_user, make_project, make_support, sessions: int) -> None:
    """`sessions` more sessions with the coachee, and as many coachees for the coach."""
    for n in range(sessions):
        log(world, topic=f"Topic {n}", held_on=local_today() - timedelta(days=n % 50))
        other = make_user(f"coachee{n}@example.nhs.uk", full_name=f"Coachee {n}")
        support = make_support(make_project(f"Project {n}"), other, responsible=world.coach)
        coaching.log_session(
            support,
            SessionDetails(held_on=local_today(), minutes=30, topic="First"),
            by=world.coach,
            today=local_today(),
        )
    db.session.commit()


def test_the_pages_cost_the_same_statements_with_2_and_20_sessions(
    app, world, make_user, make_project, make_support, count_queries
):
    first = log(world)
    log(world, minutes=30)
    coaching.confirm(first, by=world.coachee, now=utcnow())
    db.session.commit()
    clients = {"coach": client_as(app, world.coach), "coachee": client_as(app, world.coachee)}
    pages = [
        ("coach", "/coaching/"),
        ("coachee", "/coaching/"),
        ("coach", f"/coaching/{world.support.id}"),
        ("coachee", f"/coaching/sessions/{first.id}"),
        ("coach", f"/coaching/sessions/{first.id}"),
        ("coach", f"/coaching/sessions/{first.id}/edit"),
        ("coach", f"/coaching/sessions/{first.id}/delete"),
        ("coach", f"/coaching/{world.support.id}/sessions/new"),
    ]

    def measure() -> dict[tuple[str, str], int]:
        counts = {}
        for who, path in pages:
            with count_queries() as counter:
                assert clients[who].get(path).status_code == 200, path
            counts[(who, path)] = counter.count
        return counts

    small = measure()
    _grow(world, make_user, make_project, make_support, 18)
    assert count(CoachingSession) == 38
    assert measure() == small


def test_long_lists_are_paged_and_the_pager_keeps_the_support(app, world, monkeypatch):
    from lms.projects import coaching_views

    monkeypatch.setattr(coaching_views, "PAGE_SIZE", 1)
    older = log(world, held_on=local_today() - timedelta(days=1), topic="Older")
    log(world, topic="Newer")
    coach = client_as(app, world.coach)
    first = text_of(coach.get(f"/coaching/{world.support.id}"))
    assert "Newer" in first and "Older" not in first
    assert f'href="/coaching/{world.support.id}?page=2"' in first
    second = text_of(coach.get(f"/coaching/{world.support.id}?page=2"))
    assert f"/coaching/sessions/{older.id}" in second
    coachee = text_of(client_as(app, world.coachee).get("/coaching/"))
    assert 'href="/coaching/?page=2"' in coachee


def test_one_try_shows_every_problem_at_once(app, world):
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    client = client_as(app, world.coach)
    sent = form(minutes="abc", topic="", held_on=tomorrow, notes="x" * 10001)
    page = text_of(client.post(f"/coaching/{world.support.id}/sessions/new", data=sent))
    assert field_error(page, "minutes") == "Enter the length as a whole number of minutes, like 45"
    assert field_error(page, "topic") == "Enter the topic of the session"
    assert field_error(page, "held_on") == "The date of the session must be today or in the past"
    assert field_error(page, "notes") == "Enter notes of 10000 characters or fewer"
    session = log(world)
    edit = client.post(f"/coaching/sessions/{session.id}/edit", data=form(minutes="x", topic=""))
    assert edit.status_code == 422
    assert field_error(text_of(edit), "topic") == "Enter the topic of the session"
