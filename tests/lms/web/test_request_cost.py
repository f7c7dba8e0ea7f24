"""What every request pays before its page's own work (lms/app.py, lms/web/security.py,
lms/core/unit_of_work.py): hooks skip what a request does not need, and keep the rest.
"""

from __future__ import annotations

from flask import request_finished

from lms.auth.access import public
from lms.core.extensions import db
from tests.helpers import PASSWORD, log_in
from tests.lms.web.test_security import assert_security_headers


def sessions_opened(app, client, method: str, path: str) -> tuple[object, bool]:
    """The response, and whether the request opened a database session by its end."""
    opened = []

    def record(sender, response, **extra):
        opened.append(db.session.registry.has())

    with request_finished.connected_to(record, app):
        response = client.open(path, method=method)
    return response, opened[0]


def test_healthz_runs_no_sql_opens_no_session_and_sets_no_cookie(app, client, count_queries):
    with count_queries() as counter:
        response, opened = sessions_opened(app, client, "GET", "/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ok"
    assert counter.count == 0
    assert not opened  # not even an empty ORM session
    assert "Set-Cookie" not in response.headers
    # Nothing read the (empty) session, so the answer does not vary by cookie.
    assert "Cookie" not in response.headers.get("Vary", "")
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert_security_headers(response, "/healthz")


def test_healthz_gets_a_fresh_nonce_and_the_same_policy_each_time(client):
    first, second = (client.get("/healthz").headers for _ in range(2))
    policies = [headers["Content-Security-Policy"] for headers in (first, second)]
    nonces = [policy.split("'nonce-")[1].split("'")[0] for policy in policies]
    assert nonces[0] != nonces[1] and all(len(nonce) >= 24 for nonce in nonces)
    assert policies[0].replace(nonces[0], "") == policies[1].replace(nonces[1], "")


def test_a_logged_in_request_is_personal_even_when_it_is_not_a_page(client, learner):
    log_in(client, learner.email, PASSWORD)
    response = client.get("/healthz")
    assert response.headers["Cache-Control"] == "no-store"
    assert_security_headers(response, "/healthz, logged in")


def test_a_header_a_view_set_is_replaced_not_doubled(make_app):
    app = make_app()

    @app.get("/framed", endpoint="framed")
    @public
    def framed():
        return "x", 200, {"X-Frame-Options": "SAMEORIGIN", "Content-Type": "text/plain"}

    response = app.test_client().get("/framed")
    assert response.headers.getlist("X-Frame-Options") == ["DENY"]
    assert len(response.headers.getlist("Content-Security-Policy")) == 1


def test_a_post_that_touches_no_data_opens_no_session(app, client):
    response, opened = sessions_opened(app, client, "POST", "/logout")
    assert response.status_code == 302
    assert not opened


def test_a_rate_limited_view_still_reports_and_counts_its_limit(client, learner):
    """Flask-Limiter's after-request hook runs where a limit was met: headers, deductions."""
    first, second = (log_in(client, learner.email, "wrong-password-here") for _ in range(2))
    assert first.status_code == second.status_code == 401
    remaining = [int(response.headers["X-RateLimit-Remaining"]) for response in (first, second)]
    assert remaining[1] == remaining[0] - 1  # the first failure was counted after its view
    assert "X-RateLimit-Limit" not in client.get("/healthz").headers


def test_a_changed_secret_key_refuses_cookies_signed_with_the_old_one(app, client, learner):
    """The session serializer is built once per key, not once for ever."""
    log_in(client, learner.email, PASSWORD)
    assert client.get("/").status_code == 200
    app.config["SECRET_KEY"] = "another-secret-key-" + "y" * 32
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
