"""Browser fixtures: the app served over HTTP from a thread, and Debian's Chromium driving it.

The live server is a second app on the same test database as the `app` fixture, with
CSRF protection on, so what a test commits through the factories is what the browser
sees. The browser may only talk to that server: every other request is aborted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.browser.helpers import keep_to_the_app, log_in_through_form
from tests.helpers import PASSWORD

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE.parent.parent / "test-artifacts"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Browser tests run once, on the embedded default (SQLite): what they add is the browser
# (pages, scripts, keyboard, axe), and the PostgreSQL run covers the same services and
# views without one. LMS_BROWSER_TESTS_ON_EVERY_DATABASE=1 runs them there too.
ONCE = pytest.mark.skip(reason="browser tests run once, on SQLite (see tests/browser/conftest.py)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives a browser, so it carries the `browser` marker."""
    url = os.environ.get("LMS_TEST_DATABASE_URL", "sqlite://")
    skip = not url.startswith("sqlite") and not os.environ.get(
        "LMS_BROWSER_TESTS_ON_EVERY_DATABASE"
    )
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if skip:
                item.add_marker(ONCE)


class _QuietHandler(WSGIRequestHandler):
    """Leaves out the access log (one line per asset); errors are still logged."""

    def log_request(self, *args, **kwargs) -> None:
        pass


@pytest.fixture
def live_server(app, make_app) -> Iterator[str]:
    """The base URL of the app served from a thread; `app` keeps the tables empty around it."""
    # No font host: a test machine (like a locked-down trust network) cannot reach it.
    server_app = make_app(WTF_CSRF_ENABLED=True, NHS_FONT_HOST="")
    server = make_server("127.0.0.1", 0, server_app, threaded=True, request_handler=_QuietHandler)
    # Links the pages show (calendar feeds, the check-in QR code) point at this server.
    server_app.config["BASE_URL"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def console_messages() -> list[ConsoleMessage]:
    """What the page logged to its console (and uncaught errors, as "pageerror" entries)."""
    return []


@pytest.fixture
def off_host_requests() -> list[str]:
    """Every request the page tried to make to anywhere but the app (each was aborted)."""
    return []


@pytest.fixture
def page(browser, console_messages, off_host_requests) -> Iterator[Page]:
    context = browser.new_context()
    page = context.new_page()
    page.on("console", lambda message: console_messages.append(message))
    page.on("pageerror", lambda error: console_messages.append(_PageError(error)))
    keep_to_the_app(page, off_host_requests)
    try:
        yield page
    finally:
        context.close()


class _PageError:
    """An uncaught script error, shaped like a console message for assertions."""

    type = "pageerror"

    def __init__(self, error: Exception) -> None:
        self.text = str(error)


@pytest.fixture
def log_in(page, live_server) -> Callable:
    """Logs a user in through the real login form and waits for the home page."""

    def do(user, password: str = PASSWORD) -> Page:
        log_in_through_form(page, live_server, user, password)
        return page

    return do


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/ at the repository root (git-ignored), for screenshots."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
