"""Security defaults on every response: lms/security.py, lms/errors.py, lms/config.py."""

from __future__ import annotations

import secrets

import pytest
from flask import request

from lms.audit.audit import AuditEvent
from lms.auth.access import public
from lms.core.config import ConfigError, from_environment
from lms.core.extensions import db
from tests.helpers import PASSWORD, app_routes, events, log_in, sample_url

REQUIRED_CSP = ["frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"]


def assert_security_headers(response, where):
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in REQUIRED_CSP:
        assert directive in csp, (where, directive)
    script_src = next(part for part in csp.split(";") if "script-src" in part)
    assert "unsafe-inline" not in script_src and "'nonce-" in script_src, where
    assert response.headers["X-Content-Type-Options"] == "nosniff", where
    assert response.headers["Referrer-Policy"] == "same-origin", where


def test_every_route_sends_the_security_headers(app, client, admin):
    """Anonymous and logged-in sweeps over every GET route, whatever its status."""
    get_rules = [rule for rule in app_routes(app) if "GET" in rule.methods]
    for rule in get_rules:
        assert_security_headers(client.get(sample_url(rule)), rule.endpoint)
    log_in(client, admin.email, PASSWORD)
    for rule in get_rules:
        assert_security_headers(client.get(sample_url(rule)), rule.endpoint)
    assert_security_headers(client.get("/no-such-page"), "404")


def test_each_page_gets_its_own_nonce_and_uses_it(client):
    first, second = client.get("/login"), client.get("/login")
    nonce = first.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert f'nonce="{nonce}"' in first.get_data(as_text=True)
    assert nonce not in second.headers["Content-Security-Policy"]


def test_personal_pages_are_not_cached(client, learner):
    log_in(client, learner.email, PASSWORD)
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/account/password").headers["Cache-Control"] == "no-store"


def test_static_assets_may_be_cached(client):
    response = client.get("/static/css/lms.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")


def set_cookies(response) -> dict[str, str]:
    """The cookies an answer sets, by name."""
    return {cookie.split("=", 1)[0]: cookie for cookie in response.headers.getlist("Set-Cookie")}


def test_session_cookie_is_httponly_and_lax(client, learner):
    cookies = set_cookies(log_in(client, learner.email, PASSWORD))
    assert "HttpOnly" in cookies["lms_session"] and "SameSite=Lax" in cookies["lms_session"]
    # The known-browser cookie (lms/auth/throttle.py) is only ever read by the login form.
    known = cookies["lms_known_browser"]
    assert "HttpOnly" in known and "SameSite=Strict" in known and "Path=/login" in known
    assert not any("Secure" in cookie for cookie in cookies.values())  # plain http here


def test_production_turns_on_secure_cookies_and_hsts(make_app, learner, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "p" * 48)
    monkeypatch.setenv("LMS_BASE_URL", "https://localhost")
    app = make_app(
        LMS_ENV="production",
        SESSION_COOKIE_SECURE=True,
        HSTS=True,
        MAIL_TRANSPORT="smtp",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15",
        RATELIMIT_KEY_PREFIX=f"lms-test-{secrets.token_hex(4)}",
    )
    client = app.test_client()
    response = log_in(client, learner.email, PASSWORD)
    assert all("Secure" in cookie for cookie in set_cookies(response).values())
    assert "max-age=" in response.headers["Strict-Transport-Security"]


def test_production_refuses_to_start_without_a_real_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("LMS_ENV", "production")
    with pytest.raises(ConfigError):
        from_environment(tmp_path)
    monkeypatch.setenv("SECRET_KEY", "too-short")
    with pytest.raises(ConfigError):
        from_environment(tmp_path)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    with pytest.raises(ConfigError, match="MAIL_TRANSPORT"):
        from_environment(tmp_path)  # the log transport would write reset links to the log
    monkeypatch.setenv("MAIL_TRANSPORT", "smtp")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        from_environment(tmp_path)  # each process would count failures on its own
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.delenv("LMS_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="LMS_BASE_URL"):
        from_environment(tmp_path)  # links would have nowhere trustworthy to point
    monkeypatch.setenv("LMS_BASE_URL", "https://lms.example.nhs.uk")
    settings = from_environment(tmp_path)
    assert settings["SESSION_COOKIE_SECURE"] is True and settings["HSTS"] is True


def test_development_generates_a_secret_key_once(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("LMS_ENV", raising=False)
    first = from_environment(tmp_path)["SECRET_KEY"]
    assert len(first) >= 32
    assert from_environment(tmp_path)["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_post_without_csrf_token_gets_a_styled_400(make_app, learner):
    app = make_app(WTF_CSRF_ENABLED=True)
    response = app.test_client().post("/login", data={"email": learner.email, "password": PASSWORD})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Your form could not be checked" in text and "nhsuk-header" in text


def test_post_with_csrf_token_works(make_app, learner):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/login", data={"email": learner.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_a_20_mb_post_gets_413(client):
    response = client.post(
        "/login", data=b"x" * (20 * 1024 * 1024), content_type="application/octet-stream"
    )
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_an_unexpected_error_gets_a_styled_500_without_traceback(make_app):
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.get("/explode")
    @public
    def explode():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/explode")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in text
    assert "Traceback" not in text and "secret internals" not in text
    assert_security_headers(response, "500")


@pytest.mark.parametrize(
    ("status", "heading"),
    [(403, "You do not have permission"), (404, "Page not found"), (429, "Too many attempts")],
)
def test_error_pages_are_styled(app, client, status, heading, learner):
    if status == 404:
        response = client.get("/nothing-here")
    elif status == 403:
        log_in(client, learner.email, PASSWORD)
        response = client.get("/admin/users/")
    else:
        for _ in range(11):
            response = log_in(client, learner.email, "wrong-password-here")
    assert response.status_code == status
    text = response.get_data(as_text=True)
    assert heading in text and "<h1>" in text and "nhsuk-header" in text


def test_get_requests_change_nothing(app, client, admin):
    """No route changes state on GET: the audit log is as long after a sweep as before."""
    log_in(client, admin.email, PASSWORD)
    before = db.session.query(AuditEvent).count()
    for rule in app_routes(app):
        if "GET" in rule.methods:
            client.get(sample_url(rule))
    assert db.session.query(AuditEvent).count() == before


def _font_src(response) -> str:
    csp = response.headers["Content-Security-Policy"]
    return next(part.strip() for part in csp.split(";") if "font-src" in part)


def test_by_default_the_nhs_typeface_comes_from_the_nhs_font_host(client):
    assert _font_src(client.get("/login")) == "font-src 'self' https://assets.nhs.uk"
    css = client.get("/frontend/nhsuk-frontend.min.css").get_data(as_text=True)
    assert "@font-face" in css and "https://assets.nhs.uk/fonts/" in css


def test_with_no_font_host_pages_use_the_fallback_fonts_and_name_no_other_host(make_app):
    """A network that cannot reach the NHS host gets pages that never wait on it."""
    client = make_app(NHS_FONT_HOST="").test_client()
    assert _font_src(client.get("/login")) == "font-src 'self'"
    response = client.get("/frontend/nhsuk-frontend.min.css")
    css = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/css"
    assert "@font-face" not in css and "assets.nhs.uk" not in css
    assert ".nhsuk-header" in css  # the rest of the stylesheet is all there
    assert response.cache_control.max_age


def test_a_trust_may_serve_the_fonts_from_its_own_host(make_app):
    client = make_app(NHS_FONT_HOST="https://fonts.trust.nhs.uk").test_client()
    assert _font_src(client.get("/login")) == "font-src 'self' https://fonts.trust.nhs.uk"
    css = client.get("/frontend/nhsuk-frontend.min.css").get_data(as_text=True)
    assert "https://fonts.trust.nhs.uk/fonts/" in css and "assets.nhs.uk" not in css


@pytest.mark.parametrize("value", ["", "https://fonts.trust.nhs.uk/", " https://assets.nhs.uk "])
def test_the_font_host_setting_is_read_from_the_environment(tmp_path, monkeypatch, value):
    monkeypatch.setenv("LMS_NHS_FONT_HOST", value)
    expected = value.strip().rstrip("/")
    assert from_environment(tmp_path, {"SECRET_KEY": "k" * 40})["NHS_FONT_HOST"] == expected


@pytest.mark.parametrize(
    "value", ["http://assets.nhs.uk", "https://x.nhs.uk; script-src *", "assets.nhs.uk"]
)
def test_a_font_host_that_is_not_an_https_origin_is_refused(tmp_path, monkeypatch, value):
    monkeypatch.setenv("LMS_NHS_FONT_HOST", value)
    with pytest.raises(ConfigError, match="LMS_NHS_FONT_HOST"):
        from_environment(tmp_path, {"SECRET_KEY": "k" * 40})


# --- the proxies in front (LMS_PROXY_COUNT) --------------------------------------------------


@pytest.mark.parametrize(("proxy_count", "client_address"), [(1, "203.0.113.9"), (0, "127.0.0.1")])
def test_the_client_address_comes_from_x_forwarded_for_only_behind_a_proxy(
    make_app, learner, proxy_count, client_address
):
    app = make_app(PROXY_COUNT=proxy_count, LOGIN_LIMIT_PER_IP="2 per 15 minutes")
    client = app.test_client()
    for number in range(2):
        response = client.post(
            "/login",
            data={"email": f"guess{number}@example.nhs.uk", "password": "wrong-password-here"},
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        assert response.status_code == 401
    assert {event.ip_address for event in events("login.failed")} == {client_address}
    # The next person through the same proxy is someone else, unless the header is ignored.
    response = client.post(
        "/login",
        data={"email": learner.email, "password": PASSWORD},
        headers={"X-Forwarded-For": "198.51.100.4"},
    )
    assert response.status_code == (302 if proxy_count else 429)


def test_behind_a_proxy_the_scheme_is_the_proxys_and_the_host_never_is(make_app):
    app = make_app(PROXY_COUNT=1)

    @app.get("/where", endpoint="where")
    @public
    def where():
        return f"{request.scheme}://{request.host}", 200, {"Content-Type": "text/plain"}

    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"}
    response = app.test_client().get("/where", headers=headers)
    assert response.get_data(as_text=True) == "https://localhost"


def test_the_proxy_count_is_read_from_the_environment(tmp_path, monkeypatch):
    assert from_environment(tmp_path, {"SECRET_KEY": "k" * 40})["PROXY_COUNT"] == 0
    monkeypatch.setenv("LMS_PROXY_COUNT", "2")
    assert from_environment(tmp_path, {"SECRET_KEY": "k" * 40})["PROXY_COUNT"] == 2
    monkeypatch.setenv("LMS_PROXY_COUNT", "-1")
    with pytest.raises(ConfigError, match="LMS_PROXY_COUNT"):
        from_environment(tmp_path, {"SECRET_KEY": "k" * 40})
