"""The CPD record in a real browser: a learner with a certificate adds an external entry,
sees the progress bar move, exports the year as a PDF, and the record page and the
entry form pass axe (and so does the form shown with its errors)."""

from __future__ import annotations

import pypdf
import pytest
from playwright.sync_api import Page, expect

from lms.core.timezones import local_today
from tests.browser.helpers import assert_accessible


def _progress(page: Page) -> int:
    return int(page.locator("progress#cpd-progress").get_attribute("value"))


@pytest.mark.browser
def test_a_learner_adds_an_entry_sees_their_progress_and_exports_the_pdf(
    app, live_server, page: Page, log_in, learner, make_certificate, cpd_categories, tmp_path
):
    app.config["BASE_URL"] = live_server
    certificate = make_certificate(learner)  # 7.5 hours, from their certificate

    log_in(learner)
    page.get_by_role("link", name="CPD", exact=True).first.click()
    expect(page.get_by_role("heading", name="My CPD record")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text=certificate.course_title)).to_contain_text(
        "From your certificate"
    )
    before = _progress(page)
    assert_accessible(page)

    page.get_by_role("link", name="Add an entry").click()
    page.get_by_role("button", name="Add entry").click()  # nothing filled in
    expect(page.get_by_role("alert").first).to_contain_text("Enter a title for the activity")
    assert_accessible(page)
    page.get_by_label("Title of the activity").fill("APM conference: benefits management")
    page.get_by_label("Category").select_option(label="Conference")
    page.get_by_label("Date", exact=True).fill(local_today().isoformat())
    page.get_by_label("Hours").fill("6.5")
    page.get_by_label("What did you learn?").fill("Benefits mapping before the PID.")
    page.get_by_label("How have you applied it, or how will you?").fill("On the ward project.")
    assert_accessible(page)
    page.get_by_role("button", name="Add entry").click()

    expect(page.get_by_text("has been added to your CPD record")).to_be_visible()
    expect(page.get_by_text("14 hours", exact=False).first).to_be_visible()
    assert _progress(page) > before
    assert _progress(page) == 40  # 14 of 35 hours

    with page.expect_download() as download:
        page.get_by_role("link", name="as a PDF").click()
    pdf = tmp_path / download.value.suggested_filename
    download.value.save_as(pdf)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(pdf).pages)
    assert "APM conference: benefits management" in text
    assert certificate.number in text
