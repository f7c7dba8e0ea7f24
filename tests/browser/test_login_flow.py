"""Logging in and out in a real browser, with CSRF protection and the CSP switched on."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.helpers import PASSWORD


def test_learner_logs_in_and_out(page, live_server, learner, artifacts):
    """The login form, the home page and the header's log-out button work end to end."""
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address").fill(learner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.wait_for_url(f"{live_server}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning")
    expect(page.get_by_text(f"Hello, {learner.full_name}.")).to_be_visible()
    page.screenshot(path=artifacts / "learner-home.png", full_page=True)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(f"{live_server}/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_text("You have logged out.")).to_be_visible()

    page.goto(f"{live_server}/")
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
    expect(page.get_by_label("Email address")).to_be_visible()


def test_keyboard_only_login(page, live_server, learner):
    """Skip link, fields and submit are all reachable and usable without a mouse."""
    page.goto(f"{live_server}/login")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.type(learner.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    # The skip link's #maincontent fragment carries over the POST and its redirect.
    page.wait_for_url(re.compile(rf"^{re.escape(live_server)}/(#maincontent)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My learning")
    expect(page.get_by_text(f"Hello, {learner.full_name}.")).to_be_visible()


def test_nhsuk_frontend_starts_under_the_csp(
    page, live_server, learner, log_in, console_messages, off_host_requests
):
    """The NHS.UK script runs under the nonce-based CSP: no CSP violations, no script errors;
    with no font host set, the page asks nothing of any other host (no fonts to wait for)."""
    supported = re.compile(r"\bnhsuk-frontend-supported\b")
    page.goto(f"{live_server}/login")
    expect(page.locator("body")).to_have_class(supported)
    log_in(learner)
    expect(page.locator("body")).to_have_class(supported)

    texts = [f"{message.type}: {message.text}" for message in console_messages]
    csp = [text for text in texts if "Content Security Policy" in text]
    assert not csp, "\n".join(texts)
    assert not [text for text in texts if text.startswith("pageerror")], "\n".join(texts)
    assert off_host_requests == []
