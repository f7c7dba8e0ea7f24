"""The coaching log: within an accepted coaching support, the coach records sessions, the
coachee confirms them, and confirmed hours reach the two people's CPD records.

A coaching support is a `Support` asking for coaching that the PMO accepted: its
`responsible` person is the coach and whoever asked for it (`requested_by`) the coachee.
A session's notes are the two's alone: no page shows them to anyone else and the audit
log never holds them (nor the agreed actions, which are theirs too).

Confirming puts the session in the coachee's CPD record as "coaching received", exactly
once: the session's row is locked while it is confirmed, so a second click, or a second
request racing the first, finds it confirmed. Changing a confirmed session's date, length
or topic takes the confirmation back (its hours leave both records until the coachee
confirms it again): the coach never changes the coachee's CPD record. Deleting a session
takes its hours out of both records.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import contains_eager, defer, joinedload

from lms.audit import audit
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.locks import lock_rows
from lms.core.outbox import queue_mail
from lms.cpd.models import CpdEntry, EntrySource
from lms.cpd.record import CoachingFacts, record_coaching, remove_coaching
from lms.projects.models import CoachingSession, Support, SupportStatus
from lms.web.urls import external_url

FEWEST_MINUTES = 1
MOST_MINUTES = 600  # ten hours: the table refuses more too
TOPIC_LENGTH = 190  # its CPD entry's title is "Coaching: <topic>", at most 200
ACTIONS_LENGTH = 5000
NOTES_LENGTH = 10000
_WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class SessionRefused(DomainError):
    """A session's details were refused; `problems` says what is wrong with each field."""

    def __init__(self, problems: list[DomainError]):
        super().__init__(problems[0].message if problems else "The session was refused")
        self.problems = problems


class NotAllowed(DomainError):
    """The person is not the one the rule names (the coach, the coachee)."""


@dataclass
class SessionDetails:
    """What the coach says about a session (the form's fields)."""

    held_on: date | None
    minutes: int | None
    topic: str
    actions: str = ""
    notes: str = ""


def parse_minutes(text: str) -> int | None:
    """ "45" as 45; None for anything that is not a plain whole number."""
    text = (text or "").strip()
    return int(text) if _WHOLE_NUMBER.fullmatch(text) else None


# --- who is who -----------------------------------------------------------------------------


def is_coaching(support: Support) -> bool:
    """A support the coaching log works in: coaching, accepted, with a coach named."""
    return (
        support.coaching
        and support.status == SupportStatus.ACCEPTED
        and support.responsible_id is not None
    )


def is_coach_of(support: Support, user: User) -> bool:
    return is_coaching(support) and support.responsible_id == user.id


def sees_support(support: Support, user: User) -> bool:
    """The coach, the coachee or an admin: the support's sessions, never their notes."""
    return is_coaching(support) and (
        user.is_admin or user.id in (support.responsible_id, support.requested_by_id)
    )


def is_party_to(session: CoachingSession, user: User) -> bool:
    """The coach or the coachee: the only two who see a session and its notes."""
    return user.id in (session.coach_id, session.coachee_id)


def may_delete(session: CoachingSession, user: User) -> bool:
    return user.id == session.coach_id or user.is_admin


def may_confirm(session: CoachingSession, user: User) -> bool:
    """The coachee, while the session is not yet confirmed."""
    return user.id == session.coachee_id and session.confirmed_at is None


def may_add_to_cpd(session: CoachingSession, user: User) -> bool:
    """The coach, once the coachee has confirmed, if it is not in their record yet."""
    return (
        user.id == session.coach_id
        and session.confirmed_at is not None
        and session.coach_entry_id is None
    )


# --- checking -------------------------------------------------------------------------------


def session_problems(
    support: Support, details: SessionDetails, *, today: date
) -> list[DomainError]:
    """Everything wrong with a session's details, each by its field, in plain English."""
    problems: list[DomainError] = []

    def refuse(field: str, message: str) -> None:
        problems.append(DomainError(message, field=field))

    held_on = details.held_on
    if held_on is None:
        refuse("held_on", "Enter the date of the session")
    elif held_on > today:
        refuse("held_on", "The date of the session must be today or in the past")
    elif support.starts_on is not None and held_on < support.starts_on:
        refuse(
            "held_on",
            f"The date must be on or after {_day(support.starts_on)}, when the coaching began",
        )
    elif support.ends_on is not None and held_on > support.ends_on:
        refuse(
            "held_on",
            f"The date must be on or before {_day(support.ends_on)}, when the coaching ended",
        )
    if details.minutes is None:
        refuse("minutes", "Enter how long the session lasted in minutes, like 45")
    elif not FEWEST_MINUTES <= details.minutes <= MOST_MINUTES:
        refuse(
            "minutes",
            f"Enter a length from {FEWEST_MINUTES} to {MOST_MINUTES} minutes (10 hours)",
        )
    topic = (details.topic or "").strip()
    if not topic:
        refuse("topic", "Enter the topic of the session")
    elif len(topic) > TOPIC_LENGTH:
        refuse("topic", f"Enter a topic of {TOPIC_LENGTH} characters or fewer")
    if len(details.actions or "") > ACTIONS_LENGTH:
        refuse("actions", f"Enter agreed actions of {ACTIONS_LENGTH} characters or fewer")
    if len(details.notes or "") > NOTES_LENGTH:
        refuse("notes", f"Enter notes of {NOTES_LENGTH} characters or fewer")
    return problems


def _day(day: date) -> str:
    return day.strftime("%-d %B %Y")


def _refuse_problems(support: Support, details: SessionDetails, today: date) -> None:
    problems = session_problems(support, details, today=today)
    if problems:
        raise SessionRefused(problems)


def _apply(session: CoachingSession, details: SessionDetails) -> None:
    session.held_on = details.held_on
    session.minutes = details.minutes
    session.topic = details.topic.strip()
    session.actions = (details.actions or "").strip()
    session.notes = (details.notes or "").strip()


def audit_facts(session: CoachingSession) -> dict:
    """What the audit log keeps of a session: never its notes or agreed actions."""
    return {
        "support_id": session.support_id,
        "coachee_id": session.coachee_id,
        "held_on": session.held_on.isoformat() if session.held_on else None,
        "minutes": session.minutes,
        "topic": session.topic,
        "confirmed": session.confirmed_at is not None,
    }


# --- the coach's log -----------------------------------------------------------------------


def log_session(
    support: Support, details: SessionDetails, *, by: User, today: date
) -> CoachingSession:
    """Records a session of the support's coach with its coachee, and asks the coachee by
    mail to confirm they attended."""
    if not is_coach_of(support, by):
        raise NotAllowed("Only the coach of an accepted coaching support can log its sessions")
    if support.requested_by_id == by.id:
        raise NotAllowed("The coach and the coachee must be different people")
    _refuse_problems(support, details, today)
    session = CoachingSession(
        support_id=support.id, coach_id=by.id, coachee_id=support.requested_by_id
    )
    _apply(session, details)
    db.session.add(session)
    db.session.flush()
    audit.record(by, "coaching_session.logged", session, None, audit_facts(session))
    _ask_to_confirm(session)
    return session


def _ask_to_confirm(session: CoachingSession) -> None:
    """Mails the coachee a link to confirm they attended."""
    queue_mail(
        session.coachee.email,
        f"Please confirm your coaching session on {_day(session.held_on)}",
        "projects/mail/coaching_confirm",
        coach=session.coach,
        coachee=session.coachee,
        session=session,
        session_link=external_url("coaching.session", coaching_session_id=session.id),
    )


def change_session(
    session: CoachingSession, details: SessionDetails, *, by: User, today: date
) -> None:
    """The coach corrects a session. Changing a confirmed session's date, length or
    topic takes back the coachee's confirmation: its hours leave both CPD records and the
    coachee is asked to confirm it again, so no one changes another's CPD record."""
    if by.id != session.coach_id:
        raise NotAllowed("Only the coach can change this session")
    session = _locked(session.id)
    _refuse_problems(session.support, details, today)
    before = audit_facts(session)
    before_private = (session.actions, session.notes)
    _apply(session, details)
    after = audit_facts(session)
    # Whether the private parts changed, never what they say.
    for key, old, new in zip(
        ("actions_changed", "notes_changed"),
        before_private,
        (session.actions, session.notes),
        strict=True,
    ):
        before[key], after[key] = False, old != new
    facts_changed = any(before[key] != after[key] for key in ("held_on", "minutes", "topic"))
    if session.confirmed_at is not None and facts_changed:
        entries = [entry for entry, _ in _entries_with_providers(session)]
        session.confirmed_at = None
        session.coachee_entry = session.coach_entry = None
        db.session.flush()
        for entry in entries:
            remove_coaching(entry)
        before["confirmation"], after["confirmation"] = "confirmed", "asked again"
        _ask_to_confirm(session)
    db.session.flush()
    audit.record_changes(by, "coaching_session.changed", session, before, after)


def delete_session(session: CoachingSession, *, by: User) -> None:
    """The coach (or an admin) deletes a session; its hours leave both CPD records."""
    if not may_delete(session, by):
        raise NotAllowed("Only the coach or an admin can delete this session")
    session = _locked(session.id)
    entries = [entry for entry, _ in _entries_with_providers(session)]
    audit.record(by, "coaching_session.deleted", session, audit_facts(session), None)
    db.session.delete(session)
    db.session.flush()
    for entry in entries:
        remove_coaching(entry)


# --- confirming and CPD --------------------------------------------------------------------


def confirm(session: CoachingSession, *, by: User, now: datetime) -> CpdEntry:
    """The coachee confirms they attended, once: the session's hours go into their CPD
    record as coaching received, with the coach as the provider.

    Locks the session's row: a second confirmation, however close behind, waits and is
    then refused, so the hours are never recorded twice."""
    if by.id != session.coachee_id:
        raise NotAllowed("Only the coachee can confirm this session")
    session = _locked(session.id)
    if session.confirmed_at is not None:
        raise DomainError("You have already confirmed this session")
    session.confirmed_at = now
    session.coachee_entry = record_coaching(
        session.coachee_id,
        EntrySource.COACHING_RECEIVED,
        _facts(session, session.coach.full_name),
    )
    db.session.flush()
    audit.record(by, "coaching_session.confirmed", session, None, {"hours": str(session.hours)})
    return session.coachee_entry


def add_to_my_cpd(session: CoachingSession, *, by: User) -> CpdEntry:
    """The coach adds a confirmed session to their own CPD record as coaching given, with
    the coachee as the provider; once."""
    if by.id != session.coach_id:
        raise NotAllowed("Only the coach can add this session to their CPD record")
    session = _locked(session.id)
    if session.confirmed_at is None:
        raise DomainError(
            "The coachee must confirm the session before you add it to your CPD record"
        )
    if session.coach_entry_id is not None:
        raise DomainError("This session is already in your CPD record")
    session.coach_entry = record_coaching(
        session.coach_id, EntrySource.COACHING_GIVEN, _facts(session, session.coachee.full_name)
    )
    db.session.flush()
    audit.record(by, "coaching_session.added_to_cpd", session, None, {"hours": str(session.hours)})
    return session.coach_entry


def _facts(session: CoachingSession, provider: str) -> CoachingFacts:
    return CoachingFacts(
        title=f"Coaching: {session.topic}",
        held_on=session.held_on,
        hours=session.hours,
        provider=provider,
    )


def _entries_with_providers(session: CoachingSession) -> list[tuple[CpdEntry, str]]:
    """The session's CPD entries, each with the name its record gives as provider."""
    found = []
    if session.coachee_entry is not None:
        found.append((session.coachee_entry, session.coach.full_name))
    if session.coach_entry is not None:
        found.append((session.coach_entry, session.coachee.full_name))
    return found


def _locked(session_id: int) -> CoachingSession:
    """The session, locked until the transaction ends and read afresh after the lock."""
    lock_rows(CoachingSession, [session_id])
    session = db.session.execute(
        select(CoachingSession)
        .where(CoachingSession.id == session_id)
        .options(
            joinedload(CoachingSession.support),
            joinedload(CoachingSession.coach),
            joinedload(CoachingSession.coachee),
            joinedload(CoachingSession.coachee_entry),
            joinedload(CoachingSession.coach_entry),
        )
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if session is None:
        raise DomainError("This session has just been deleted")
    return session


# --- what the pages list -------------------------------------------------------------------


@dataclass(frozen=True)
class Coachee:
    """One coaching support as its coach sees it: who, which project, how far along."""

    support: Support
    sessions: int
    minutes: int
    unconfirmed: int

    @property
    def hours(self) -> Decimal:
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.01"))


def coachees_of(coach: User) -> list[Coachee]:
    """The coach's accepted coaching supports, coachee A to Z, with their sessions' counts
    and total length: one statement whatever the numbers."""
    totals = (
        select(
            CoachingSession.support_id,
            func.count(CoachingSession.id).label("sessions"),
            func.sum(CoachingSession.minutes).label("minutes"),
            func.sum(case((CoachingSession.confirmed_at.is_(None), 1), else_=0)).label(
                "unconfirmed"
            ),
        )
        .group_by(CoachingSession.support_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Support, totals.c.sessions, totals.c.minutes, totals.c.unconfirmed)
        .join(Support.requested_by)
        .outerjoin(totals, totals.c.support_id == Support.id)
        .options(contains_eager(Support.requested_by), joinedload(Support.project))
        .where(
            Support.responsible_id == coach.id,
            Support.coaching.is_(True),
            Support.status == SupportStatus.ACCEPTED,
        )
        .order_by(func.lower(User.full_name), Support.id)
    ).all()
    return [
        Coachee(support, sessions or 0, int(minutes or 0), int(unconfirmed or 0))
        for support, sessions, minutes, unconfirmed in rows
    ]


def sessions_of_coachee(coachee: User) -> Select:
    """The coachee's sessions, newest first, with their coach and project (their notes
    are left unread)."""
    return (
        select(CoachingSession)
        .options(
            defer(CoachingSession.notes, raiseload=True),
            joinedload(CoachingSession.coach),
            joinedload(CoachingSession.support).joinedload(Support.project),
        )
        .where(CoachingSession.coachee_id == coachee.id)
        .order_by(CoachingSession.held_on.desc(), CoachingSession.id.desc())
    )


def sessions_of_support(support: Support) -> Select:
    """A support's sessions, newest first; their notes are left unread, so no page
    listing them can show them (admins see this list)."""
    return (
        select(CoachingSession)
        .options(defer(CoachingSession.notes, raiseload=True))
        .where(CoachingSession.support_id == support.id)
        .order_by(CoachingSession.held_on.desc(), CoachingSession.id.desc())
    )


def support_totals(support: Support) -> tuple[int, Decimal, Decimal]:
    """(sessions, hours, confirmed hours) of a support: one statement."""
    sessions, minutes, confirmed = db.session.execute(
        select(
            func.count(CoachingSession.id),
            func.coalesce(func.sum(CoachingSession.minutes), 0),
            func.coalesce(
                func.sum(
                    case((CoachingSession.confirmed_at.is_not(None), CoachingSession.minutes))
                ),
                0,
            ),
        ).where(CoachingSession.support_id == support.id)
    ).one()
    return (
        sessions,
        (Decimal(minutes) / 60).quantize(Decimal("0.01")),
        (Decimal(confirmed) / 60).quantize(Decimal("0.01")),
    )
