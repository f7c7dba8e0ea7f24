"""Enrolling, cancelling, calendars, my learning and manager approval, through the browser's eyes.

courses/views/cohorts.py, courses/views/approvals.py, lms/home.py and their templates.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar
from sqlalchemy import select

from courses.cohorts import calendars, cohorts
from courses.models import (
    Cohort,
    CohortStatus,
    CourseStatus,
    Enrolment,
    EnrolmentStatus,
    Session,
)
from lms.auth.models import Role, User, UserRole
from lms.core import outbox
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from tests.helpers import links_in, log_in

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


# --- helpers -----------------------------------------------------------------------------


def text_of(response) -> str:
    """The page's visible text, tags removed and spaces collapsed."""
    body = response.get_data(as_text=True)
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.DOTALL)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def buttons(response) -> list[str]:
    found = re.findall(r"<button\b[^>]*>(.*?)</button>", response.get_data(as_text=True), re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", label)).split()) for label in found]


def aria_labels(response) -> list[str]:
    return [html.unescape(label) for label in re.findall(r'aria-label="([^"]*)"', response.text)]


def events(body: bytes) -> list:
    return Calendar.from_ical(body).walk("VEVENT")


def soon(days: int = 14):
    return utcnow().replace(second=0, microsecond=0) + days * DAY


def other_client(app, user):
    browser = app.test_client()
    assert log_in(browser, user.email).status_code == 302
    return browser


# --- the cohort page ---------------------------------------------------------------------


def test_the_cohort_page_shows_places_left_and_an_enrol_button(
    client, as_learner, course, make_cohort, make_enrolment
):
    cohort = make_cohort(course, capacity=3)
    make_enrolment(cohort)

    response = client.get(f"/cohorts/{cohort.id}")

    assert response.status_code == 200
    assert "Places left 2 of 3" in text_of(response)
    assert "Enrol" in buttons(response)


def test_enrolling_confirms_the_place_and_offers_a_cancel_button(
    client, as_learner, course, make_cohort
):
    cohort = make_cohort(course, capacity=3)

    response = client.post(f"/cohorts/{cohort.id}/enrol", follow_redirects=True)

    page = text_of(response)
    assert "Your place is confirmed. We have emailed you the details." in page
    assert "Places left 2 of 3" in page
    assert "Your place is confirmed." in page
    assert "Cancel my place" in buttons(response)
    assert "Enrol" not in buttons(response)
    row = db.session.scalar(select(Enrolment))
    assert (row.learner_id, row.status) == (as_learner.id, EnrolmentStatus.CONFIRMED)


def test_a_full_cohort_offers_the_waitlist_and_then_shows_the_position(
    client, as_learner, course, make_cohort, make_enrolment
):
    cohort = make_cohort(course, capacity=1)
    make_enrolment(cohort)
    make_enrolment(cohort, status=EnrolmentStatus.WAITLISTED)

    before = client.get(f"/cohorts/{cohort.id}")
    assert "Places left 0 of 1" in text_of(before)
    assert "Join the waitlist" in buttons(before)

    after = client.post(f"/cohorts/{cohort.id}/enrol", follow_redirects=True)

    page = text_of(after)
    assert "The cohort is full, so you are on the waitlist." in page
    assert "You are on the waitlist at position 2." in page
    assert "Cancel my request" in buttons(after)


@pytest.mark.parametrize(
    ("situation", "message"),
    [
        ("window closed", "Enrolment for this cohort is not open"),
        ("window not open yet", "Enrolment for this cohort is not open"),
        ("prerequisite missing", "You need to complete Risk basics before you can enrol"),
        ("cohort cancelled", "This cohort has been cancelled"),
        (
            "no line manager",
            "This course needs your line manager's approval, but we do not know who your line "
            "manager is. Contact the PMO team to have it added.",
        ),
    ],
)
def test_the_cohort_page_explains_why_the_learner_cannot_enrol(
    situation, message, client, as_learner, make_course, make_cohort
):
    now = utcnow()
    course_fields, cohort_fields = {}, {}
    if situation == "window closed":
        cohort_fields["enrolment_closes_at"] = now - HOUR
    elif situation == "window not open yet":
        cohort_fields["enrolment_opens_at"] = now + DAY
    elif situation == "prerequisite missing":
        course_fields["prerequisites"] = [make_course(title="Risk basics")]
    elif situation == "cohort cancelled":
        cohort_fields["status"] = CohortStatus.CANCELLED
    else:
        course_fields["requires_approval"] = True
    cohort = make_cohort(make_course(**course_fields), **cohort_fields)

    response = client.get(f"/cohorts/{cohort.id}")

    assert message in text_of(response)
    assert not {"Enrol", "Join the waitlist", "Ask to enrol"} & set(buttons(response))


def test_a_refused_enrolment_shows_the_reason_and_saves_nothing(
    client, as_learner, course, make_cohort
):
    cohort = make_cohort(course, enrolment_closes_at=utcnow() - HOUR)

    response = client.post(f"/cohorts/{cohort.id}/enrol", follow_redirects=True)

    assert "Important Enrolment for this cohort is not open" in text_of(response)
    assert db.session.scalar(select(Enrolment)) is None


def test_enrolling_twice_shows_already_enrolled(
    client, as_learner, course, make_cohort, make_enrolment
):
    cohort = make_cohort(course)
    make_enrolment(cohort, as_learner)

    response = client.post(f"/cohorts/{cohort.id}/enrol", follow_redirects=True)

    assert "You are already enrolled on this cohort" in text_of(response)


def test_a_learner_keeps_their_cohort_page_when_the_course_is_archived(
    client, as_learner, course, make_cohort, make_enrolment
):
    """Archiving keeps cohorts and records (catalogue.archive); home links to this page."""
    cohort = make_cohort(course)
    make_enrolment(cohort, as_learner)
    course.status = CourseStatus.ARCHIVED
    db.session.commit()

    response = client.get(f"/cohorts/{cohort.id}")

    assert response.status_code == 200
    assert "Your place is confirmed." in text_of(response)


# --- cancelling --------------------------------------------------------------------------


def test_cancelling_my_place_frees_it_for_the_waitlist(
    client, as_learner, course, make_cohort, make_enrolment
):
    cohort = make_cohort(course, capacity=1)
    mine = make_enrolment(cohort, as_learner)
    waiting = make_enrolment(cohort, status=EnrolmentStatus.WAITLISTED)

    response = client.post(f"/enrolments/{mine.id}/cancel")

    assert response.status_code == 302 and response.location == "/"
    assert "Your enrolment is now cancelled." in text_of(client.get("/"))
    assert (mine.status, waiting.status) == (EnrolmentStatus.CANCELLED, EnrolmentStatus.CONFIRMED)


def test_cancelling_someone_elses_enrolment_is_not_found_and_changes_nothing(
    client, as_learner, course, make_cohort, make_enrolment
):
    theirs = make_enrolment(make_cohort(course))

    response = client.post(f"/enrolments/{theirs.id}/cancel")

    assert response.status_code == 404
    assert theirs.status == EnrolmentStatus.CONFIRMED
    assert db.session.scalar(select(OutboxMessage)) is None


# --- calendars ---------------------------------------------------------------------------


def test_the_cohort_calendar_has_one_event_per_session_in_utc(
    client, as_learner, course, make_cohort
):
    start = soon()
    cohort = make_cohort(
        course, sessions=[(start, start + 3 * HOUR), (start + DAY, start + 25 * HOUR)]
    )

    response = client.get(f"/cohorts/{cohort.id}/calendar.ics")

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert f'filename="{cohort.code}.ics"' in response.headers["Content-Disposition"]
    found = events(response.data)
    assert [event.decoded("dtstart") for event in found] == [s.starts_at for s in cohort.sessions]
    assert [event.decoded("dtend") for event in found] == [s.ends_at for s in cohort.sessions]
    assert f"DTSTART:{start:%Y%m%dT%H%M%S}Z" in response.text
    assert [str(event["status"]) for event in found] == ["CONFIRMED", "CONFIRMED"]


def test_calendar_uids_stay_the_same_across_downloads(client, as_learner, course, make_cohort):
    start = soon()
    cohort = make_cohort(course, sessions=[(start, start + HOUR), (start + DAY, start + 25 * HOUR)])

    first = events(client.get(f"/cohorts/{cohort.id}/calendar.ics").data)
    second = events(client.get(f"/cohorts/{cohort.id}/calendar.ics").data)

    uids = [str(event["uid"]) for event in first]
    assert len(set(uids)) == 2
    assert uids == [str(event["uid"]) for event in second]


def test_a_cancelled_session_is_marked_cancelled_in_the_calendar(
    client, as_learner, course, make_cohort
):
    start = soon()
    cohort = make_cohort(course, sessions=[(start, start + HOUR), (start + DAY, start + 25 * HOUR)])
    cohort.sessions[1].cancelled = True
    db.session.commit()

    found = events(client.get(f"/cohorts/{cohort.id}/calendar.ics").data)

    assert [str(event["status"]) for event in found] == ["CONFIRMED", "CANCELLED"]


def feed_path(client) -> str:
    """The learner's secret feed address, as the calendar settings page shows it."""
    page = text_of(client.get("/calendar/"))
    if "Create my calendar address" in page:  # the address is made on request, by POST
        page = text_of(client.post("/calendar/", follow_redirects=True))
    return urlsplit(re.search(r"https?://\S+/calendar/\S+\.ics", page).group(0)).path


def test_the_personal_feed_lists_confirmed_sessions_only_without_logging_in(
    app, client, as_learner, make_course, make_cohort, make_enrolment
):
    course = make_course(title="Project management")
    start = soon()
    mine = make_cohort(course, sessions=[(start, start + HOUR), (start + DAY, start + 25 * HOUR)])
    mine.sessions[1].cancelled = True
    make_enrolment(mine, as_learner)
    for status in (
        EnrolmentStatus.WAITLISTED,
        EnrolmentStatus.PENDING_APPROVAL,
        EnrolmentStatus.CANCELLED,
        EnrolmentStatus.REJECTED,
        EnrolmentStatus.WITHDRAWN,
    ):
        make_enrolment(make_cohort(course), as_learner, status=status)
    make_enrolment(make_cohort(course))  # someone else's place
    path = feed_path(client)

    response = app.test_client().get(path)

    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    found = events(response.data)
    assert [event.decoded("dtstart") for event in found] == [s.starts_at for s in mine.sessions]
    assert [str(event["status"]) for event in found] == ["CONFIRMED", "CANCELLED"]


def test_a_waitlisted_learner_does_not_get_a_cancelled_cohort_in_their_feed(
    client, as_learner, admin, course, make_cohort, make_enrolment
):
    cohort = make_cohort(course, capacity=1)
    make_enrolment(cohort)
    make_enrolment(cohort, as_learner, status=EnrolmentStatus.WAITLISTED)
    cohorts.change_status(cohort, CohortStatus.CANCELLED, by=admin)
    db.session.commit()

    response = client.get(feed_path(client))

    assert events(response.data) == []


def test_an_unknown_feed_address_is_not_found(client):
    assert client.get("/calendar/not-a-real-token.ics").status_code == 404


def test_a_new_feed_address_retires_the_old_one(client, as_learner):
    old = feed_path(client)

    response = client.post("/calendar/", follow_redirects=True)

    assert "Your calendar has a new address. The old one no longer works." in text_of(response)
    new = feed_path(client)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200


def test_a_deactivated_learners_feed_stops_working(client, learner):
    token = calendars.issue_feed(learner)[0].token
    learner.is_active_account = False
    db.session.commit()

    assert client.get(f"/calendar/{token}.ics").status_code == 404


# --- my learning -------------------------------------------------------------------------


def test_home_shows_upcoming_sessions_enrolments_with_status_and_cancel_buttons(
    client, as_learner, make_course, make_cohort, make_enrolment
):
    titles = ["Project management", "Risk basics", "Leading change", "Benefits mapping"]
    confirmed, waitlisted, pending, cancelled = (
        make_cohort(make_course(title=title), capacity=1) for title in titles
    )
    make_enrolment(confirmed, as_learner)
    make_enrolment(waitlisted)
    make_enrolment(waitlisted, status=EnrolmentStatus.WAITLISTED, requested_at=utcnow() - DAY)
    make_enrolment(waitlisted, as_learner, status=EnrolmentStatus.WAITLISTED)
    make_enrolment(pending, as_learner, status=EnrolmentStatus.PENDING_APPROVAL)
    make_enrolment(cancelled, as_learner, status=EnrolmentStatus.CANCELLED)

    response = client.get("/")

    page = text_of(response)
    upcoming = page[page.index("Upcoming sessions") : page.index("My enrolments")]
    assert "Project management : Session 1" in upcoming
    assert "Risk basics" not in upcoming and "Leading change" not in upcoming
    for title, status in [
        ("Project management", "Confirmed"),
        ("Risk basics", "Waitlisted (position 2)"),
        ("Leading change", "Pending approval"),
        ("Benefits mapping", "Cancelled"),
    ]:
        assert re.search(rf"{title} , cohort (\S+) \1 \d+ \w+ \d{{4}} {re.escape(status)}", page), (
            title
        )
    cancel_labels = {label for label in aria_labels(response) if label.startswith("Cancel ")}
    assert cancel_labels == {
        f"Cancel {cohort.course.title} {cohort.code}" for cohort in (confirmed, waitlisted, pending)
    }


def test_a_manager_sees_their_reports_enrolments_and_requests_to_approve(
    app, make_user, manager, make_course, make_cohort, make_enrolment
):
    report = make_user(full_name="Rhys Patel", line_manager=manager)
    course = make_course(title="Leading change", requires_approval=True)
    make_enrolment(make_cohort(course), report, status=EnrolmentStatus.PENDING_APPROVAL)
    make_enrolment(make_cohort(make_course(title="Risk basics")), report)
    make_enrolment(make_cohort(make_course(title="Not my team")))

    response = other_client(app, manager).get("/")

    page = text_of(response)
    assert "1 request to approve from your team." in page
    assert 'href="/approvals/"' in response.text
    team = page[page.index("My team's training") :]
    assert "Rhys Patel Leading change" in team and "Pending approval" in team
    assert "Rhys Patel Risk basics" in team and "Confirmed" in team
    assert "Not my team" not in team


def test_a_managers_oldest_request_still_shows_among_many_team_enrolments(
    app, make_user, manager, make_course, make_cohort, make_enrolment
):
    report = make_user(line_manager=manager)
    course = make_course(requires_approval=True)
    make_enrolment(
        make_cohort(course),
        report,
        status=EnrolmentStatus.PENDING_APPROVAL,
        requested_at=utcnow() - DAY,
    )
    busy = make_cohort(make_course(), capacity=30)
    for _ in range(25):
        make_enrolment(busy, make_user(line_manager=manager))

    response = other_client(app, manager).get("/")

    assert "1 request to approve from your team." in text_of(response)


# --- manager approval end to end ---------------------------------------------------------


def attachments(message) -> list:
    return list(message.iter_attachments())


def test_manager_approval_end_to_end_with_mail(
    app, client, login, make_user, manager, make_course, make_cohort, smtp
):
    learner = make_user("rhys@example.nhs.uk", full_name="Rhys Patel", line_manager=manager)
    cohort = make_cohort(make_course(title="Leading change", requires_approval=True))
    login(learner)

    assert "Ask to enrol" in buttons(client.get(f"/cohorts/{cohort.id}"))
    asked = client.post(f"/cohorts/{cohort.id}/enrol", follow_redirects=True)
    assert "Your request has been sent to your line manager." in text_of(asked)
    assert "Your request is waiting for your line manager's approval." in text_of(asked)

    assert outbox.deliver_due() == 1
    [request_mail] = smtp
    assert request_mail["To"] == manager.email
    assert request_mail["Subject"] == "Rhys Patel asks to join Leading change"
    [link] = [link for link in links_in(request_mail) if "/approvals/" in link]

    manager_browser = other_client(app, manager)
    approvals_page = manager_browser.get(urlsplit(link).path)
    assert "Rhys Patel: Leading change" in text_of(approvals_page)
    request = db.session.scalar(select(Enrolment))
    decided = manager_browser.post(
        f"/approvals/{request.id}",
        data={f"r{request.id}-decision": "approve", f"r{request.id}-reason": ""},
        follow_redirects=True,
    )
    assert "You approved Rhys Patel's request." in text_of(decided)
    assert "There are no requests waiting for you." in text_of(decided)

    assert outbox.deliver_due() == 1
    confirmation = smtp[1]
    assert confirmation["To"] == learner.email
    assert confirmation["Subject"] == "Your place is confirmed: Leading change"
    [calendar_file] = attachments(confirmation)
    assert calendar_file.get_content_type() == "text/calendar"
    assert calendar_file.get_filename() == f"{cohort.code}.ics"
    assert len(events(calendar_file.get_payload(decode=True))) == 1
    assert request.status == EnrolmentStatus.CONFIRMED
    assert "Confirmed" in text_of(client.get("/"))


def test_rejecting_without_a_reason_is_refused(
    app, make_user, manager, make_course, make_cohort, make_enrolment
):
    report = make_user(full_name="Rhys Patel", line_manager=manager)
    request = make_enrolment(
        make_cohort(make_course(requires_approval=True)),
        report,
        status=EnrolmentStatus.PENDING_APPROVAL,
    )

    response = other_client(app, manager).post(
        f"/approvals/{request.id}",
        data={f"r{request.id}-decision": "reject", f"r{request.id}-reason": "  "},
    )

    assert response.status_code == 422
    assert "There is a problem Give a reason for rejecting the request" in text_of(response)
    assert request.status == EnrolmentStatus.PENDING_APPROVAL
    assert db.session.scalar(select(OutboxMessage)) is None


def test_rejecting_with_a_reason_tells_the_learner(
    app, make_user, manager, make_course, make_cohort, make_enrolment
):
    report = make_user(full_name="Rhys Patel", line_manager=manager)
    request = make_enrolment(
        make_cohort(make_course(title="Leading change", requires_approval=True)),
        report,
        status=EnrolmentStatus.PENDING_APPROVAL,
    )

    response = other_client(app, manager).post(
        f"/approvals/{request.id}",
        data={f"r{request.id}-decision": "reject", f"r{request.id}-reason": "Not this quarter"},
    )

    assert response.status_code == 302
    assert (request.status, request.decision_reason) == (
        EnrolmentStatus.REJECTED,
        "Not this quarter",
    )
    message = db.session.scalar(select(OutboxMessage))
    assert (message.recipient, message.subject) == (
        report.email,
        "Your request was not approved: Leading change",
    )


def test_only_the_line_manager_can_decide_a_request(
    client, as_learner, make_user, manager, make_course, make_cohort, make_enrolment
):
    report = make_user(line_manager=manager)
    request = make_enrolment(
        make_cohort(make_course(requires_approval=True)),
        report,
        status=EnrolmentStatus.PENDING_APPROVAL,
    )

    response = client.post(f"/approvals/{request.id}", data={f"r{request.id}-decision": "approve"})

    assert response.status_code == 404
    assert request.status == EnrolmentStatus.PENDING_APPROVAL


def test_deciding_a_request_the_learner_has_withdrawn_says_why(
    app, make_user, manager, make_course, make_cohort, make_enrolment
):
    report = make_user(line_manager=manager)
    request = make_enrolment(
        make_cohort(make_course(requires_approval=True)), report, status=EnrolmentStatus.CANCELLED
    )

    response = other_client(app, manager).post(
        f"/approvals/{request.id}",
        data={f"r{request.id}-decision": "approve"},
        follow_redirects=True,
    )

    assert response.request.path == "/approvals/"
    assert "This request has already been decided or withdrawn" in text_of(response)
    assert request.status == EnrolmentStatus.CANCELLED


# --- the same number of queries whatever the numbers -------------------------------------


def bulk_users(count: int, tag: str, **fields) -> list[User]:
    people = [
        User(email=f"{tag}-{n}@example.nhs.uk", full_name=f"{tag.title()} {n}", **fields)
        for n in range(count)
    ]
    db.session.add_all(people)
    db.session.flush()
    return people


def bulk_sessions(cohort: Cohort, count: int, start) -> None:
    db.session.add_all(
        Session(
            cohort=cohort,
            title=f"Module {n}",
            starts_at=start + n * DAY,
            ends_at=start + n * DAY + HOUR,
        )
        for n in range(count)
    )


STATUS_CYCLE = [
    EnrolmentStatus.CONFIRMED,
    EnrolmentStatus.WAITLISTED,
    EnrolmentStatus.PENDING_APPROVAL,
    EnrolmentStatus.CANCELLED,
]


def cohort_with(n: int, course, viewer: User, make_cohort) -> Cohort:
    """A cohort with n sessions and n other learners (a few confirmed, many waitlisted)."""
    cohort = make_cohort(course, capacity=3, sessions=[])
    bulk_sessions(cohort, n, soon())
    now = utcnow()
    db.session.add_all(
        Enrolment(
            cohort=cohort,
            learner=person,
            status=EnrolmentStatus.CONFIRMED if index < 3 else EnrolmentStatus.WAITLISTED,
            requested_at=now - (n - index) * HOUR,
        )
        for index, person in enumerate(bulk_users(n, f"c{cohort.id}"))
    )
    db.session.add(
        Enrolment(
            cohort=cohort, learner=viewer, status=EnrolmentStatus.WAITLISTED, requested_at=now
        )
    )
    db.session.commit()
    return cohort


def test_the_cohort_page_costs_the_same_queries_for_5_and_200(
    client, as_learner, course, make_cohort, count_queries
):
    small = cohort_with(5, course, as_learner, make_cohort)
    large = cohort_with(200, course, as_learner, make_cohort)
    client.get(f"/cohorts/{small.id}")  # warm-up

    counts = []
    for cohort in (small, large):
        with count_queries() as counter:
            response = client.get(f"/cohorts/{cohort.id}")
        assert response.status_code == 200
        counts.append(counter.count)

    assert "Module 199" in response.text
    assert "You are on the waitlist at position 198." in text_of(response)
    assert counts[0] == counts[1], counts


def learning_of(n: int, course, password_hash: str) -> User:
    """A learner, manager and trainer with n enrolments, n cohorts to teach and n reports."""
    [person] = bulk_users(1, f"who{n}", password_hash=password_hash)
    person.role_grants = [UserRole(role=Role.TRAINER)]
    reports = bulk_users(n, f"reports{n}", line_manager=person)
    now = utcnow()
    for index in range(n):
        cohort = Cohort(course=course, code=f"Q{n}-{index}", capacity=1, status=CohortStatus.OPEN)
        cohort.trainers = [person]
        bulk_sessions(cohort, 2, soon(index + 1))
        mine = STATUS_CYCLE[index % len(STATUS_CYCLE)]
        theirs = STATUS_CYCLE[(index + 1) % len(STATUS_CYCLE)]
        db.session.add_all(
            [
                Enrolment(cohort=cohort, learner=reports[index], status=theirs, requested_at=now),
                Enrolment(cohort=cohort, learner=person, status=mine, requested_at=now + HOUR),
            ]
        )
    db.session.commit()
    return person


def test_my_learning_costs_the_same_queries_for_5_and_200(
    app, course, count_queries, password_hash
):
    counts = []
    for n in (5, 200):
        browser = other_client(app, learning_of(n, course, password_hash))
        browser.get("/")  # warm-up
        with count_queries() as counter:
            response = browser.get("/")
        assert response.status_code == 200
        counts.append(counter.count)

    page = text_of(response)
    assert "Sessions you are teaching" in page and "My team's training" in page
    assert "Waitlisted (position 1)" in page
    assert "requests to approve from your team." in page
    assert counts[0] == counts[1], counts
