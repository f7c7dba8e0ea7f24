"""iCalendar files: a cohort's sessions, and each learner's personal feed at a secret address.

A cohort's online meeting link goes only into the calendars of those who may join the
meeting (`access.may_see_joining_link`); anyone else's event says where to find it.
"""

from __future__ import annotations

import hmac
from collections.abc import Container, Iterable

from flask import current_app
from icalendar import Calendar, Event
from sqlalchemy import Row, and_, or_, select
from sqlalchemy.orm import selectinload

from courses.cohorts.access import JOINING_LINK_WITHHELD, may_see_joining_link
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
from lms.core import tokens
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.web.forms import one_line

PRODUCT_ID = "-//NHS PMO//Learning and CPD//EN"
CONTENT_TYPE = "text/calendar; charset=utf-8"


def _uid(session: Session) -> str:
    """Stable across downloads, so calendar apps update an event instead of duplicating it."""
    return f"cohort-session-{session.id}@lms.pmo.nhs.uk"


def _event(session: Session, cohort: Cohort, stamp, *, joining_link: bool) -> Event:
    event = Event()
    event.add("uid", _uid(session))
    event.add("dtstamp", stamp)
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    event.add("summary", f"{one_line(cohort.course.title)}: {one_line(session.title)}")
    link = cohort.online_link if joining_link else None
    online = "Online" if cohort.online_link else None
    location = session.location or cohort.venue or link or online
    if location:
        event.add("location", one_line(location))
    description = [f"Cohort {one_line(cohort.code)}"]
    if link:
        description.append(f"Join online: {one_line(link)}")
    elif cohort.online_link:
        description.append(f"Online: {JOINING_LINK_WITHHELD}.")
    event.add("description", "\n".join(description))
    cancelled = session.cancelled or cohort.status == CohortStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("sequence", 1 if cancelled else 0)
    return event


def render(sessions: Iterable[Session], name: str, *, joining_links: Container[int]) -> bytes:
    """An iCalendar document of these sessions (times in UTC, which every client reads);
    the online meeting link appears only for the cohorts whose ids are in `joining_links`.

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
        joining_link = session.cohort_id in joining_links
        calendar.add_component(_event(session, session.cohort, stamp, joining_link=joining_link))
    return calendar.to_ical()


def cohort_calendar(cohort: Cohort, *, joining_link: bool) -> bytes:
    """The cohort's sessions; with the online meeting link only if `joining_link` (see
    `access.may_see_joining_link`)."""
    return render(
        cohort.sessions,
        f"{one_line(cohort.course.title)} ({cohort.code})",
        joining_links={cohort.id} if joining_link else (),
    )


def enrolment_calendar(enrolment: Enrolment) -> bytes:
    """The cohort's sessions as the enrolment's learner may see them (mail attaches it)."""
    cohort = enrolment.cohort
    may_join = may_see_joining_link(enrolment.learner, cohort, enrolment.status)
    return cohort_calendar(cohort, joining_link=may_join)


def personal_sessions(user: User) -> list[Session]:
    """Sessions of the cohorts this person holds a seat on, cancelled ones included."""
    return [session for session, _ in _personal_places(user)]


def _personal_places(user: User) -> list[Row[tuple[Session, EnrolmentStatus]]]:
    """`personal_sessions`, each with the status of the person's enrolment on its cohort."""
    return list(
        db.session.execute(
            select(Session, Enrolment.status)
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
            .options(
                selectinload(Session.cohort).options(
                    selectinload(Cohort.course), selectinload(Cohort.trainers)
                )
            )
            .order_by(Session.starts_at)
        )
    )


def personal_calendar(user: User) -> bytes:
    """The person's sessions; the online meeting link where `may_see_joining_link` allows."""
    places = _personal_places(user)
    joining_links = {
        session.cohort_id
        for session, status in places
        if may_see_joining_link(user, session.cohort, status)
    }
    return render(
        [session for session, _ in places],
        f"{current_app.config['SERVICE_NAME']}: my sessions",
        joining_links=joining_links,
    )


def find_feed(user: User) -> CalendarFeed | None:
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def _new_secret(feed: CalendarFeed) -> None:
    """A fresh reference, and the digest of the token derived from it; the token itself
    is never stored (`CalendarFeed.token` derives it again)."""
    feed.reference = tokens.new_reference()
    feed.token_hash = tokens.digest(tokens.derive(CalendarFeed.PURPOSE, feed.reference))


def issue_feed(user: User) -> tuple[CalendarFeed, bool]:
    """Gives the person a secret feed address, or a new one (the old one stops working at
    once); returns the feed and whether an older address was retired."""
    feed = find_feed(user)
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        _new_secret(feed)
        db.session.add(feed)
        db.session.flush()
        audit.record(user, "calendar_feed.created", feed)
        return feed, False
    _new_secret(feed)
    audit.record(user, "calendar_feed.regenerated", feed)
    return feed, True


def user_for_feed(token: str) -> User | None:
    """The active person whose feed address carries this token, found by its digest.

    A feed made before tokens were derived has only the digest of its old token, which
    still works. Any other token must also be the one its reference derives under the
    current SECRET_KEY, so a new key retires addresses a copy of the old one could make.
    """
    found = db.session.execute(
        select(User, CalendarFeed.reference)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(CalendarFeed.token_hash == tokens.digest(token), User.is_active_account.is_(True))
    ).first()
    if found is None:
        return None
    user, reference = found
    if reference is not None and not hmac.compare_digest(
        tokens.derive(CalendarFeed.PURPOSE, reference), token
    ):
        return None
    return user
