"""Deny by default: every endpoint declares who may use it (lms/auth/access.py).

The matrix walks app.url_map, so a new route without a decorator fails here.
"""

from __future__ import annotations

import re

import pytest

from lms.auth.access import LOGGED_IN, PUBLIC, access_rule, public, undeclared_endpoints
from tests.helpers import PASSWORD, log_in
from tests.helpers import app_routes as _rules
from tests.helpers import sample_url as _sample_url

# Endpoints that anyone may use, on purpose. Anything else must be protected.
PUBLIC_BY_INTENT = {
    "static",
    "assets.asset",
    "assets.frontend",
    "health.healthz",
    "health.readyz",
    "auth.login",
    "auth.logout",
    "auth.request_reset",
    "auth.reset_password",
    "cohorts.feed",  # a personal calendar feed: the secret in its address is the credential
    # Certificates are verified by anyone holding a code or a PDF (rate-limited per address).
    "verification.start",
    "verification.certificate",
    "verification.check_any_file",
    "badges.public_signed",
    # The badge issuer's profile and public key, which badge verifiers fetch.
    "badges.issuer",
    "badges.keys",
}


def test_every_endpoint_declares_its_access(app):
    assert undeclared_endpoints(app) == []


def test_public_endpoints_are_exactly_the_intended_ones(app):
    public_endpoints = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if access_rule(app, rule.endpoint) == PUBLIC
    }
    assert public_endpoints == PUBLIC_BY_INTENT


def test_the_matrix_check_fails_on_an_unprotected_route(make_app):
    """Proof that the check above can fail: a throwaway app with one bare route."""
    throwaway = make_app()

    @throwaway.get("/dummy")
    def dummy():
        return "unprotected"

    @throwaway.get("/declared")
    @public
    def declared():
        return "fine"

    assert undeclared_endpoints(throwaway) == ["dummy"]
    # and at run time the undeclared route is refused, not served
    assert throwaway.test_client().get("/dummy").status_code == 403
    assert throwaway.test_client().get("/declared").status_code == 200


def test_anonymous_visitors_are_sent_to_log_in_everywhere_else(app, client):
    checked = 0
    for rule in _rules(app):
        if rule.endpoint in PUBLIC_BY_INTENT:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_sample_url(rule), method=method)
            assert response.status_code == 302, (rule.endpoint, method, response.status_code)
            assert re.match(r"^/login\?next=", response.headers["Location"]), rule.endpoint
            checked += 1
    assert checked >= 10


def test_a_learner_gets_403_on_every_admin_endpoint(app, client, learner):
    assert log_in(client, learner.email, PASSWORD).status_code == 302
    admin_rules = [
        rule for rule in _rules(app) if access_rule(app, rule.endpoint).startswith("role: admin")
    ]
    assert {rule.endpoint.split(".")[0] for rule in admin_rules} >= {"people", "audit"}
    for rule in admin_rules:
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(_sample_url(rule), method=method)
            assert response.status_code == 403, (rule.endpoint, method)
            assert "You do not have permission" in response.get_data(as_text=True)


@pytest.mark.parametrize("endpoint", ["home.index", "auth.change_password"])
def test_logged_in_endpoints_say_so(app, endpoint):
    assert access_rule(app, endpoint) == LOGGED_IN
