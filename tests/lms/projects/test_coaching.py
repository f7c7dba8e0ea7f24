"""The coaching log's rules: lms/projects/coaching.py."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from threading import Barrier

import pytest
from sqlalchemy import select

from lms.auth.models import Role, User
from lms.core.db import utcnow
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from lms.core.timezones import local_today
from lms.cpd import record
from lms.cpd.models import CpdEntry, EntrySource
from lms.cpd.years import year_of
from lms.projects import coaching
from lms.projects.coaching import NotAllowed, SessionDetails, SessionRefused
from lms.projects.models import CoachingSession, ProjectRole, Support, SupportStatus
from tests.helpers import count, events

NOTES = "Worried about the sponsor; confidential."
ACTIONS = "Draft the stage plan by Friday."


@dataclass
class Coaching:
    coach: User
    coachee: User
    lead: User  # leads the project, but is neither coach nor coachee
    admin: User
    support: Support


@pytest.fixture
def world(make_user, make_project, make_support) -> Coaching:
    coach = make_user("coach@example.nhs.uk", full_name="Cerys Coach")
    coachee = make_user("coachee@example.nhs.uk", full_name="Dev Patel")
    lead = make_user("lead@example.nhs.uk", full_name="Lena Lead")
    admin = make_user("admin@example.nhs.uk", full_name="Amara Okafor", roles=[Role.ADMIN])
    project = make_project(lead=lead, members={coachee: ProjectRole.PROJECT_MANAGER})
    support = make_support(
        project, coachee, responsible=coach, starts_on=local_today() - timedelta(days=30)
    )
    return Coaching(coach, coachee, lead, admin, support)


def details(**changes) -> SessionDetails:
    values = {
        "held_on": local_today(),
        "minutes": 90,
        "topic": "Planning the first stage",
        "actions": ACTIONS,
        "notes": NOTES,
    }
    values.update(changes)
    return SessionDetails(**values)


def log(world: Coaching, **changes) -> CoachingSession:
    session = coaching.log_session(
        world.support, details(**changes), by=world.coach, today=local_today()
    )
    db.session.commit()
    return session


def total(person: User) -> Decimal:
    today = local_today()
    return record.year_summary(person.id, year_of(today), Decimal(35)).total


def problems(error: SessionRefused) -> dict[str, str]:
    return {problem.field: problem.message for problem in error.problems}


# --- logging ------------------------------------------------------------------------------


def test_the_coach_logs_a_session_and_the_coachee_is_asked_to_confirm(world):
    session = log(world)
    assert (session.coach_id, session.coachee_id) == (world.coach.id, world.coachee.id)
    assert (session.minutes, session.hours, session.confirmed_at) == (90, Decimal("1.50"), None)
    assert session.notes == NOTES and session.actions == ACTIONS
    [logged] = events("coaching_session.logged")
    assert logged.after["minutes"] == 90 and logged.after["topic"] == "Planning the first stage"
    assert NOTES not in str(logged.after) and ACTIONS not in str(logged.after)
    [mail] = db.session.scalars(select(OutboxMessage)).all()
    assert mail.recipient == world.coachee.email
    assert f"http://localhost/coaching/sessions/{session.id}" in mail.body_text
    assert NOTES not in mail.body_text and NOTES not in (mail.body_html or "")
    assert total(world.coachee) == 0  # not until confirmed


@pytest.mark.parametrize(
    "who", ["coachee", "lead", "admin"], ids=["the coachee", "the project lead", "an admin"]
)
def test_only_the_coach_logs_sessions(world, who):
    with pytest.raises(NotAllowed):
        coaching.log_session(world.support, details(), by=getattr(world, who), today=local_today())
    assert count(CoachingSession) == 0


@pytest.mark.parametrize(
    "change",
    [
        {"status": SupportStatus.REQUESTED},
        {"status": SupportStatus.DECLINED},
        {"coaching": False, "advice": True},
    ],
    ids=["requested", "declined", "not coaching"],
)
def test_only_an_accepted_coaching_support_has_sessions(world, change):
    for name, value in change.items():
        setattr(world.support, name, value)
    db.session.commit()
    with pytest.raises(NotAllowed):
        coaching.log_session(world.support, details(), by=world.coach, today=local_today())


def test_a_coach_cannot_coach_themself(world, make_project, make_support):
    own = make_support(make_project("Own project"), world.coach, responsible=world.coach)
    with pytest.raises(NotAllowed):
        coaching.log_session(own, details(), by=world.coach, today=local_today())


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"held_on": None}, "held_on", "Enter the date of the session"),
        ({"held_on": "tomorrow"}, "held_on", "must be today or in the past"),
        ({"held_on": "before"}, "held_on", "when the coaching began"),
        ({"minutes": None}, "minutes", "Enter how long the session lasted"),
        ({"minutes": 0}, "minutes", "from 1 to 600 minutes"),
        ({"minutes": 601}, "minutes", "from 1 to 600 minutes"),
        ({"topic": "  "}, "topic", "Enter the topic"),
        ({"topic": "x" * 191}, "topic", "190 characters or fewer"),
        ({"actions": "x" * 5001}, "actions", "5000 characters or fewer"),
        ({"notes": "x" * 10001}, "notes", "10000 characters or fewer"),
    ],
)
def test_a_sessions_details_are_checked_field_by_field(world, change, field, message):
    today = local_today()
    days = {"tomorrow": today + timedelta(days=1), "before": world.support.starts_on - timedelta(1)}
    if change.get("held_on") in days:
        change = {"held_on": days[change["held_on"]]}
    with pytest.raises(SessionRefused) as refused:
        coaching.log_session(world.support, details(**change), by=world.coach, today=today)
    assert message in problems(refused.value)[field]


def test_the_boundaries_are_allowed(world):
    log(world, minutes=1, held_on=world.support.starts_on, topic="x" * 190)
    log(world, minutes=600, actions="x" * 5000, notes="y" * 10000)
    assert count(CoachingSession) == 2


def test_a_session_after_the_support_ended_is_refused(world):
    world.support.ends_on = local_today() - timedelta(days=1)
    db.session.commit()
    with pytest.raises(SessionRefused) as refused:
        coaching.log_session(world.support, details(), by=world.coach, today=local_today())
    assert "when the coaching ended" in problems(refused.value)["held_on"]


def test_minutes_are_read_as_plain_whole_numbers():
    assert coaching.parse_minutes(" 45 ") == 45
    for text in ("abc", "1.5", "-5", "", "²", "1e3", "9" * 20):
        assert coaching.parse_minutes(text) is None, text


# --- confirming: the coachee's CPD ----------------------------------------------------------


def test_confirming_puts_the_hours_in_the_coachees_cpd_exactly_once(world):
    session = log(world, minutes=90)
    before = total(world.coachee)
    entry = coaching.confirm(session, by=world.coachee, now=utcnow())
    db.session.commit()
    assert session.confirmed_at is not None
    assert (entry.learner_id, entry.source) == (world.coachee.id, EntrySource.COACHING_RECEIVED)
    assert (entry.title, entry.hours, entry.provider, entry.activity_on) == (
        "Coaching: Planning the first stage",
        Decimal("1.50"),
        "Cerys Coach",
        session.held_on,
    )
    assert total(world.coachee) == before + Decimal("1.5")
    with pytest.raises(DomainError, match="already confirmed"):
        coaching.confirm(session, by=world.coachee, now=utcnow())
    db.session.rollback()
    assert count(CpdEntry) == 1
    assert total(world.coachee) == before + Decimal("1.5")
    assert total(world.coach) == 0  # the coach adds theirs themself
    assert len(events("coaching_session.confirmed")) == 1


@pytest.mark.parametrize("who", ["coach", "lead", "admin"])
def test_only_the_coachee_confirms(world, who):
    session = log(world)
    with pytest.raises(NotAllowed):
        coaching.confirm(session, by=getattr(world, who), now=utcnow())
    db.session.rollback()
    assert session.confirmed_at is None and count(CpdEntry) == 0


def test_two_confirmations_at_once_make_one_entry(app, world):
    session_id, coachee_id = log(world).id, world.coachee.id
    db.session.rollback()  # this test's connection holds nothing while the two race
    start = Barrier(2)

    def confirm_once(_):
        with app.app_context():
            try:
                session = db.session.get(CoachingSession, session_id)
                start.wait()
                coaching.confirm(session, by=db.session.get(User, coachee_id), now=utcnow())
                db.session.commit()
                return "confirmed"
            except DomainError as error:
                db.session.rollback()
                return str(error)
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(confirm_once, range(2)))
    assert outcomes == ["You have already confirmed this session", "confirmed"]
    db.session.expire_all()
    assert count(CpdEntry) == 1
    assert total(world.coachee) == Decimal("1.5")


# --- changing and deleting ------------------------------------------------------------------


def test_changing_a_confirmed_session_takes_its_confirmation_back(world, smtp):
    """The coach never changes the coachee's CPD record: a confirmed session changed in
    its date, length or topic leaves both records and is confirmed again."""
    session = log(world, minutes=90)
    coaching.confirm(session, by=world.coachee, now=utcnow())
    coaching.add_to_my_cpd(session, by=world.coach)
    db.session.commit()
    assert total(world.coachee) == Decimal("1.5")
    earlier = local_today() - timedelta(days=2)
    coaching.change_session(
        session,
        details(minutes=600, topic="Risks", held_on=earlier, notes="New private words"),
        by=world.coach,
        today=local_today(),
    )
    db.session.commit()
    changed_session = db.session.get(CoachingSession, session.id)
    assert changed_session.confirmed_at is None
    assert changed_session.coachee_entry_id is None and changed_session.coach_entry_id is None
    assert count(CpdEntry) == 0
    assert total(world.coachee) == Decimal(0)
    [changed] = events("coaching_session.changed")
    assert changed.before["minutes"] == 90 and changed.after["minutes"] == 600
    assert changed.after["notes_changed"] is True and "actions_changed" not in changed.after
    assert changed.after["confirmation"] == "asked again"
    assert "New private words" not in str(changed.after) and NOTES not in str(changed.before)
    coaching.confirm(changed_session, by=world.coachee, now=utcnow())
    db.session.commit()
    assert total(world.coachee) == Decimal(10)


def test_changing_only_the_notes_keeps_the_confirmation(world):
    session = log(world, minutes=90)
    coaching.confirm(session, by=world.coachee, now=utcnow())
    db.session.commit()
    coaching.change_session(
        session, details(minutes=90, notes="More"), by=world.coach, today=local_today()
    )
    db.session.commit()
    assert db.session.get(CoachingSession, session.id).confirmed_at is not None
    assert total(world.coachee) == Decimal("1.5")


def test_only_the_coach_changes_a_session(world):
    session = log(world)
    for person in (world.coachee, world.admin, world.lead):
        with pytest.raises(NotAllowed):
            coaching.change_session(session, details(minutes=5), by=person, today=local_today())
        db.session.rollback()
    assert db.session.get(CoachingSession, session.id).minutes == 90


def test_a_change_is_checked_like_a_new_session(world):
    session = log(world)
    with pytest.raises(SessionRefused) as refused:
        coaching.change_session(session, details(minutes=0), by=world.coach, today=local_today())
    assert "minutes" in problems(refused.value)


@pytest.mark.parametrize("who", ["coach", "admin"])
def test_deleting_a_session_takes_its_hours_out_of_cpd(world, who):
    session = log(world, minutes=120)
    other = log(world, minutes=30)
    for each in (session, other):
        coaching.confirm(each, by=world.coachee, now=utcnow())
    coaching.add_to_my_cpd(session, by=world.coach)
    db.session.commit()
    assert total(world.coachee) == Decimal("2.5") and total(world.coach) == Decimal("2")
    coaching.delete_session(session, by=getattr(world, who))
    db.session.commit()
    assert total(world.coachee) == Decimal("0.5") and total(world.coach) == 0
    assert count(CoachingSession) == 1 and count(CpdEntry) == 1
    [deleted] = events("coaching_session.deleted")
    assert deleted.before["minutes"] == 120 and NOTES not in str(deleted.before)


@pytest.mark.parametrize("who", ["coachee", "lead"])
def test_nobody_else_deletes_a_session(world, who):
    session = log(world)
    with pytest.raises(NotAllowed):
        coaching.delete_session(session, by=getattr(world, who))
    db.session.rollback()
    assert count(CoachingSession) == 1


# --- the coach's own CPD --------------------------------------------------------------------


def test_the_coach_adds_coaching_given_once_after_confirmation(world):
    session = log(world, minutes=60)
    with pytest.raises(DomainError, match="must confirm"):
        coaching.add_to_my_cpd(session, by=world.coach)
    db.session.rollback()
    coaching.confirm(session, by=world.coachee, now=utcnow())
    entry = coaching.add_to_my_cpd(session, by=world.coach)
    db.session.commit()
    assert (entry.learner_id, entry.source, entry.provider, entry.hours) == (
        world.coach.id,
        EntrySource.COACHING_GIVEN,
        "Dev Patel",
        Decimal("1.00"),
    )
    assert total(world.coach) == 1
    with pytest.raises(DomainError, match="already in your CPD record"):
        coaching.add_to_my_cpd(session, by=world.coach)
    db.session.rollback()
    with pytest.raises(NotAllowed):
        coaching.add_to_my_cpd(session, by=world.coachee)
    db.session.rollback()
    assert count(CpdEntry, CpdEntry.source == EntrySource.COACHING_GIVEN) == 1
    assert total(world.coachee) == 1  # the coachee's own, unchanged


# --- what the pages list --------------------------------------------------------------------


def test_a_coach_sees_each_coachee_with_their_sessions(
    world, make_user, make_project, make_support
):
    other = make_user("other@example.nhs.uk", full_name="Aled Jones")
    quiet = make_support(make_project("Ward move"), other, responsible=world.coach)
    make_support(
        make_project("Not accepted"), other, responsible=world.coach, status=SupportStatus.REQUESTED
    )
    make_support(make_project("Someone else's"), other, responsible=world.admin)
    session = log(world, minutes=90)
    log(world, minutes=30)
    coaching.confirm(session, by=world.coachee, now=utcnow())
    db.session.commit()
    rows = coaching.coachees_of(world.coach)
    assert [(row.support.id, row.sessions, row.hours, row.unconfirmed) for row in rows] == [
        (quiet.id, 0, Decimal("0.00"), 0),  # Aled before Dev
        (world.support.id, 2, Decimal("2.00"), 1),
    ]
    assert coaching.coachees_of(world.coachee) == []


def test_a_coachee_sees_their_sessions_newest_first(world):
    older = log(world, held_on=local_today() - timedelta(days=3))
    newer = log(world)
    found = db.session.scalars(coaching.sessions_of_coachee(world.coachee)).all()
    assert [session.id for session in found] == [newer.id, older.id]
    assert db.session.scalars(coaching.sessions_of_coachee(world.coach)).all() == []
