"""Open Badges 3.0: each current certificate as a credential its learner can keep in a
wallet or send on, which anyone can check without asking us.

A badge is an OpenBadgeCredential (a W3C Verifiable Credential 2.0, OB 3.0 appendix B)
secured with the JSON Web Token proof format (VC-JWT, OB 3.0 §8.2): the credential is
the JWT's payload, with the claims iss, jti, nbf, sub and exp copied from it, signed with
EdDSA (Ed25519) and written as a compact JWS. The JOSE header names the key by `kid`, a
URL of the published key set with the key's RFC 7638 thumbprint as its fragment, so a
verifier can fetch the public key from our key set (also at /.well-known/jwks.json, where
the OB 3.0 implementation guide tells verifiers to look).

One Ed25519 key signs every badge. It is read from BADGE_SIGNING_KEY_FILE (PEM, PKCS #8)
when that is set, else from the instance folder, where it is made the first time it is
needed. Every process and host that issues badges must sign with the same key, so a
deployment on more than one host sets BADGE_SIGNING_KEY_FILE to the same key on each.

A badge says only what its certificate says on the day of issue (the snapshot), and is
the same string every time for the same certificate and key. A revoked or superseded
certificate has no badge; one already downloaded stays signed, and its `id` is the
certificate's public verification page, which shows its standing today.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

from certificates.issuing import verification_url
from certificates.models import Certificate, CertificateStatus
from certificates.render import describe_hours, uk_date
from lms.core import tokens
from lms.core.config import ConfigError
from lms.core.domain import DomainError
from lms.core.timezones import start_of_local_day
from lms.web.urls import external_url

# OB 3.0 appendix B (AchievementCredential): the VC 2.0 context first, then OB 3.0's.
CONTEXTS = (
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
)
KEY_FILE = "badge-signing-key.pem"
ALGORITHM = "EdDSA"
_KEY_CACHE = "lms.badge_signing_key"

# The rule of courses/completion.py in words, the same for every course: the numbers
# (the attendance needed, which assessments) are the course's own and may change, while
# a badge only says what was true on the day of issue.
COMPLETION_RULE = (
    "Awarded when a learner completes the course: they attend at least the share of its "
    "sessions that the course requires (arriving late or leaving early counts as attending, "
    "and excused sessions are left out), and pass every assessment the course requires."
)


class BadgeUnavailable(DomainError):
    """A certificate that is not current (revoked or superseded) has no badge."""


# --- the signing key -----------------------------------------------------------------------


def signing_key() -> Ed25519PrivateKey:
    """The Ed25519 key that signs badges: BADGE_SIGNING_KEY_FILE's when set, which must
    exist; else the instance folder's, made the first time. Read once per app and path."""
    app = current_app._get_current_object()
    configured = app.config.get("BADGE_SIGNING_KEY_FILE")
    path = Path(configured).expanduser() if configured else Path(app.instance_path) / KEY_FILE
    cached = app.extensions.get(_KEY_CACHE)
    if cached is None or cached[0] != path:
        if configured and not path.is_file():
            raise ConfigError(f"BADGE_SIGNING_KEY_FILE names no file: {path}")
        key = _read_key(path) if path.exists() else _create_key(path)
        cached = app.extensions[_KEY_CACHE] = (path, key)
    return cached[1]


def _read_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} holds no Ed25519 private key (PEM, PKCS #8)")
    return key


def _create_key(path: Path) -> Ed25519PrivateKey:
    """Makes the key file once. Several processes may start at once on a fresh folder: the
    key is written whole to a private file (mode 0600, created with O_EXCL) and then
    linked into place, which fails if another process got there first, so every process
    ends up with that one key and none ever reads a half-written file."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, draft = tempfile.mkstemp(dir=path.parent, prefix=".badge-signing-key-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(draft, path)
    except FileExistsError:
        pass  # another process made it first: its key is the one
    finally:
        os.unlink(draft)
    return _read_key(path)


def _public_members() -> dict:
    """The public key as the JWK members RFC 7638 hashes (RFC 8037 §2), in their order."""
    raw = (
        signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return {"crv": "Ed25519", "kty": "OKP", "x": _b64(raw)}


def thumbprint(members: dict) -> str:
    """The RFC 7638 thumbprint of a public JWK given by its required members."""
    return _b64(hashlib.sha256(_json(dict(sorted(members.items())))).digest())


def key_id() -> str:
    """The signing key's `kid`: a URL a verifier can dereference to the key (OB 3.0 §8.2,
    "Create the JOSE Header"): our key set, with the key's thumbprint as the fragment. It
    stays the same for as long as the key and the service's address do."""
    return f"{external_url('badges.keys')}#{thumbprint(_public_members())}"


def public_jwks() -> dict:
    """The key set verifiers fetch: the public signing key, never its private part. `iss`
    ties the key to our issuer profile, as the OB 3.0 implementation guide proposes."""
    key = _public_members()
    return {
        "keys": [
            {
                "kty": key["kty"],
                "crv": key["crv"],
                "x": key["x"],
                "kid": key_id(),
                "use": "sig",
                "alg": ALGORITHM,
                "iss": issuer_id(),
            }
        ]
    }


# --- the credential ------------------------------------------------------------------------


def issuer_id() -> str:
    """The issuer's identifier: the URL of its profile."""
    return external_url("badges.issuer")


def issuer_profile() -> dict:
    """The OB 3.0 Profile of the organisation, as served at its own `id`. OB 3.0 gives a
    profile no key: verifiers find it by the `kid` of each badge and in our key set."""
    return {"@context": list(CONTEXTS), **_issuer()}


def credential(certificate: Certificate) -> dict:
    """The certificate's OpenBadgeCredential, unsigned. Its `id` is the certificate's public
    verification URL; the learner is identified by a pseudonymous `id` and the name on the
    certificate (never their email address, not even hashed). Raises
    BadgeUnavailable for a certificate that is revoked or superseded."""
    _check_current(certificate)
    body = {
        "@context": list(CONTEXTS),
        "id": verification_url(certificate),
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": certificate.course_title,
        "description": (
            f"{certificate.learner_name} completed {certificate.course_title} with "
            f"{_organisation()} and was awarded certificate {certificate.number}."
        ),
        "issuer": _issuer(),
        "validFrom": _datetime(_valid_from(certificate)),
    }
    valid_until = _valid_until(certificate)
    if valid_until is not None:
        body["validUntil"] = _datetime(valid_until)
    body["credentialSubject"] = _subject(certificate)
    body["evidence"] = [_evidence(certificate)]
    return body


def signed_badge(certificate: Certificate) -> str:
    """The certificate's badge as a compact JWS (VC-JWT, OB 3.0 §8.2): the same string
    every time for the same certificate and key, since Ed25519 signatures are
    deterministic and the payload holds nothing random. Raises BadgeUnavailable as
    `credential` does."""
    body = credential(certificate)
    claims = {
        "iss": body["issuer"]["id"],
        "jti": body["id"],
        "sub": body["credentialSubject"]["id"],
        "nbf": _numeric_date(_valid_from(certificate)),
    }
    valid_until = _valid_until(certificate)
    if valid_until is not None:
        claims["exp"] = _numeric_date(valid_until)
    header = {"alg": ALGORITHM, "kid": key_id(), "typ": "JWT"}
    signing_input = f"{_b64(_json(header))}.{_b64(_json({**claims, **body}))}"
    signature = signing_key().sign(signing_input.encode("ascii"))
    return f"{signing_input}.{_b64(signature)}"


def _check_current(certificate: Certificate) -> None:
    if certificate.status == CertificateStatus.REVOKED:
        raise BadgeUnavailable("This certificate has been revoked, so it has no badge.")
    if certificate.status == CertificateStatus.SUPERSEDED:
        raise BadgeUnavailable(
            "This certificate has been replaced by a newer one, so it has no badge. "
            "The newer certificate has a badge of its own."
        )


def _organisation() -> str:
    return current_app.config["ORGANISATION_NAME"]


def _issuer() -> dict:
    return {
        "id": issuer_id(),
        "type": ["Profile"],
        "name": _organisation(),
        "url": current_app.config["BASE_URL"],
    }


def _subject(certificate: Certificate) -> dict:
    hours = float(certificate.cpd_hours)
    return {
        "id": _learner_urn(certificate.learner_id),
        "type": ["AchievementSubject"],
        # The name only: the badge is public to anyone holding the code, and even a salted
        # hash of an NHS address (guessable from the name) would let them test guesses.
        "identifier": [_name_identity(certificate)],
        # OB's credit hours: the CPD hours the course carries, as the certificate states.
        "creditsEarned": hours,
        "achievement": {
            "id": _urn(f"course/{certificate.course_code}"),
            "type": ["Achievement"],
            "achievementType": "CertificateOfCompletion",
            "name": certificate.course_title,
            "description": _achievement_description(certificate),
            "criteria": {"narrative": COMPLETION_RULE},
            "humanCode": certificate.course_code,
            "creditsAvailable": hours,
            "inLanguage": "en-GB",
        },
    }


def _achievement_description(certificate: Certificate) -> str:
    text = (
        f"{certificate.course_title} ({certificate.course_code}), a course run by "
        f"{_organisation()}, worth {describe_hours(certificate.cpd_hours)}."
    )
    if certificate.accreditation_body:
        reference = certificate.accreditation_reference
        text += f" Accredited by {certificate.accreditation_body}"
        text += f", reference {reference}." if reference else "."
    return text


def _evidence(certificate: Certificate) -> dict:
    narrative = f"Certificate {certificate.number}, issued on {uk_date(certificate.issued_on)}"
    if certificate.expires_on is not None:
        narrative += f" and valid until {uk_date(certificate.expires_on)}"
    narrative += ". Its verification page shows whether it is valid today."
    return {
        "id": verification_url(certificate),
        "type": ["Evidence"],
        "name": f"Certificate {certificate.number}",
        "narrative": narrative,
    }


def _name_identity(certificate: Certificate) -> dict:
    """The name printed on the certificate, which its verification page shows too."""
    return {
        "type": "IdentityObject",
        "identityHash": certificate.learner_name,
        "identityType": "name",
        "hashed": False,
    }


def _learner_urn(learner_id: int) -> str:
    """The learner's pseudonym, the same on all their badges: a UUID made from an HMAC of
    their id under SECRET_KEY, so that no one holding a badge can work back to the id
    (a uuid5 of the id alone falls to trying 1, 2, 3...)."""
    token = tokens.derive("badge-subject", f"{learner_id:032x}")
    digest = hashlib.sha256(token.encode()).digest()[:16]
    return uuid.UUID(bytes=digest, version=4).urn


def _urn(name: str) -> str:
    """A stable URN for one of our things (a learner, a course) at this service's address;
    it names without revealing anything, and no one can look it up."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer_id()}#{name}").urn


def _valid_from(certificate: Certificate) -> datetime:
    # Whole seconds: the JWT's nbf must equal validFrom (OB 3.0 §8.2, "Verify a Credential").
    return certificate.issued_at.astimezone(UTC).replace(microsecond=0)


def _valid_until(certificate: Certificate) -> datetime | None:
    """The end of the certificate's last valid day, in London."""
    if certificate.expires_on is None:
        return None
    return start_of_local_day(certificate.expires_on + timedelta(days=1))


def _datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _numeric_date(moment: datetime) -> int:
    return int(moment.timestamp())


def _json(value: dict) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
