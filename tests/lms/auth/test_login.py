"""Logging in and out: lms/auth/views.py, lms/auth/accounts.py and lms/auth/throttle.py."""

from __future__ import annotations

import secrets
import time

import pytest
import redis
from sqlalchemy import select

from lms.audit.audit import AuditEvent
from lms.core.extensions import db
from tests.helpers import PASSWORD, events, log_in


def audit_actions():
    return [
        event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    ]


def test_login_page_has_labelled_fields_and_button(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<label class="nhsuk-label" for="email">' in page
    assert "Email address" in page and "Password" in page
    assert 'name="email"' in page and 'name="password"' in page
    assert ">\n  Log in\n</button>" in page or "Log in</button>" in page


def test_login_with_any_case_email_goes_home_and_is_audited(client, learner):
    response = log_in(client, "LEARNER@Example.NHS.uk")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert "Zoë Ashworth" in home.get_data(as_text=True)
    assert "login.succeeded" in audit_actions()


def test_login_starts_a_fresh_session(client, learner):
    """Nothing planted in the session before login survives it (no session fixation)."""
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = client.get_cookie("lms_session").value
    log_in(client, learner.email)
    assert client.get_cookie("lms_session").value != before
    with client.session_transaction() as session:
        assert "planted" not in session
        assert session["_user_id"].startswith(f"{learner.id}:")


def test_unknown_email_and_wrong_password_look_the_same(client, learner):
    wrong = log_in(client, learner.email, "not-the-password")
    unknown = log_in(client, "nobody@example.nhs.uk", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401

    def main(response, email):
        text = response.get_data(as_text=True).replace(email, "EMAIL")
        text = text.split("<main", 1)[1].split("</main>", 1)[0]
        # the CSRF token is random per page; everything else must match
        return "\n".join(line for line in text.splitlines() if "csrf_token" not in line)

    assert main(wrong, learner.email) == main(unknown, "nobody@example.nhs.uk")
    assert "Your email address or password is wrong" in wrong.get_data(as_text=True)
    assert wrong.headers.get("Set-Cookie") is None and unknown.headers.get("Set-Cookie") is None
    assert audit_actions().count("login.failed") == 2


def test_a_password_typed_into_the_email_box_never_reaches_the_audit_log(client, learner):
    typed = "Tr0ub4dor&3-horse"
    assert log_in(client, typed, "anything-at-all").status_code == 401
    assert log_in(client, "Nobody@Example.NHS.uk", "anything-at-all").status_code == 401
    failed = events("login.failed")
    assert [event.after for event in failed] == [None, {"email": "nobody@example.nhs.uk"}]
    everything = [
        (event.actor_label, event.entity_id, event.before, event.after) for event in events()
    ]
    assert "tr0ub4dor" not in str(everything).lower()


def test_deactivated_account_cannot_log_in(client, make_user):
    user = make_user("gone@example.nhs.uk", is_active_account=False)
    response = log_in(client, user.email)
    assert response.status_code == 401


def test_empty_form_says_what_is_missing(client):
    response = client.post("/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Enter your email address" in text and "Enter your password" in text
    assert "There is a problem" in text


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil"])
def test_login_never_redirects_off_site(client, learner, target):
    response = client.post(
        f"/login?next={target}", data={"email": learner.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_login_follows_a_local_next(client, learner):
    response = client.post(
        "/login?next=/account/password", data={"email": learner.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/account/password"


def test_eleven_failures_are_throttled_then_the_window_passes(client, learner, monkeypatch):
    for _ in range(10):
        assert log_in(client, learner.email, "wrong-password-here").status_code == 401
    blocked = log_in(client, learner.email, "wrong-password-here")
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    # even the right password waits for the window
    assert log_in(client, learner.email).status_code == 429
    # another account from the same address is not blocked by this account's failures
    assert log_in(client, "someone.else@example.nhs.uk", "wrong-password-here").status_code == 401

    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: later)
    assert log_in(client, learner.email).status_code == 302


def test_failures_from_one_address_are_throttled_across_accounts(make_app, learner):
    app = make_app(LOGIN_LIMIT_PER_IP="3 per 15 minutes")
    client = app.test_client()
    for number in range(3):
        assert (
            log_in(client, f"guess{number}@example.nhs.uk", "wrong-password-here").status_code
            == 401
        )
    assert log_in(client, learner.email).status_code == 429


def test_successful_logins_are_not_counted(client, learner):
    for _ in range(12):
        assert log_in(client, learner.email).status_code == 302
        client.post("/logout")


def test_logout_refuses_the_old_cookie(client, learner, login):
    login(learner)
    stolen = client.get_cookie("lms_session").value
    client.post("/logout")
    assert "logout" in audit_actions()
    client.set_cookie("lms_session", stolen)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logged_in_person_visiting_login_goes_home(client, learner, login):
    login(learner)
    assert client.get("/login").headers["Location"] == "/"


def test_idle_session_is_refused_by_the_server(client, learner, monkeypatch):
    """The cookie's signed timestamp is checked, so a copied idle cookie is useless too."""
    assert log_in(client, learner.email).status_code == 302
    assert client.get("/").status_code == 200
    eight_hours_later = time.time() + 8 * 3600 + 5
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: eight_hours_later)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_throttling_works_with_redis_storage_shared_by_processes(make_app, learner):
    """Production keeps counters in Redis so every app process sees the same failures."""
    prefix = f"lms-test-{secrets.token_hex(4)}"
    settings = {
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15",
        "RATELIMIT_KEY_PREFIX": prefix,
    }
    first, second = make_app(**settings).test_client(), make_app(**settings).test_client()
    for number in range(10):
        client = first if number % 2 else second
        assert log_in(client, learner.email, "wrong-password-here").status_code == 401
    assert log_in(first, learner.email).status_code == 429
    assert log_in(second, learner.email).status_code == 429
    store = redis.Redis(host="127.0.0.1", port=6379, db=15)
    keys = store.keys(f"*{prefix}*")
    assert keys  # the counters really live in Redis
    store.delete(*keys)
