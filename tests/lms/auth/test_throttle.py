"""Throttles nobody can turn against an account's owner: lms/auth/throttle.py.

Addresses are set per request (REMOTE_ADDR); each test client is one browser, which
becomes a known browser for an account once it has logged in to it.
"""

from __future__ import annotations

import secrets
import time

import pytest
import redis
from flask import render_template

from lms.auth import accounts
from lms.core import outbox
from lms.core.extensions import db
from tests.helpers import PASSWORD, events, recipients, text_of

WRONG = "wrong-password-here"
NEW_PASSWORD = "a brand new passphrase"


def log_in_from(client, address: str, email: str, password: str = PASSWORD):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_the_owner_is_let_in_from_a_new_browser_while_one_address_guesses(app, learner):
    attacker, owner = app.test_client(), app.test_client()
    for _ in range(10):
        assert log_in_from(attacker, "203.0.113.5", learner.email, WRONG).status_code == 401
    assert log_in_from(attacker, "203.0.113.5", learner.email).status_code == 429
    assert log_in_from(owner, "198.51.100.20", learner.email).status_code == 302


def test_a_known_browser_is_let_in_at_the_address_an_insider_guesses_from(make_app, learner):
    """Behind the trust's NAT everyone shares one address: a guesser there exhausts the
    address's limits, and the people who log in there every day carry on."""
    app = make_app(LOGIN_LIMIT_PER_IP="3 per 15 minutes")
    nat = "192.0.2.1"
    usual = app.test_client()
    assert log_in_from(usual, nat, learner.email).status_code == 302
    usual.post("/logout")
    insider = app.test_client()
    for _ in range(3):
        assert log_in_from(insider, nat, learner.email, WRONG).status_code == 401
    assert log_in_from(insider, nat, learner.email).status_code == 429
    assert log_in_from(app.test_client(), nat, learner.email).status_code == 429  # new browser
    assert log_in_from(usual, nat, learner.email).status_code == 302


def test_a_known_browser_has_its_own_limit(make_app, learner):
    app = make_app(
        LOGIN_LIMIT_PER_KNOWN_BROWSER="2 per 15 minutes",
        LOGIN_LIMIT_PER_ACCOUNT_AND_IP="3 per 15 minutes",
    )
    usual = app.test_client()
    assert log_in_from(usual, "192.0.2.1", learner.email).status_code == 302
    usual.post("/logout")
    for _ in range(2):
        assert log_in_from(usual, "192.0.2.1", learner.email, WRONG).status_code == 401
    assert log_in_from(usual, "192.0.2.1", learner.email, WRONG).status_code == 429
    # The known-browser cookie is the browser's own: a forged one counts for nothing.
    forger = app.test_client()
    forger.set_cookie("lms_known_browser", "not-signed", path="/login")
    for _ in range(3):
        assert log_in_from(forger, "203.0.113.5", learner.email, WRONG).status_code == 401
    assert log_in_from(forger, "203.0.113.5", learner.email, WRONG).status_code == 429


def test_over_the_account_ceiling_only_browsers_the_owner_used_get_in(make_app, learner):
    """Guessing from many addresses: the daily ceiling stops it, and the owner still gets
    in from a browser they have used, or from a new one once they have reset their
    password in it."""
    app = make_app(
        LOGIN_LIMIT_PER_ACCOUNT_AND_IP="2 per 15 minutes", LOGIN_LIMIT_PER_ACCOUNT="4 per day"
    )
    usual = app.test_client()
    assert log_in_from(usual, "198.51.100.1", learner.email).status_code == 302
    usual.post("/logout")
    for address in ("203.0.113.1", "203.0.113.2"):
        guesser = app.test_client()
        for _ in range(2):
            assert log_in_from(guesser, address, learner.email, WRONG).status_code == 401
    # The ceiling is reached: a browser never used for this account is refused anywhere,
    # even with the right password, so guessing from yet more addresses gets nowhere.
    laptop = app.test_client()
    refused = log_in_from(laptop, "198.51.100.9", learner.email)
    assert refused.status_code == 429
    assert "reset it" in text_of(refused)
    assert log_in_from(usual, "198.51.100.8", learner.email).status_code == 302
    # Resetting the password through the mailed link makes the browser a known one.
    token = accounts.issue_token(learner, accounts.RESET)
    db.session.commit()
    fields = {"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
    assert laptop.post(f"/account/reset/{token}", data=fields).status_code == 302
    assert log_in_from(laptop, "198.51.100.9", learner.email, NEW_PASSWORD).status_code == 302


def test_the_owner_is_mailed_once_when_their_account_is_guessed_at(make_app, learner, smtp):
    app = make_app(LOGIN_WARNING_AFTER="3 per day")
    for address in ("203.0.113.1", "203.0.113.2"):
        guesser = app.test_client()
        for _ in range(3):
            assert log_in_from(guesser, address, learner.email, WRONG).status_code == 401
    for _ in range(3):  # unknown accounts are counted alike, and nobody is mailed
        log_in_from(app.test_client(), "203.0.113.3", "nobody@example.nhs.uk", WRONG)
    outbox.deliver_all_due()
    assert [message["To"] for message in smtp] == [learner.email]
    message = smtp[0]
    assert message["Subject"] == "Someone has been trying to log in to your account"
    body = message.get_body(("plain",)).get_content()
    assert "(UK time)" in body and "http://localhost/account/reset" in body
    assert "203.0.113" not in body
    assert len(events("login.owner_warned")) == 1


def test_the_owner_is_mailed_again_in_the_next_window(make_app, learner, monkeypatch):
    app = make_app(LOGIN_WARNING_AFTER="2 per hour")
    guesser = app.test_client()
    for _ in range(3):
        log_in_from(guesser, "203.0.113.1", learner.email, WRONG)
    later = time.time() + 3601
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: later)
    for _ in range(2):
        log_in_from(guesser, "203.0.113.1", learner.email, WRONG)
    assert recipients() == [learner.email, learner.email]


def test_reset_requests_are_limited_per_account_and_the_page_never_says_so(client, learner):
    pages = []
    for number in range(5):  # from five addresses: the per-address limit is not what stops it
        response = client.post(
            "/account/reset",
            data={"email": learner.email},
            environ_base={"REMOTE_ADDR": f"198.51.100.{number}"},
        )
        assert response.status_code == 200
        pages.append(text_of(response))
    assert all("Check your email" in page for page in pages)
    assert recipients() == [learner.email] * 3


def test_reset_requests_are_limited_per_address(make_app, learner):
    app = make_app(RESET_LIMIT_PER_IP="2 per hour")
    client = app.test_client()
    for number in range(2):
        response = client.post("/account/reset", data={"email": f"p{number}@example.nhs.uk"})
        assert response.status_code == 200
    assert client.post("/account/reset", data={"email": learner.email}).status_code == 429
    assert recipients() == []


def change_password(client, current: str):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )


def test_wrong_current_passwords_are_throttled(client, as_learner, monkeypatch):
    for _ in range(5):
        response = change_password(client, WRONG)
        assert response.status_code == 422
        assert "Your current password is wrong" in text_of(response)
    refused = change_password(client, PASSWORD)  # even the right one waits now
    assert refused.status_code == 429
    assert "entered wrongly too many times" in text_of(refused)
    assert events("password.changed") == []
    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr("limits.storage.memory.time.time", lambda: later)
    assert change_password(client, PASSWORD).status_code == 302


def test_right_current_passwords_are_not_counted(make_app, learner):
    client = make_app(PASSWORD_CHECK_LIMIT="2 per 15 minutes").test_client()
    client.post("/login", data={"email": learner.email, "password": PASSWORD})
    for _ in range(3):
        response = client.post(
            "/account/password",
            data={"current_password": PASSWORD, "password": "short", "confirm_password": "short"},
        )
        assert response.status_code == 422
    assert change_password(client, PASSWORD).status_code == 302


def test_counters_keep_no_email_address_and_no_password(make_app, learner):
    prefix = f"lms-test-{secrets.token_hex(4)}"
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15", RATELIMIT_KEY_PREFIX=prefix)
    client = app.test_client()
    log_in_from(client, "203.0.113.7", learner.email, WRONG)
    log_in_from(client, "203.0.113.7", "Tr0ub4dor&3-horse", WRONG)
    client.post("/account/reset", data={"email": learner.email})
    store = redis.Redis(host="127.0.0.1", port=6379, db=15)
    keys = store.keys(f"*{prefix}*")
    try:
        assert len(keys) >= 4
        stored = b" ".join(keys).lower()
        assert b"learner" not in stored and b"tr0ub4dor" not in stored
    finally:
        store.delete(*keys)


def test_each_app_counts_under_its_own_key_prefix(make_app, learner):
    """Flask-Limiter's one `limiter` kept the first app's key prefix for every later app
    (the cause of an order-dependent failure of the Redis throttling test)."""
    first, second = (f"lms-test-{secrets.token_hex(4)}" for _ in range(2))
    settings = {"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"}
    make_app(RATELIMIT_KEY_PREFIX=first, **settings)
    app = make_app(RATELIMIT_KEY_PREFIX=second, **settings)
    log_in_from(app.test_client(), "203.0.113.7", learner.email, WRONG)
    store = redis.Redis(host="127.0.0.1", port=6379, db=15)
    keys = {prefix: store.keys(f"*{prefix}*") for prefix in (first, second)}
    try:
        assert keys[second] and not keys[first]
    finally:
        store.delete(*keys[first], *keys[second])


@pytest.mark.parametrize(
    "template", ["auth/mail/failed_logins.html", "people/mail/login_email_changed.html"]
)
def test_security_notices_never_say_they_can_be_ignored(app, template):
    with app.test_request_context():
        page = render_template(
            template, user=None, when="", reset_link="", full_name="", new_email="", old_email=""
        )
    assert "you can ignore it" not in page
    with app.test_request_context():
        assert "you can ignore it" in render_template("auth/mail/invitation.html", link="")
