"""Enrolling end to end in a real browser: search, enrol, calendar, cancel; a manager approves.

The data is made with the course factories and committed before the browser acts, so the
live server (a second app on the same database) sees it. The learner and the manager each
log in through the real login form, with CSRF protection on.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from courses.models import CohortStatus, CourseStatus, Enrolment, EnrolmentStatus
from lms.core.extensions import db
from tests.browser.helpers import keep_to_the_app, log_in_through_form

SEARCH_LABEL = "Search by title, summary or learning outcome"
CONFIRMED_MESSAGE = "Your place is confirmed. We have emailed you the details."


def banner(page: Page, text: str):
    """The success banner a redirect shows after an action (a role="alert" region)."""
    return page.get_by_role("alert").filter(has_text=text)


def enrolment_row(page: Page, title: str):
    """The course's row in the "My enrolments" table on the home page."""
    table = page.get_by_role("table", name="My enrolments")
    # The link is named "<title>, cohort <code>" (the code is hidden but for screen readers).
    link = page.get_by_role("link", name=re.compile(rf"^{re.escape(title)}\s*, cohort "))
    return table.get_by_role("row").filter(has=link)


def status_of(cohort_id: int, learner_id: int) -> EnrolmentStatus:
    """The enrolment's status as the database holds it now (what the live server wrote)."""
    db.session.rollback()  # start a fresh transaction, so the server's commits are visible
    return db.session.scalar(
        select(Enrolment.status).where(
            Enrolment.cohort_id == cohort_id, Enrolment.learner_id == learner_id
        )
    )


@pytest.fixture
def second_page(browser: Browser) -> Iterator[Callable[[], Page]]:
    """Opens pages in further browser contexts (another person's cookies), closed afterwards."""
    contexts = []

    def open_page() -> Page:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        keep_to_the_app(page)
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_learner_finds_enrols_downloads_and_cancels(
    page, live_server, learner, log_in, make_course, make_cohort, tmp_path: Path
):
    """Search by an outcome, enrol, see it at home, get the .ics, cancel from home."""
    course = make_course(
        code="PM-RISK",
        title="Managing project risk",
        summary="Spot, weigh and track the risks in a project.",
        status=CourseStatus.PUBLISHED,
        learning_outcomes=[
            "Keep a risk register up to date",
            "Decide when to escalate a risk to the programme board",
        ],
    )
    make_course(
        title="Benefits realisation",
        summary="Plan and measure the benefits a project brings.",
        learning_outcomes=["Write a benefits map"],
    )
    make_cohort(course, code="PM-RISK-PLANNED", status=CohortStatus.PLANNED)
    cohort = make_cohort(course, code="PM-RISK-01", status=CohortStatus.OPEN, capacity=12)

    log_in(learner)

    # Find the course by a word that is only in one of its learning outcomes.
    page.goto(f"{live_server}/courses/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Courses")
    page.get_by_label(SEARCH_LABEL).fill("Escalate")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/courses/\?(.*&)?q=Escalate(&|$)"))
    results = page.get_by_role("main").get_by_role("heading", level=2)
    expect(results).to_have_text([course.title])
    expect(page.get_by_role("link", name="Benefits realisation")).to_have_count(0)

    # The course page, then its open cohort.
    page.get_by_role("link", name=course.title, exact=True).click()
    page.wait_for_url(f"{live_server}/courses/{course.code}")
    expect(page.get_by_role("heading", level=1)).to_have_text(course.title)
    expect(page.get_by_role("listitem").filter(has_text="escalate a risk")).to_be_visible()
    page.get_by_role("link", name=cohort.code, exact=True).click()
    page.wait_for_url(f"{live_server}/cohorts/{cohort.id}")
    expect(page.get_by_text(f"Cohort {cohort.code}")).to_be_visible()

    # Enrol: a seat is free, so the place is confirmed at once.
    page.get_by_role("button", name="Enrol", exact=True).click()
    page.wait_for_url(f"{live_server}/cohorts/{cohort.id}")
    expect(banner(page, CONFIRMED_MESSAGE)).to_be_visible()
    expect(page.get_by_text("Your place is confirmed.", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Enrol", exact=True)).to_have_count(0)
    assert status_of(cohort.id, learner.id) is EnrolmentStatus.CONFIRMED

    # Home: the enrolment is confirmed and its session is coming up.
    page.get_by_role("link", name="Home", exact=True).first.click()
    page.wait_for_url(f"{live_server}/")
    expect(enrolment_row(page, course.title)).to_contain_text("Confirmed")
    expect(enrolment_row(page, course.title)).to_contain_text(cohort.code)
    upcoming = page.get_by_role("heading", name="Upcoming sessions").locator(
        "xpath=following-sibling::ul[1]"
    )
    expect(upcoming.get_by_role("listitem")).to_have_count(1)
    expect(upcoming.get_by_role("listitem")).to_contain_text(f"{course.title}: Session 1")

    # The cohort's sessions as an iCalendar file.
    enrolment_row(page, course.title).get_by_role("link", name=course.title).click()
    page.wait_for_url(f"{live_server}/cohorts/{cohort.id}")
    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile(r"Download the sessions")).click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename == f"{cohort.code}.ics"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    ics = saved.read_text(encoding="utf-8")
    assert ics.startswith("BEGIN:VCALENDAR"), ics[:200]
    assert ics.count("BEGIN:VEVENT") == 1, ics
    assert f"SUMMARY:{course.title}: Session 1" in ics, ics
    assert "END:VCALENDAR" in ics, ics

    # Cancel from the home page: the row stays, marked cancelled, and nothing is coming up.
    page.goto(f"{live_server}/")
    enrolment_row(page, course.title).get_by_role(
        "button", name=f"Cancel {course.title} {cohort.code}"
    ).click()
    page.wait_for_url(f"{live_server}/")
    expect(banner(page, "Your enrolment is now cancelled.")).to_be_visible()
    expect(enrolment_row(page, course.title)).to_contain_text("Cancelled")
    expect(enrolment_row(page, course.title).get_by_role("button")).to_have_count(0)
    expect(page.get_by_text("You have no sessions coming up.")).to_be_visible()
    assert status_of(cohort.id, learner.id) is EnrolmentStatus.CANCELLED


def test_manager_approves_a_request(
    page, live_server, log_in, make_user, make_course, make_cohort, second_page
):
    """A report asks to enrol; their line manager approves; the report's place is confirmed."""
    manager = make_user("manager@example.nhs.uk", full_name="Priya Raman")
    report = make_user("report@example.nhs.uk", full_name="Tomasz Nowak", line_manager=manager)
    course = make_course(
        code="LEAD-CHANGE",
        title="Leading change",
        requires_approval=True,
        learning_outcomes=["Bring a team through a change of service"],
    )
    cohort = make_cohort(course, status=CohortStatus.OPEN)

    # The report asks to enrol.
    log_in(report)
    page.goto(f"{live_server}/cohorts/{cohort.id}")
    expect(page.get_by_text("This course needs your line manager's approval.")).to_be_visible()
    page.get_by_role("button", name="Ask to enrol").click()
    page.wait_for_url(f"{live_server}/cohorts/{cohort.id}")
    expect(banner(page, "Your request has been sent to your line manager.")).to_be_visible()
    page.goto(f"{live_server}/")
    expect(enrolment_row(page, course.title)).to_contain_text("Pending approval")
    assert status_of(cohort.id, report.id) is EnrolmentStatus.PENDING_APPROVAL

    # The manager, in a browser context of their own, finds and approves it.
    manager_page = second_page()
    log_in_through_form(manager_page, live_server, manager)
    manager_page.get_by_role("link", name="1 request to approve").click()
    manager_page.wait_for_url(f"{live_server}/approvals/")
    expect(manager_page.get_by_role("heading", level=1)).to_have_text("Requests to approve")
    card = manager_page.locator("section").filter(
        has=manager_page.get_by_role("heading", name=f"{report.full_name}: {course.title}")
    )
    expect(card).to_contain_text(f"Cohort {cohort.code}")
    card.get_by_label("Approve", exact=True).check()
    card.get_by_role("button", name="Save decision").click()
    manager_page.wait_for_url(f"{live_server}/approvals/")
    expect(banner(manager_page, f"You approved {report.full_name}'s request.")).to_be_visible()
    expect(manager_page.get_by_text("There are no requests waiting for you.")).to_be_visible()

    # The report's place is confirmed, on their home page and in the database.
    page.reload()
    expect(enrolment_row(page, course.title)).to_contain_text("Confirmed")
    expect(page.get_by_text(f"{course.title}: Session 1")).to_be_visible()
    assert status_of(cohort.id, report.id) is EnrolmentStatus.CONFIRMED
