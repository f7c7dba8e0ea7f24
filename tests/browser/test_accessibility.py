"""axe-core finds no serious or critical WCAG 2.2 AA failures on the pages people use.

Every violation axe reports (of any impact) is printed, so `pytest -rP` lists the
minor and moderate ones too.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.helpers import assert_accessible


def submit_empty(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    expect(page.get_by_role("alert").filter(has_text="There is a problem")).to_be_visible()


def test_login_page(page, live_server):
    """The login page as a visitor first sees it."""
    page.goto(f"{live_server}/login")
    assert_accessible(page)


def test_login_page_with_errors(page, live_server):
    """The login page with its error summary and field errors."""
    page.goto(f"{live_server}/login")
    submit_empty(page, "Log in")
    assert_accessible(page)


def test_learner_home(learner, log_in):
    """A learner's home page."""
    assert_accessible(log_in(learner))


@pytest.mark.parametrize("path", ["/", "/admin/users/", "/admin/audit/", "/account/password"])
def test_admin_pages(live_server, admin, learner, log_in, path):
    """An admin's home page, the people list, the audit log and the change-password form."""
    page = log_in(admin)
    page.goto(f"{live_server}{path}")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)


def test_admin_header_before_its_script_starts(live_server, admin, log_in):
    """An admin's header has more links than fit one line: until the header's script has
    moved the overflow under "More" (or if it never loads), they wrap inside the header
    instead of running off the page, white on white."""
    page = log_in(admin)
    page.route("**/*.js", lambda route: route.abort())
    page.goto(f"{live_server}/admin/users/")
    account = page.locator(".nhsuk-header__navigation-link", has_text="Account")
    box = account.bounding_box()
    assert box is not None and box["x"] + box["width"] <= page.viewport_size["width"]
    assert_accessible(page)


def test_add_person_form_with_errors(live_server, admin, log_in):
    """The add-a-person form with its error summary, field errors and role checkboxes."""
    page = log_in(admin)
    page.goto(f"{live_server}/admin/users/new")
    submit_empty(page, "Add person and send invitation")
    assert_accessible(page)
