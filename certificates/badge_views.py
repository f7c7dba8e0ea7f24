"""Open Badges: the issuer's profile and signing key, public at stable addresses, and each
certificate's badge (certificates/badges.py).

A certificate's badge is for its learner, admins and its cohort's trainers
(`certificate_viewer`): as JSON to read, and signed (VC-JWT) to download. Anyone holding
the verification code may download the signed badge too, from beside the verification
page that links it, rate-limited per client address like that page. A revoked or
superseded certificate's badge is gone (410), with a page saying why.
"""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, render_template

from certificates import badges, verification
from certificates.access import certificate_viewer
from certificates.limits import lookups_per_address
from certificates.models import Certificate
from lms.auth.access import public
from lms.core.extensions import db
from lms.web.errors import render_error
from lms.web.forms import attachment

bp = Blueprint("badges", __name__, template_folder="templates")

JSON = "application/json"
JWKS = "application/jwk-set+json"  # as the OB 3.0 implementation guide asks of a key set
JWT = "application/jwt"
# Badges are personal, and a certificate may be revoked tomorrow: no cache keeps one.
NO_STORE = "no-store"


@bp.errorhandler(badges.BadgeUnavailable)
def _unavailable(error: badges.BadgeUnavailable):
    return render_template("certificates/badge_unavailable.html", reason=str(error)), 410


@bp.errorhandler(429)
def _too_many(_error):
    db.session.rollback()
    return render_error(429, ["You have asked for too many badges. Wait a minute, then try again."])


@bp.get("/badges/issuer")
@public
def issuer():
    return _json(badges.issuer_profile())


# The second address is where the OB 3.0 implementation guide has verifiers look.
@bp.get("/.well-known/jwks.json")
@bp.get("/badges/keys.json")
@public
def keys():
    return _json(badges.public_jwks(), mimetype=JWKS)


@bp.get("/certificates/<number>/badge.json")
@certificate_viewer
def credential(number: str, certificate: Certificate):
    return _json(badges.credential(certificate), no_store=True)


@bp.get("/certificates/<number>/badge.jwt")
@certificate_viewer
def signed(number: str, certificate: Certificate):
    return _download(certificate)


@bp.get("/verify/<code>/badge.jwt")
@public
@lookups_per_address
def public_signed(code: str):
    certificate = verification.find(code)
    if certificate is None:
        abort(404)
    return _download(certificate)


def _json(body: dict, *, mimetype: str = JSON, no_store: bool = False) -> Response:
    response = Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype=mimetype)
    if no_store:
        response.headers["Cache-Control"] = NO_STORE
    return response


def _download(certificate: Certificate) -> Response:
    return Response(
        badges.signed_badge(certificate),
        mimetype=JWT,
        headers={
            "Content-Disposition": attachment(f"badge-{certificate.number}.jwt"),
            "Cache-Control": NO_STORE,
            "X-Content-Type-Options": "nosniff",
        },
    )
