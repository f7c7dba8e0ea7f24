"""How long a login lasts: the idle timeout, the absolute lifetime (SESSION_MAX_AGE), and
polling that must not extend either (lms/web/security.py SessionInterface).

The clock is moved by patching `time.time`, which both the cookie's signed timestamp
(itsdangerous) and the login time read.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from lms.core.config import from_environment
from lms.core.extensions import db
from lms.web.security import LOGIN_AT
from tests.helpers import log_in

HOUR = 3600


@pytest.fixture
def clock(monkeypatch):
    """`clock(hours)`: sets the time to `hours` after the test started."""
    start = time.time()

    def at(hours: float) -> None:
        monkeypatch.setattr(time, "time", lambda: start + hours * HOUR)

    return at


def is_logged_out(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_login_ends_after_12_hours_however_active(client, learner, clock):
    assert log_in(client, learner.email).status_code == 302
    for hours in (4, 8, 11.9):  # active all day: the idle timeout (8 hours) never passes
        clock(hours)
        assert client.get("/").status_code == 200
    clock(12.05)
    response = client.get("/")
    assert is_logged_out(response)
    with client.session_transaction() as session:
        assert "_user_id" not in session and LOGIN_AT not in session  # the new cookie
    # A new login starts a new day.
    assert log_in(client, learner.email).status_code == 302
    assert client.get("/").status_code == 200


def test_a_copied_cookie_is_refused_after_the_lifetime_too(client, learner, clock):
    log_in(client, learner.email)
    copied = client.get_cookie("lms_session").value
    clock(7)
    client.get("/")
    clock(12.05)
    client.set_cookie("lms_session", copied)
    assert is_logged_out(client.get("/"))


def test_a_login_session_without_its_login_time_is_refused(client, learner):
    """Sessions issued before the rule carry no login time: they end at once."""
    log_in(client, learner.email)
    with client.session_transaction() as session:
        del session[LOGIN_AT]
    assert is_logged_out(client.get("/"))


def test_the_lifetime_is_a_setting(make_app, learner, clock):
    client = make_app(SESSION_MAX_AGE=timedelta(hours=2)).test_client()
    log_in(client, learner.email)
    clock(1.9)
    assert client.get("/").status_code == 200
    clock(2.1)
    assert is_logged_out(client.get("/"))


def test_the_lifetime_is_read_from_the_environment(tmp_path, monkeypatch):
    settings = from_environment(tmp_path, {"SECRET_KEY": "k" * 40})
    assert settings["SESSION_MAX_AGE"] == timedelta(hours=12)
    monkeypatch.setenv("LMS_SESSION_MAX_HOURS", "6")
    settings = from_environment(tmp_path, {"SECRET_KEY": "k" * 40})
    assert settings["SESSION_MAX_AGE"] == timedelta(hours=6)


@pytest.fixture
def screen_url(make_course, make_cohort, trainer) -> str:
    """The trainer's check-in screen's JSON, which the screen polls every few seconds."""
    cohort = make_cohort(make_course())
    cohort.trainers = [trainer]
    db.session.commit()
    return f"/teach/sessions/{cohort.sessions[0].id}/check-in.json"


def test_polling_the_check_in_screen_does_not_keep_a_session_alive(
    client, trainer, screen_url, clock
):
    log_in(client, trainer.email)
    for hours in (1, 4, 7.9):
        clock(hours)
        response = client.get(screen_url)
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers  # the cookie, and its time, stay as they were
    clock(8.05)  # eight hours after the last page: idle, whatever was polled since
    assert is_logged_out(client.get(screen_url))


def test_a_page_does_keep_a_session_alive(client, trainer, screen_url, clock):
    log_in(client, trainer.email)
    clock(4)
    assert "Set-Cookie" in client.get("/").headers
    clock(8.05)
    assert client.get(screen_url).status_code == 200
