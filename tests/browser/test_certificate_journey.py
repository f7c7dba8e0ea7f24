"""A certificate end to end in a real browser: the learner finds it, downloads the PDF,
opens the address its QR code holds (read from the PDF's pixels by zbarimg, as a phone
would) and sees it is valid; then checks the file itself on the verification page.

The certificate is issued with the factories on the test app, whose BASE_URL is set to
the live server first, so the QR code points where the browser can go.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import assert_accessible
from tests.helpers import run_tool


def _qr_url(pdf: Path) -> str:
    """What the certificate's QR code says, read from a 150 dpi picture of the page."""
    picture = pdf.with_suffix("")
    assert run_tool("pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(picture))
    read = run_tool("zbarimg", "--raw", "-q", str(picture.with_suffix(".png")))
    assert read.returncode == 0, read.stderr
    return read.stdout.strip()


@pytest.mark.browser
def test_the_learner_downloads_their_certificate_and_its_qr_code_verifies_it(
    app, live_server, page: Page, log_in, learner, make_certificate, tmp_path
):
    app.config["BASE_URL"] = live_server
    certificate = make_certificate(learner)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    log_in(learner)
    page.get_by_role("link", name="Certificates").first.click()
    expect(page.get_by_role("heading", name="My certificates")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=certificate.number)
    expect(row).to_contain_text("Valid")
    assert_accessible(page)

    with page.expect_download() as download:
        row.get_by_role("link", name=f"PDF of certificate {certificate.number}").click()
    pdf = tmp_path / download.value.suggested_filename
    download.value.save_as(pdf)
    assert pdf.name == f"certificate-{certificate.number}.pdf"

    # The certificate's own page: the link to give people, and a button that copies it.
    row.get_by_role("link", name=certificate.course_title).click()
    page.get_by_role("button", name="Copy the link").click()
    expect(page.get_by_role("status")).to_have_text("Link copied.")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.endswith(f"/verify/{certificate.display_code}")
    assert_accessible(page)

    url = _qr_url(pdf)
    assert url == copied
    verifier = page.context.browser.new_context().new_page()  # someone else's phone
    verifier.goto(url)
    expect(verifier.get_by_role("heading", name="Valid certificate")).to_be_visible()
    expect(verifier.get_by_text(certificate.number)).to_be_visible()
    assert_accessible(verifier)

    with verifier.expect_file_chooser() as chooser:
        verifier.get_by_label("Certificate PDF").click()
    chooser.value.set_files(pdf)
    verifier.get_by_role("button", name="Check the file").click()
    expect(verifier.get_by_text("exactly the certificate we issued")).to_be_visible()
    assert_accessible(verifier)


@pytest.mark.browser
def test_the_verification_form_takes_a_typed_code(
    app, live_server, page: Page, make_certificate, learner
):
    app.config["BASE_URL"] = live_server
    certificate = make_certificate(learner)
    page.goto(f"{live_server}/verify")
    assert_accessible(page)
    page.get_by_label("Verification code").fill("not a code")
    page.get_by_role("button", name="Check the code").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter the verification code as printed")
    assert_accessible(page)
    page.get_by_label("Verification code").fill(certificate.verification_code.lower())
    page.get_by_role("button", name="Check the code").click()
    expect(page.get_by_role("heading", name="Valid certificate")).to_be_visible()


@pytest.mark.browser
def test_an_admin_finds_a_certificate_and_revokes_it(
    app, live_server, page: Page, log_in, admin, learner, make_certificate
):
    app.config["BASE_URL"] = live_server
    certificate = make_certificate(learner)
    log_in(admin)
    page.get_by_role("link", name="Certificates").first.click()
    page.get_by_role("link", name="All certificates").click()
    page.get_by_label("Search by learner, certificate number or verification code").fill("Zoë")
    page.get_by_role("button", name="Search").click()
    assert_accessible(page)
    page.get_by_role("link", name=certificate.number).click()
    page.get_by_role("button", name="Revoke the certificate").click()
    expect(page.get_by_role("alert").first).to_contain_text("Enter a note")
    assert_accessible(page)
    page.get_by_label("Misconduct").check()
    page.get_by_label("Note for the PMO team").fill("Copied a colleague's assignment")
    page.get_by_role("button", name="Revoke the certificate").click()
    expect(page.get_by_text(f"Certificate {certificate.number} is revoked")).to_be_visible()
