"""Absolute links come from LMS_BASE_URL, and requests for other hosts are refused.

A password link built from the request's Host header would let anyone who asks for a
reset with `Host: evil.example` have the service mail the victim a genuine link to
the attacker's server (host-header poisoning).
"""

from __future__ import annotations

import pytest

from lms.core import outbox
from lms.core.config import ConfigError, from_environment
from lms.core.extensions import db
from lms.web.urls import external_url
from tests.helpers import links_in


def _reset_links(sink) -> list[str]:
    return [link for message in sink for link in links_in(message) if "/account/reset/" in link]


def test_a_request_for_a_foreign_host_is_refused_and_mails_nothing(app, client, learner, smtp):
    response = client.post(
        "/account/reset", data={"email": learner.email}, headers={"Host": "evil.example"}
    )
    assert response.status_code == 400
    assert "does not answer to that address" in response.get_data(as_text=True)
    outbox.deliver_due()
    assert smtp == []
    assert db.session.query(outbox.OutboxMessage).count() == 0


def test_reset_links_use_the_base_url_whatever_the_host_header(make_app, learner, smtp_server):
    """Even with the host check turned off (LMS_TRUSTED_HOSTS empty), the link is ours."""
    sink, port = smtp_server
    app = make_app(
        BASE_URL="https://lms.example.nhs.uk/learning",
        ALLOWED_HOSTS=None,
        MAIL_TRANSPORT="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=port,
    )
    with app.app_context():
        response = app.test_client().post(
            "/account/reset", data={"email": learner.email}, headers={"Host": "evil.example"}
        )
        assert response.status_code == 200
        outbox.deliver_due()
    [link] = _reset_links(sink.messages)
    assert link.startswith("https://lms.example.nhs.uk/learning/account/reset/")
    assert "evil.example" not in sink.messages[0].as_string()


def test_the_health_probes_answer_whatever_the_host(client):
    """A load balancer calls them by the backend's own address."""
    for probe in ("/healthz", "/readyz"):
        assert client.get(probe, headers={"Host": "10.0.0.12:8000"}).status_code == 200
    assert client.get("/login", headers={"Host": "10.0.0.12:8000"}).status_code == 400


def test_external_url_ignores_the_request_host(app):
    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert external_url("auth.login") == "http://localhost/login"
    assert external_url("auth.login", next="/x") == "http://localhost/login?next=/x"


def test_the_trusted_hosts_come_from_the_base_url(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("MAIL_TRANSPORT", "smtp")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("LMS_BASE_URL", "https://lms.example.nhs.uk:8443/")
    settings = from_environment(tmp_path)
    assert settings["BASE_URL"] == "https://lms.example.nhs.uk:8443"
    assert settings["ALLOWED_HOSTS"] == ["lms.example.nhs.uk"]
    monkeypatch.setenv("LMS_TRUSTED_HOSTS", "lms.example.nhs.uk, learning.example.nhs.uk")
    assert from_environment(tmp_path)["ALLOWED_HOSTS"] == [
        "lms.example.nhs.uk",
        "learning.example.nhs.uk",
    ]


@pytest.mark.parametrize(
    ("base_url", "problem"),
    [
        ("", "must be set"),
        ("http://lms.example.nhs.uk", "https://"),
        ("lms.example.nhs.uk", "http(s) address"),
        ("https://lms.example.nhs.uk/?next=x", "http(s) address"),
    ],
)
def test_production_needs_an_https_base_url(tmp_path, monkeypatch, base_url, problem):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("MAIL_TRANSPORT", "smtp")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("LMS_BASE_URL", base_url)
    with pytest.raises(ConfigError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        from_environment(tmp_path)


def test_production_refuses_the_debugger(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("MAIL_TRANSPORT", "smtp")
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("LMS_BASE_URL", "https://lms.example.nhs.uk")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigError, match="FLASK_DEBUG"):
        from_environment(tmp_path)


def test_development_answers_on_every_loopback_name(tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_ENV", raising=False)
    monkeypatch.delenv("LMS_TRUSTED_HOSTS", raising=False)
    monkeypatch.delenv("LMS_BASE_URL", raising=False)
    settings = from_environment(tmp_path)
    assert settings["BASE_URL"] == "http://127.0.0.1:5000"
    assert set(settings["ALLOWED_HOSTS"]) == {"127.0.0.1", "localhost", "::1"}


@pytest.mark.parametrize("command", ["seed-demo", "seed-scale"])
def test_production_refuses_demo_data(make_app, monkeypatch, command):
    monkeypatch.setenv("LMS_BASE_URL", "https://lms.example.nhs.uk")
    app = make_app(
        LMS_ENV="production",
        MAIL_TRANSPORT="smtp",
        RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/15",
    )
    result = app.test_cli_runner().invoke(args=["lms", command])
    assert result.exit_code != 0
    assert "does not run in production" in result.output
