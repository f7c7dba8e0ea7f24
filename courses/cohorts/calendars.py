"""iCalendar files: a cohort's sessions, and each learner's personal feed at a secret address."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from courses.models import (
    CalendarFeed,
    Cohort,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
    Session,
)
from lms.audit import audit
from lms.auth.models import User
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.web.forms import one_line

PRODUCT_ID = "-//NHS PMO//Learning and CPD//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def _uid(session: Session) -> str:
    """Stable across downloads, so calendar apps update an event instead of duplicating it."""
    return f"cohort-session-{session.id}@lms.pmo.nhs.uk"


def _event(session: Session, cohort: Cohort, stamp) -> Event:
    event = Event()
    event.add("uid", _uid(session))
    event.add("dtstamp", stamp)
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("summary", f"{one_line(cohort.course.title)}: {one_line(session.title)}")
    location = session.location or cohort.venue or cohort.online_link
    if location:
        event.add("location", one_line(location))
    description = [f"Cohort {one_line(cohort.code)}"]
    if cohort.online_link:
        description.append(f"Join online: {one_line(cohort.online_link)}")
    event.add("description", "\n".join(description))
    cancelled = session.cancelled or cohort.status == CohortStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("sequence", 1 if cancelled else 0)
    return event


def render(sessions: Iterable[Session], name: str) -> bytes:
    """An iCalendar document of these sessions (times in UTC, which every client reads).

    Every text is put on one line first (`one_line`): a line break in a title would
    otherwise break the file, and hidden characters have no place in a calendar.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", one_line(name))
    stamp = utcnow().replace(microsecond=0)
    for session in sessions:
        calendar.add_component(_event(session, session.cohort, stamp))
    return calendar.to_ical()


def cohort_calendar(cohort: Cohort) -> bytes:
    return render(cohort.sessions, f"{one_line(cohort.course.title)} ({cohort.code})")


def personal_sessions(user: User) -> list[Session]:
    """Sessions of the cohorts this person holds a seat on, cancelled ones included."""
    return list(
        db.session.scalars(
            select(Session)
            .join(Enrolment, Enrolment.cohort_id == Session.cohort_id)
            .join(Cohort, Cohort.id == Session.cohort_id)
            .where(
                Enrolment.learner_id == user.id,
                or_(
                    Enrolment.status.in_(
                        [
                            EnrolmentStatus.CONFIRMED,
                            EnrolmentStatus.COMPLETED,
                            EnrolmentStatus.NOT_COMPLETED,
                        ]
                    ),
                    and_(  # a cohort cancelled while they held a place
                        Cohort.status == CohortStatus.CANCELLED,
                        Enrolment.status == EnrolmentStatus.CANCELLED,
                        Enrolment.confirmed_at.is_not(None),
                    ),
                ),
            )
            .options(selectinload(Session.cohort).selectinload(Cohort.course))
            .order_by(Session.starts_at)
        )
    )


def personal_calendar(user: User) -> bytes:
    return render(personal_sessions(user), f"{current_app.config['SERVICE_NAME']}: my sessions")


def find_feed(user: User) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def issue_feed(user: User) -> tuple[CalendarFeed, bool]:
    """Gives the person a secret feed address, or a new one (the old one stops working at
    once); returns the feed and whether an older address was retired."""
    feed = find_feed(user)
    if feed is None:
        feed = CalendarFeed(user_id=user.id, token=secrets.token_urlsafe(32))
        db.session.add(feed)
        db.session.flush()
        audit.record(user, "calendar_feed.created", feed)
        return feed, False
    feed.token = secrets.token_urlsafe(32)
    audit.record(user, "calendar_feed.regenerated", feed)
    return feed, True


def user_for_feed(token: str) -> User | None:
    return db.session.scalar(
        select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token == token, User.is_active_account.is_(True))
    )
