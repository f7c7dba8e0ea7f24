"""Open Badges 3.0 credentials: certificates/badges.py and certificates/badge_views.py.

The signature is checked by PyJWT, with only the key the service publishes at
/badges/keys.json: nothing of certificates/badges.py takes part in verifying.
"""

from __future__ import annotations

import base64
import json
import stat
import threading
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from certificates import badge_views, badges, reissue, revoke, verification_views
from certificates import views as certificate_views
from certificates.models import RevocationReason
from lms.auth.models import Role
from lms.core.config import ConfigError
from lms.core.extensions import db
from lms.core.timezones import LONDON

BLUEPRINTS = (certificate_views.bp, verification_views.bp, badge_views.bp)


def wire(app):
    """Registers the certificate blueprints lms/app.py does not register (yet)."""
    for blueprint in BLUEPRINTS:
        if blueprint.name not in app.blueprints:
            app.register_blueprint(blueprint)
    return app


@pytest.fixture(autouse=True)
def _wired(app):
    wire(app)


@pytest.fixture
def certificate(make_certificate, learner):
    """Zoë Ashworth's certificate for CERT-PM (7.5 CPD hours, APM, valid three years)."""
    return make_certificate(learner)


def public_url(certificate) -> str:
    return f"/verify/{certificate.display_code}/badge.jwt"


def published_key(client, kid: str) -> jwt.PyJWK:
    """The key with this kid in the set the service publishes, as a verifier fetches it."""
    response = client.get("/badges/keys.json")
    assert response.status_code == 200
    assert response.mimetype == "application/jwk-set+json"
    (found,) = [key for key in response.get_json()["keys"] if key["kid"] == kid]
    return jwt.PyJWK(found)


def verify(client, token: str, required=("iss", "sub", "jti", "nbf", "exp")) -> dict:
    """The badge's claims, if PyJWT finds its signature good by the published key."""
    key = published_key(client, jwt.get_unverified_header(token)["kid"])
    return jwt.decode(
        token,
        key,
        algorithms=["EdDSA"],
        issuer="http://localhost/badges/issuer",
        options={"require": list(required)},
    )


def segment(data: dict) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(text).rstrip(b"=").decode()


def unpadded(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


# --- the signature ---------------------------------------------------------------------------


def test_a_signed_badge_verifies_with_the_published_key_alone(client, certificate):
    response = client.get(public_url(certificate))
    assert response.status_code == 200
    assert response.mimetype == "application/jwt"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="badge-{certificate.number}.jwt"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    token = response.get_data(as_text=True)

    claims = verify(client, token)

    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "kid": header["kid"], "typ": "JWT"}
    assert header["kid"].startswith("http://localhost/badges/keys.json#")
    # OB 3.0 §8.2: the claims repeat the credential's own fields.
    assert claims["iss"] == claims["issuer"]["id"]
    assert claims["jti"] == claims["id"] == f"http://localhost/verify/{certificate.display_code}"
    assert claims["sub"] == claims["credentialSubject"]["id"]
    assert datetime.fromtimestamp(claims["nbf"], UTC) == datetime.fromisoformat(claims["validFrom"])
    assert datetime.fromtimestamp(claims["exp"], UTC) == datetime.fromisoformat(
        claims["validUntil"]
    )


def test_a_badge_changed_by_one_character_fails_verification(client, certificate):
    token = client.get(public_url(certificate)).get_data(as_text=True)
    header, payload, signature = token.split(".")
    claims = json.loads(unpadded(payload))
    name = claims["credentialSubject"]["identifier"][0]["identityHash"]
    assert name == "Zoë Ashworth"
    claims["credentialSubject"]["identifier"][0]["identityHash"] = "Zoë Ashworti"
    forged = f"{header}.{segment(claims)}.{signature}"

    verify(client, token)  # the original still verifies
    with pytest.raises(jwt.InvalidSignatureError):
        verify(client, forged)
    # Anywhere in the payload, even where it no longer decodes.
    flipped = payload[:40] + ("A" if payload[40] != "A" else "B") + payload[41:]
    with pytest.raises(jwt.InvalidTokenError):
        verify(client, f"{header}.{flipped}.{signature}")


def test_the_badge_is_the_same_string_every_time(client, certificate):
    first = client.get(public_url(certificate)).get_data(as_text=True)
    assert client.get(public_url(certificate)).get_data(as_text=True) == first
    assert badges.signed_badge(certificate) == first


def test_the_key_set_publishes_no_private_part(client, certificate):
    (key,) = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert set(key) == {"kty", "crv", "x", "kid", "use", "alg", "iss"}
    assert (key["kty"], key["crv"], key["alg"], key["use"]) == ("OKP", "Ed25519", "EdDSA", "sig")
    assert key["iss"] == "http://localhost/badges/issuer"
    assert client.get("/badges/keys.json").get_json() == {"keys": [key]}


def test_the_kid_ends_in_the_rfc_7638_thumbprint():
    # RFC 8037 appendix A.3: the thumbprint of the example Ed25519 public key.
    example = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert badges.thumbprint(example) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


# --- what the credential says ----------------------------------------------------------------


def test_the_credential_has_the_fields_open_badges_3_requires(certificate, learner):
    body = badges.credential(certificate)

    assert body["@context"] == [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ]
    assert {"VerifiableCredential", "OpenBadgeCredential"} <= set(body["type"])
    assert body["id"] == f"http://localhost/verify/{certificate.display_code}"
    assert body["issuer"] == {
        "id": "http://localhost/badges/issuer",
        "type": ["Profile"],
        "name": "Portfolio Management Office",
        "url": "http://localhost",
    }
    issued = certificate.issued_at.replace(microsecond=0)
    assert body["validFrom"] == issued.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The end of the last valid day, in London.
    last_day_ends = datetime.combine(
        certificate.expires_on + timedelta(days=1), datetime.min.time(), LONDON
    )
    assert datetime.fromisoformat(body["validUntil"]) == last_day_ends

    subject = body["credentialSubject"]
    assert "AchievementSubject" in subject["type"]
    assert subject["id"].startswith("urn:uuid:")
    achievement = subject["achievement"]
    assert "Achievement" in achievement["type"]
    assert achievement["id"].startswith("urn:uuid:")
    assert achievement["name"] == "Occasional project managers"
    assert achievement["description"] == (
        "Occasional project managers (CERT-PM), a course run by Portfolio Management "
        "Office, worth 7.5 CPD hours. Accredited by APM, reference APM-CPD-0042."
    )
    assert "attend at least the share of its sessions" in achievement["criteria"]["narrative"]
    assert "pass every assessment the course requires" in achievement["criteria"]["narrative"]
    assert achievement["creditsAvailable"] == subject["creditsEarned"] == 7.5
    assert body["evidence"][0]["id"] == body["id"]
    assert "Evidence" in body["evidence"][0]["type"]

    assert learner.email not in json.dumps(body)


def test_the_learner_is_known_by_name_and_a_pseudonym_never_by_email(certificate, learner):
    subject = badges.credential(certificate)["credentialSubject"]
    assert subject["identifier"] == [
        {
            "type": "IdentityObject",
            "identityHash": "Zoë Ashworth",
            "identityType": "name",
            "hashed": False,
        }
    ]
    assert subject["id"].startswith("urn:uuid:")
    text = json.dumps(badges.credential(certificate))
    assert learner.email not in text and "emailAddress" not in text


def test_a_learners_badges_share_a_subject_but_not_an_achievement(
    make_certificate, make_course, learner
):
    first = badges.credential(make_certificate(learner))["credentialSubject"]
    second = badges.credential(make_certificate(learner, make_course()))["credentialSubject"]
    assert first["id"] == second["id"]
    assert first["achievement"]["id"] != second["achievement"]["id"]


def test_a_certificate_that_never_expires_has_no_end_of_validity(
    client, make_certificate, make_course, learner
):
    certificate = make_certificate(learner, make_course(certificate_validity_months=None))
    body = badges.credential(certificate)
    assert "validUntil" not in body
    claims = verify(client, badges.signed_badge(certificate), required=("iss", "sub", "jti", "nbf"))
    assert "exp" not in claims


def test_the_issuer_profile_is_published_at_its_id(client):
    response = client.get("/badges/issuer")
    assert response.status_code == 200
    profile = response.get_json()
    assert profile == {
        "@context": list(badges.CONTEXTS),
        "id": "http://localhost/badges/issuer",
        "type": ["Profile"],
        "name": "Portfolio Management Office",
        "url": "http://localhost",
    }


# --- the key ---------------------------------------------------------------------------------


def test_the_key_is_made_once_and_kept_private(make_app, tmp_path):
    kids = []
    for _ in range(2):
        other = wire(make_app(INSTANCE_PATH=str(tmp_path)))
        with other.app_context():
            kids += [badges.key_id(), badges.key_id()]
    assert len(set(kids)) == 1
    path = tmp_path / badges.KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [badges.KEY_FILE]  # no drafts left


def test_processes_starting_together_end_up_with_one_key(tmp_path):
    path = tmp_path / "keys" / badges.KEY_FILE
    start = threading.Barrier(8)
    made = []

    def make():
        start.wait()
        made.append(public_bytes(badges._create_key(path)))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 8
    assert len(set(made)) == 1
    assert public_bytes(badges._read_key(path)) == made[0]
    assert [p.name for p in path.parent.iterdir()] == [badges.KEY_FILE]


def test_a_configured_key_file_is_used(app, client, certificate, tmp_path):
    key = Ed25519PrivateKey.generate()
    path = tmp_path / "supplied.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    app.config["BADGE_SIGNING_KEY_FILE"] = str(path)

    token = badges.signed_badge(certificate)
    key.public_key().verify(unpadded(token.split(".")[2]), token.rsplit(".", 1)[0].encode())
    verify(client, token)


def test_a_configured_key_file_that_is_missing_is_an_error(app, tmp_path):
    app.config["BADGE_SIGNING_KEY_FILE"] = str(tmp_path / "missing.pem")
    with pytest.raises(ConfigError, match="BADGE_SIGNING_KEY_FILE"):
        badges.signing_key()
    assert not (tmp_path / "missing.pem").exists()


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


# --- who gets a badge ----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["badge.json", "badge.jwt"])
def test_the_learner_admins_and_the_cohorts_trainer_get_the_badge(
    client, login, certificate, learner, admin, trainer, suffix
):
    url = f"/certificates/{certificate.number}/{suffix}"
    for person in (learner, admin, trainer):
        login(person)
        response = client.get(url)
        assert response.status_code == 200, person.email
        assert response.headers["Cache-Control"] == "no-store"
        client.post("/logout")
    login(learner)
    if suffix == "badge.json":
        assert client.get(url).get_json() == badges.credential(certificate)
    else:
        assert (
            verify(client, client.get(url).get_data(as_text=True))["id"]
            == (badges.credential(certificate)["id"])
        )


@pytest.mark.parametrize("suffix", ["badge.json", "badge.jwt"])
def test_nobody_else_learns_the_badge_exists(
    client, login, make_user, make_course, make_cohort, certificate, suffix
):
    other_learner = make_user()
    other_trainer = make_user(roles=[Role.TRAINER])
    make_cohort(make_course(), trainers=[other_trainer])
    url = f"/certificates/{certificate.number}/{suffix}"
    for person in (other_learner, other_trainer):
        login(person)
        assert client.get(url).status_code == 404, person.email
        client.post("/logout")
    login(other_learner)
    assert client.get(f"/certificates/PMO-2099-99999/{suffix}").status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, certificate):
    for suffix in ("badge.json", "badge.jwt"):
        response = client.get(f"/certificates/{certificate.number}/{suffix}")
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_an_unknown_code_has_no_badge(client, certificate):
    assert client.get("/verify/0000-0000-0000-0000-0000-0000-0000/badge.jwt").status_code == 404
    assert client.get("/verify/not-a-code/badge.jwt").status_code == 404


# --- certificates no longer current ----------------------------------------------------------


def test_a_revoked_certificate_has_no_badge(client, login, certificate, learner, admin):
    revoke(certificate, RevocationReason.ISSUED_IN_ERROR, "Wrong course", by=admin)
    db.session.commit()

    with pytest.raises(badges.BadgeUnavailable):
        badges.signed_badge(certificate)
    response = client.get(public_url(certificate))
    assert response.status_code == 410
    assert "This certificate has been revoked, so it has no badge." in response.get_data(
        as_text=True
    )
    login(learner)
    for suffix in ("badge.json", "badge.jwt"):
        assert client.get(f"/certificates/{certificate.number}/{suffix}").status_code == 410


def test_a_superseded_certificate_has_no_badge_but_its_successor_has(client, certificate, admin):
    successor = reissue(certificate, "Change of name", by=admin)
    db.session.commit()

    assert client.get(public_url(certificate)).status_code == 410
    token = client.get(public_url(successor)).get_data(as_text=True)
    assert verify(client, token)["id"] == f"http://localhost/verify/{successor.display_code}"


def test_the_key_set_has_a_second_address_where_the_guide_looks(app):
    rules = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    assert rules["/badges/keys.json"] == rules["/.well-known/jwks.json"] == "badges.keys"
    # Kids point to the first.
    assert badges.key_id().startswith("http://localhost/badges/keys.json#")


def test_public_badges_are_rate_limited_per_address(app, client, certificate):
    app.config["VERIFY_LIMIT_PER_IP"] = "2 per minute"
    assert [client.get(public_url(certificate)).status_code for _ in range(2)] == [200, 200]
    response = client.get(public_url(certificate))
    assert response.status_code == 429
    assert "Wait a minute" in response.get_data(as_text=True)


def test_the_learners_pseudonym_does_not_give_away_their_id(certificate, app):
    subject = badges.credential(certificate)["credentialSubject"]["id"]
    issuer = badges.issuer_id()
    guesses = {
        uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer}#{form}{number}").urn
        for number in range(1, 2000)
        for form in ("learner/", "")
    }
    assert subject not in guesses
    app.config["SECRET_KEY"] = "another-secret-key-of-at-least-32-chars!"
    assert badges.credential(certificate)["credentialSubject"]["id"] != subject
