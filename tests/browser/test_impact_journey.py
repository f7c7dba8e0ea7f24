"""Impact in a real browser: a learner who completed a course tells us what she thought of
it, rates her confidence after it, registers a project she leads and records its outcome;
the PMO's KPI dashboard counts her in "leading a project" and the impact view in those
who went on to lead. A screenshot of the dashboard is kept in test-artifacts/. axe passes
on the survey pages (with their errors too), the dashboard and the impact view."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from lms.core.timezones import local_today
from tests.browser.helpers import assert_accessible


@pytest.mark.browser
def test_a_trainee_evaluates_leads_a_project_and_the_dashboard_counts_her(
    app, live_server, page: Page, log_in, make_user, admin, make_certificate, artifacts
):
    app.config["BASE_URL"] = live_server
    learner = make_user("sian.apgwyn@example.nhs.uk", full_name="Siân ap Gwyn")
    make_certificate(learner)  # completed today, on a closed cohort
    today = local_today()

    # She says what she thought of the course (nothing chosen first: the errors show).
    log_in(learner)
    page.goto(live_server + "/evaluations/")
    assert_accessible(page)
    page.get_by_role("link", name="Tell us what you thought of the course").click()
    page.get_by_role("button", name="Send your answers").click()
    expect(page.get_by_role("alert").first).to_be_visible()
    assert_accessible(page)
    for question in page.locator("fieldset").all():
        question.get_by_label("Agree", exact=True).check()
    page.get_by_role("textbox").first.fill("More time on the case studies, please.")
    page.get_by_role("button", name="Send your answers").click()
    expect(page.get_by_role("link", name="What you thought of the course")).to_be_visible()

    # And how confident she feels now, if the course lists what it teaches.
    after = page.get_by_role("link", name="Rate your confidence after the course")
    if after.count():
        after.click()
        assert_accessible(page)
        for outcome in page.locator("fieldset").all():
            outcome.get_by_label("Very confident").check()
        page.get_by_role("button", name="Save your ratings").click()

    # She registers a project she leads, starting next week, and records how it went.
    page.goto(live_server + "/projects/new")
    page.get_by_label("Project title").fill("Discharge before noon on the surgical wards")
    page.get_by_label("Your role on the project").select_option(label="Lead")
    page.get_by_label("Start date (optional)").fill((today + timedelta(days=7)).isoformat())
    page.get_by_label("Status").select_option(label="Active")
    page.get_by_role("button", name="Register the project").click()
    expect(page.get_by_text("has been added to the project register")).to_be_visible()
    page.get_by_role("link", name="Add an update").click()
    page.get_by_label("Overall status (RAG)").select_option(label="Green")
    page.get_by_label("Have the milestones due so far been met?").select_option(label="Yes")
    page.get_by_label("Is it on time?").select_option(label="Yes")
    page.get_by_label("Is it on budget?").select_option(label="Partly")
    page.get_by_label("Have its benefits been realised?").select_option(label="Too early to say")
    page.get_by_role("button", name="Record the update").click()
    expect(page.get_by_text("Green").first).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    # The PMO's dashboard counts her: trained, and leading a project within 12 months.
    log_in(admin)
    page.goto(live_server + "/reports/")
    expect(page.get_by_role("heading", name="KPI dashboard")).to_be_visible()
    funnel = page.get_by_role("table", name="From enrolment to leading a project")
    expect(funnel.get_by_role("row", name="Leading a project within 12 months")).to_contain_text(
        "1"
    )
    expect(page.get_by_text("People trained: 1 of 120")).to_be_visible()
    page.screenshot(path=artifacts / "kpi-dashboard.png", full_page=True)
    assert_accessible(page)

    page.get_by_role("link", name="Impact of the training").click()
    leading = page.get_by_role("table", name="People trained who went on to lead a project")
    expect(leading.get_by_role("row").filter(has_text="Went on to lead")).to_contain_text("100.0")
    reaction = page.get_by_role("table", name="Reaction scores by course")
    expect(reaction).to_contain_text("1")  # one response: counted, no average shown
    assert_accessible(page)
