"""The page frame (lms/templates/layout.html, lms/templating.py): titles, one h1, navigation."""

from __future__ import annotations

import re

import pytest

from lms.auth.models import Role
from tests.helpers import PASSWORD, app_routes, log_in, sample_url


def html_pages(app, client):
    for rule in app_routes(app):
        if "GET" not in rule.methods or rule.endpoint.startswith(("assets.", "health.")):
            continue
        response = client.get(sample_url(rule))
        if response.mimetype == "text/html" and response.status_code != 302:
            yield rule.endpoint, response.get_data(as_text=True)


def test_every_page_has_a_title_and_exactly_one_h1(app, client, admin):
    log_in(client, admin.email, PASSWORD)
    pages = dict(html_pages(app, client))
    assert len(pages) >= 6
    for endpoint, page in pages.items():
        title = re.search(r"<title>(.*?)</title>", page, re.S)
        assert title and title.group(1).strip().endswith("Learning and CPD – NHS"), endpoint
        assert len(re.findall(r"<h1[ >]", page)) == 1, endpoint
        assert 'href="#maincontent"' in page and 'id="maincontent"' in page, endpoint


def test_pages_with_errors_say_so_in_the_title(client):
    page = client.post("/login", data={"email": "", "password": ""}).get_data(as_text=True)
    assert "<title>Error: Log in" in page


@pytest.mark.parametrize(
    ("roles", "visible", "hidden"),
    [
        ((), ["Home", "Check in", "Account"], ["People", "Audit log"]),
        ((Role.ADMIN,), ["Home", "Check in", "People", "Audit log", "Account"], []),
    ],
)
def test_navigation_shows_what_the_person_may_use(client, make_user, roles, visible, hidden):
    user = make_user(roles=roles)
    log_in(client, user.email, PASSWORD)
    page = client.get("/").get_data(as_text=True)
    navigation = page.split('aria-label="Menu"', 1)[1].split("</nav>", 1)[0]
    for text in visible:
        assert f">{text}<" in navigation.replace("\n", "").replace("  ", ""), text
    for text in hidden:
        assert f">{text}<" not in navigation, text


def test_everyone_logged_in_has_a_way_to_check_in(client, learner):
    """Everyone is a learner, so the header always leads to /check-in, marked when there."""
    assert "Check in" not in client.get("/login").get_data(as_text=True)
    log_in(client, learner.email, PASSWORD)
    page = client.get("/check-in").get_data(as_text=True)
    navigation = page.split('aria-label="Menu"', 1)[1].split("</nav>", 1)[0]
    link = re.search(r'<a class="nhsuk-header__navigation-link" href="/check-in"[^>]*>', navigation)
    assert link and 'aria-current="page"' in link.group(0)


def test_flash_messages_become_notification_banners(client, learner):
    log_in(client, learner.email, PASSWORD)
    response = client.post("/logout", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "nhsuk-notification-banner--success" in page and "You have logged out." in page


def test_service_name_is_configurable(make_app, learner):
    app = make_app(SERVICE_NAME="PMO Academy")
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "PMO Academy" in page and "<title>Log in – PMO Academy – NHS</title>" in page


def test_a_person_without_enrolments_sees_where_to_start(client, learner):
    log_in(client, learner.email, PASSWORD)
    page = client.get("/").get_data(as_text=True)
    assert "You have not enrolled on anything yet." in page
    assert "You have no sessions coming up." in page
