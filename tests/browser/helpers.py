"""Helpers for the browser tests: keeping a page to the app, logging in through the form,
and checking a page with axe-core."""

from __future__ import annotations

from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, Route

from tests.helpers import PASSWORD

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]}}
BLOCKING = {"serious", "critical"}


def keep_to_the_app(page: Page, off_host_requests: list[str] | None = None) -> None:
    """Aborts every request the page makes to anywhere but the app, noting each one."""

    def loopback_only(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            if off_host_requests is not None:
                off_host_requests.append(route.request.url)
            route.abort()

    page.route("**/*", loopback_only)


def log_in_through_form(page: Page, live_server: str, user, password: str = PASSWORD) -> None:
    """Logs `user` in through the real login form and waits for the home page."""
    page.goto(f"{live_server}/login")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{live_server}/")


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        lines += [f"    {', '.join(node['target'])}: {node['html']}" for node in violation["nodes"]]
    return "\n".join(lines) or "no violations"


def assert_accessible(page: Page) -> None:
    """Checks the page once it has loaded: a click that navigates returns as the new page
    starts to load, before its scripts have run."""
    page.wait_for_load_state("load")
    violations = Axe().run(page, options=WCAG_AA).response["violations"]
    print(f"{page.url}\n{describe(violations)}")
    blocking = [violation for violation in violations if violation["impact"] in BLOCKING]
    assert not blocking, describe(blocking)
