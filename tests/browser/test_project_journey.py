"""Projects in a real browser: a learner who completed a course registers a project they
lead and asks for coaching; the PMO accepts, naming the coach; the coach logs a session;
the learner confirms it. The project page shows the training that came before the start,
and the learner's CPD record the coaching hours. axe passes on the project, support and
coaching pages (forms shown with their errors too)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from lms.core.extensions import db
from lms.core.timezones import local_today
from tests.browser.helpers import assert_accessible
from tests.helpers import days


@pytest.mark.browser
def test_a_trainee_registers_a_project_is_coached_and_sees_it_in_their_cpd(
    app, live_server, page: Page, log_in, make_user, admin, trainer, make_certificate
):
    app.config["BASE_URL"] = live_server
    learner = make_user("sian.apgwyn@example.nhs.uk", full_name="Siân ap Gwyn")
    certificate = make_certificate(learner)
    certificate.enrolment.ended_at = days(-40)
    db.session.commit()
    today = local_today()

    # The learner registers a project she leads, starting after her course.
    log_in(learner)
    page.get_by_role("link", name="Projects", exact=True).first.click()
    page.get_by_role("link", name="Register a project").click()
    page.get_by_role("button", name="Register the project").click()  # nothing filled in
    expect(page.get_by_role("alert").first).to_contain_text("Enter the project's title")
    assert_accessible(page)
    page.get_by_label("Project title").fill("Same day emergency care: direct referrals")
    page.get_by_label("Your role on the project").select_option(label="Lead")
    page.get_by_label("Start date (optional)").fill((today - timedelta(days=10)).isoformat())
    page.get_by_label("Status").select_option(label="Active")
    page.get_by_role("button", name="Register the project").click()
    expect(page.get_by_text("has been added to the project register")).to_be_visible()
    expect(page.get_by_text("Lead: Siân ap Gwyn")).to_be_visible()
    expect(
        page.get_by_text(
            f"completed Occasional project managers (cohort {certificate.cohort_code})"
        )
    ).to_be_visible()
    assert_accessible(page)
    project_url = page.url

    # She asks the PMO for coaching.
    page.get_by_role("link", name="Ask the PMO for support with this project").click()
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Coaching").check()
    page.get_by_label("What do you need?").fill("Coaching through my first project as lead.")
    page.get_by_role("button", name="Send request").click()
    support_url = page.url
    assert_accessible(page)
    page.get_by_role("button", name="Log out").click()

    # The PMO accepts, naming the trainer as her coach.
    log_in(admin)
    page.goto(live_server + "/support/")
    expect(page.get_by_text("Same day emergency care: direct referrals")).to_be_visible()
    assert_accessible(page)
    page.goto(support_url)
    page.get_by_label("Person responsible").select_option(label=trainer.full_name)
    page.get_by_label("Start date", exact=True).fill(today.isoformat())
    page.get_by_role("button", name="Accept request").click()
    expect(page.get_by_text("Accepted", exact=True).first).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # The coach logs a session.
    log_in(trainer)
    page.goto(live_server + "/coaching/")
    assert_accessible(page)
    page.get_by_role("link", name="Siân ap Gwyn").first.click()
    assert_accessible(page)
    page.get_by_role("link", name="Log a session").click()
    page.get_by_role("button", name="Log session").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Date of the session").fill(today.isoformat())
    page.get_by_label("Length in minutes").fill("90")
    page.get_by_label("Topic").fill("Setting up the project board")
    page.get_by_label("Agreed actions (optional)").fill("Draft the terms of reference.")
    page.get_by_label("Private notes (optional)").fill("Confident with the clinical side.")
    page.get_by_role("button", name="Log session").click()
    assert_accessible(page)
    page.get_by_role("button", name="Log out").click()

    # The coachee confirms it; the hours are in her CPD record.
    log_in(learner)
    page.goto(live_server + "/coaching/")
    assert_accessible(page)
    page.get_by_role("link", name="Setting up the project board").click()
    expect(page.get_by_text("Confident with the clinical side.")).to_be_visible()
    page.get_by_role("button", name="Confirm attendance").click()
    expect(page.get_by_text("Confirmed", exact=True).first).to_be_visible()
    page.goto(live_server + "/cpd/")
    expect(
        page.get_by_role("row").filter(has_text="Coaching: Setting up the project board")
    ).to_contain_text("1.5")
    expect(page.get_by_role("row", name="Coaching received 1.5", exact=True)).to_be_visible()
    page.goto(project_url)
    expect(page.get_by_text("before start")).to_be_visible()
