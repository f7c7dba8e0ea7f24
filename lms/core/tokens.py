"""Secret link tokens that are never stored: derived from a reference and SECRET_KEY.

A password link, an invitation or a calendar feed address carries a secret token. The
database keeps only a random *reference* and the SHA-256 *digest* of the token; the
token itself is `derive(purpose, reference)`, an HMAC under the application's
SECRET_KEY. So a copy of the database (or a backup) holds nothing that opens an
account or a calendar, while the application can still show a person their calendar
address again, and the mail sender can put a link into a message at the moment it
sends it (see `placeholder` and `fill_placeholders`): the outbox holds a placeholder,
never the link.

Rotating SECRET_KEY changes every derived token: outstanding password links stop
working (they last hours) and calendar addresses change (people copy the new one).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from flask import current_app

_PURPOSE = r"[a-z][a-z-]{0,30}"
_REFERENCE = r"[0-9a-f]{32}"
# Letters, digits, dots and dashes only: a placeholder survives URL building and HTML
# escaping unchanged, so it can stand where the token goes in any link.
_PLACEHOLDER = re.compile(rf"lmsref\.({_PURPOSE})\.({_REFERENCE})\.end")


def new_reference() -> str:
    """A random reference for a new token (128 bits; not itself a secret)."""
    return secrets.token_hex(16)


def derive(purpose: str, reference: str, key: str | bytes | None = None) -> str:
    """The secret token for this reference: an HMAC-SHA256 under SECRET_KEY, base64url."""
    if not re.fullmatch(_PURPOSE, purpose) or not re.fullmatch(_REFERENCE, reference):
        raise ValueError("not a token purpose and reference")
    key = current_app.secret_key if key is None else key
    if isinstance(key, str):
        key = key.encode()
    mac = hmac.new(key, f"{purpose}:{reference}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def digest(token: str) -> str:
    """What is stored to recognise a token: its SHA-256, hex (64 characters)."""
    return hashlib.sha256(token.encode()).hexdigest()


def placeholder(purpose: str, reference: str) -> str:
    """Stands for `derive(purpose, reference)` in a queued message until it is sent."""
    if not re.fullmatch(_PURPOSE, purpose) or not re.fullmatch(_REFERENCE, reference):
        raise ValueError("not a token purpose and reference")
    return f"lmsref.{purpose}.{reference}.end"


def fill_placeholders(text: str | None, key: str | bytes | None = None) -> str | None:
    """The text with every placeholder replaced by its token (done at send time)."""
    if not text or "lmsref." not in text:
        return text
    return _PLACEHOLDER.sub(lambda match: derive(match[1], match[2], key), text)
