"""axe-core on the catalogue, course, cohort, my-learning, approvals and calendar pages.

The same options and assertions as test_accessibility.py: no serious or critical WCAG 2.2
AA failures, and every violation of any impact printed (see them with `pytest -rP`).
Each page is filled as people see it in use: results, enrolments of every kind, a request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from courses.models import Cohort, CohortStatus, Course, CourseStatus, EnrolmentStatus
from lms.auth.models import User
from lms.core.db import utcnow
from tests.browser.helpers import assert_accessible


@dataclass
class Trust:
    """The people, courses and cohorts the pages show."""

    learner: User
    manager: User
    report: User
    course: Course
    open_cohort: Cohort
    full_cohort: Cohort
    approval_cohort: Cohort


@pytest.fixture
def trust(learner, make_user, make_course, make_cohort, make_enrolment) -> Trust:
    """Published courses with learning outcomes and open cohorts with sessions to come.

    The learner has one enrolment of each active kind: confirmed, waitlisted (position 2)
    and waiting for approval; their manager has one more request, from another report.
    """
    manager = make_user("manager@example.nhs.uk", full_name="Priya Raman")
    learner.line_manager = manager
    report = make_user("report@example.nhs.uk", full_name="Tomasz Nowak", line_manager=manager)
    start = utcnow().replace(microsecond=0) + timedelta(days=10)
    two_days = [
        (start, start + timedelta(hours=3)),
        (start + timedelta(days=7), start + timedelta(days=7, hours=3)),
    ]

    course = make_course(
        code="PM-RISK",
        title="Managing project risk",
        summary="Spot, weigh and track the risks in a project.",
        category="Training programme",
        accreditation_body="CPD Certification Service",
        accreditation_reference="CPD-12345",
        learning_outcomes=[
            "Keep a risk register up to date",
            "Decide when to escalate a risk to the programme board",
        ],
    )
    make_cohort(course, code="PM-RISK-PLANNED", status=CohortStatus.PLANNED)
    open_cohort = make_cohort(course, code="PM-RISK-01", sessions=two_days, venue="Room 2")
    make_enrolment(open_cohort)

    confirmed = make_course(
        code="PM-PLAN",
        title="Planning a project",
        category="Workshop",
        learning_outcomes=["Break work down into a plan"],
    )
    make_enrolment(make_cohort(confirmed, sessions=two_days), learner)

    waitlisted = make_course(
        code="PM-COACH",
        title="Coaching conversations",
        category="Coaching",
        learning_outcomes=["Hold a coaching conversation"],
    )
    full_cohort = make_cohort(waitlisted, capacity=1)
    make_enrolment(full_cohort)
    make_enrolment(full_cohort, status=EnrolmentStatus.WAITLISTED)
    make_enrolment(full_cohort, learner, status=EnrolmentStatus.WAITLISTED)

    approval = make_course(
        code="LEAD-CHANGE",
        title="Leading change",
        requires_approval=True,
        learning_outcomes=["Bring a team through a change of service"],
    )
    approval_cohort = make_cohort(approval)
    make_enrolment(approval_cohort, learner, status=EnrolmentStatus.PENDING_APPROVAL)
    make_enrolment(approval_cohort, report, status=EnrolmentStatus.PENDING_APPROVAL)

    make_course(code="OLD", title="Archived course", status=CourseStatus.ARCHIVED)
    return Trust(learner, manager, report, course, open_cohort, full_cohort, approval_cohort)


def test_catalogue_with_results(live_server, trust, log_in):
    """The catalogue listing courses, with its search form and filters."""
    page = log_in(trust.learner)
    page.goto(f"{live_server}/courses/")
    expect(page.get_by_role("main").get_by_role("heading", level=2)).to_have_count(4)
    assert_accessible(page)


def test_catalogue_searched_with_results(live_server, trust, log_in):
    """The catalogue after a search that matches a learning outcome."""
    page = log_in(trust.learner)
    page.goto(f"{live_server}/courses/")
    page.get_by_label("Search by title, summary or learning outcome").fill("escalate")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/courses/\?(.*&)?q=escalate(&|$)"))
    results = page.get_by_role("main").get_by_role("heading", level=2)
    expect(results).to_have_text([trust.course.title])
    assert_accessible(page)


def test_catalogue_without_results(live_server, trust, log_in):
    """The catalogue after a search that matches nothing."""
    page = log_in(trust.learner)
    page.goto(f"{live_server}/courses/")
    page.get_by_label("Search by title, summary or learning outcome").fill("astrophysics")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/courses/\?(.*&)?q=astrophysics(&|$)"))
    expect(page.get_by_text("No courses match your search.")).to_be_visible()
    assert_accessible(page)


def test_course_page(live_server, trust, log_in):
    """A course page with its outcomes, accreditation and upcoming cohorts."""
    page = log_in(trust.learner)
    page.goto(f"{live_server}/courses/{trust.course.code}")
    expect(page.get_by_role("heading", name="What you will learn")).to_be_visible()
    expect(page.get_by_role("link", name=trust.open_cohort.code)).to_be_visible()
    assert_accessible(page)


def test_cohort_page_before_and_after_enrolling(live_server, trust, log_in):
    """A cohort page with its Enrol button, then with the confirmation and Cancel button."""
    page = log_in(trust.learner)
    page.goto(f"{live_server}/cohorts/{trust.open_cohort.id}")
    expect(page.get_by_role("button", name="Enrol", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(page.get_by_role("alert").filter(has_text="Your place is confirmed.")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel my place")).to_be_visible()
    assert_accessible(page)


def test_cohort_page_on_the_waitlist(live_server, trust, log_in):
    """A full cohort's page for a learner on its waitlist."""
    page = log_in(trust.learner)
    page.goto(f"{live_server}/cohorts/{trust.full_cohort.id}")
    expect(page.get_by_text("You are on the waitlist at position 2.")).to_be_visible()
    assert_accessible(page)


def test_my_learning_with_enrolments(trust, log_in):
    """My learning with upcoming sessions and confirmed, waitlisted and pending enrolments."""
    page = log_in(trust.learner)
    enrolments = page.get_by_role("table", name="My enrolments")
    expect(enrolments.get_by_role("row")).to_have_count(4)
    expect(enrolments).to_contain_text("Confirmed")
    expect(enrolments).to_contain_text("Waitlisted (position 2)")
    expect(enrolments).to_contain_text("Pending approval")
    expect(page.get_by_text("Planning a project: Session 1")).to_be_visible()
    assert_accessible(page)


def test_manager_home(trust, log_in):
    """A manager's home page, with the link to their team's requests and their team's training."""
    page = log_in(trust.manager)
    expect(page.get_by_role("link", name="2 requests to approve")).to_be_visible()
    expect(page.get_by_role("heading", name="My team's training")).to_be_visible()
    assert_accessible(page)


def test_approvals_page_with_requests(live_server, trust, log_in):
    """Requests to approve, each with its Approve / Reject radios and reason box."""
    page = log_in(trust.manager)
    page.goto(f"{live_server}/approvals/")
    expect(page.get_by_role("button", name="Save decision")).to_have_count(2)
    assert_accessible(page)


def test_approvals_page_with_errors(live_server, trust, log_in):
    """Requests to approve after saving without a decision: error summary and field error."""
    page = log_in(trust.manager)
    page.goto(f"{live_server}/approvals/")
    page.get_by_role("button", name="Save decision").first.click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()
    expect(page.get_by_text("Choose approve or reject").first).to_be_visible()
    assert_accessible(page)


def test_calendar_feed_page(live_server, trust, log_in):
    """The page giving the learner's personal calendar feed address."""
    page = log_in(trust.learner)
    page.goto(f"{live_server}/calendar/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your calendar feed")
    assert_accessible(page)
    page.get_by_role("button", name="Create my calendar address").click()
    expect(page.get_by_text(f"{live_server}/calendar/")).to_be_visible()
    assert_accessible(page)
