"""What a trust's history leaves behind: audit events for people, courses, cohorts and
enrolments; the mail that went out (sent long ago, nothing left to send); calendar feeds."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from courses.models import CalendarFeed
from lms.audit.audit import AuditEvent, is_security_action
from lms.auth.accounts import INVITATION
from lms.auth.models import PasswordToken
from lms.core import tokens
from lms.core.outbox import FAILED, SENT, OutboxMessage
from lms.scale.world import LEARNER, World

FEED_SHARE = 0.05  # of staff who subscribe to their calendar


def audit_row(
    world: World,
    when: datetime,
    actor_id: int | None,
    action: str,
    entity_type: str,
    entity_id: int,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> dict:
    """An audit_event row as `lms.audit.audit.build` would make it, for bulk insert."""
    return {
        "occurred_at": when,
        "actor_id": actor_id,
        "actor_label": world.people[actor_id - 1].email if actor_id else "system",
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "before": before,
        "after": after,
        "ip_address": "10.20.30.40" if actor_id and is_security_action(action) else None,
    }


def seed(world: World) -> None:
    world.writer.insert(AuditEvent.__table__, _events(world))
    world.writer.insert(OutboxMessage.__table__, _mail(world))
    world.writer.insert(PasswordToken.__table__, _invitations(world))
    _calendar_feeds(world)


def _events(world: World):
    admin = world.admin_ids[0]
    for person in world.people:
        yield audit_row(
            world, world.now - timedelta(days=1500), admin, "user.created", "User", person.id,
            after={"email": person.email},
        )  # fmt: skip
    for cohort in world.cohorts:
        created = cohort.starts_at - timedelta(days=70)
        after = {"code": cohort.code, "capacity": cohort.capacity}
        yield audit_row(world, created, admin, "cohort.created", "Cohort", cohort.id, after=after)
        for session in cohort.sessions:
            after = {"starts_at": session.starts_at.isoformat()}
            yield audit_row(
                world, created, admin, "session.created", "Session", session.id, after=after
            )
    for enrolment in world.enrolments:
        after = {"status": "requested", "cohort": enrolment.cohort.id}
        yield audit_row(
            world, enrolment.requested_at, enrolment.learner_id, "enrolment.requested",
            "Enrolment", enrolment.id, after=after,
        )  # fmt: skip
        if enrolment.status != "pending_approval":
            when = enrolment.ended_at or enrolment.confirmed_at or enrolment.requested_at
            after = {"status": str(enrolment.status), "cohort": enrolment.cohort.id}
            yield audit_row(
                world, when, enrolment.learner_id, f"enrolment.{enrolment.status}",
                "Enrolment", enrolment.id, after=after,
            )  # fmt: skip


def _mail(world: World):
    """One message per enrolment, long since sent; one in a thousand failed for good."""
    for enrolment in world.enrolments:
        person = world.people[enrolment.learner_id - 1]
        sent_at = enrolment.requested_at + timedelta(minutes=1)
        failed = world.rng.random() < 0.001
        yield {
            "created_at": enrolment.requested_at,
            "recipient": person.email,
            "subject": f"Your request for {enrolment.cohort.code}",
            "body_text": (
                f"We have your request for a place on {enrolment.cohort.code}.\n\n"
                "You can see your courses at any time on My learning.\n"
            ),
            "body_html": None,
            "attachments": None,
            "status": FAILED if failed else SENT,
            "attempts": 8 if failed else 1,
            "next_attempt_at": sent_at,
            "last_error": "550 5.1.1 mailbox unavailable" if failed else None,
            "sent_at": None if failed else sent_at,
        }


def _invitations(world: World):
    """Everyone with a password came in through an invitation; a third of the rest were
    invited and have not answered (their links expired)."""
    for person in world.people:
        if not person.has_password and world.rng.random() > 1 / 3:
            continue
        sent = person.created_at + timedelta(days=1)
        yield {
            "user_id": person.id,
            "purpose": INVITATION,
            "token_hash": _made_up_secret(world, person.id),
            "created_at": sent,
            "expires_at": sent + timedelta(days=7),
            "used_at": sent + timedelta(hours=3) if person.has_password else None,
        }


def _calendar_feeds(world: World) -> None:
    """Feeds for a few staff and the demo learner."""
    subscribers = [world.demo[LEARNER]]
    subscribers += [
        person.id for person in world.people[len(world.demo) :] if world.rng.random() < FEED_SHARE
    ]
    ids = world.writer.ids(CalendarFeed.__table__, len(subscribers))
    world.writer.insert(
        CalendarFeed.__table__,
        (
            _calendar_feed_row(id_, _made_up_secret(world, user_id)[:32], user_id)
            for id_, user_id in zip(ids, subscribers, strict=True)
        ),
    )


def _calendar_feed_row(id_: int, reference: str, user_id: int) -> dict:
    """A feed as `calendars.issue_feed` makes it: its address derives from the reference."""
    token = tokens.derive(CalendarFeed.PURPOSE, reference)
    return {
        "id": id_,
        "user_id": user_id,
        "reference": reference,
        "token_hash": tokens.digest(token),
    }


def _made_up_secret(world: World, user_id: int) -> str:
    """A token-shaped value from the seed, so a seeded database is the same every time;
    it opens nothing outside that database."""
    return hashlib.sha256(f"{world.rng.random()}:{user_id}".encode()).hexdigest()
