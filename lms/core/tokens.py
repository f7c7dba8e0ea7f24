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
_SEAL = r"[0-9a-f]{32}"
# Letters, digits, dots and dashes only: a placeholder survives URL building and HTML
# escaping unchanged, so it can stand where the token goes in any link.
_PLACEHOLDER = re.compile(rf"lmsref\.({_PURPOSE})\.({_REFERENCE})\.({_SEAL})\.end")


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


def placeholder(
    purpose: str, reference: str, recipient: str, key: str | bytes | None = None
) -> str:
    """Stands for `derive(purpose, reference)` in a message queued to `recipient` until
    it is sent.

    It is sealed for that recipient (an HMAC under SECRET_KEY): a mail's text also holds
    what people typed (a name, a course title, a reason), and a placeholder typed there,
    or copied from another queued message, must never be filled, or anyone who had a
    copy of the database could have a link to someone else's account mailed to them.
    """
    if not re.fullmatch(_PURPOSE, purpose) or not re.fullmatch(_REFERENCE, reference):
        raise ValueError("not a token purpose and reference")
    return f"lmsref.{purpose}.{reference}.{_seal(purpose, reference, recipient, key)}.end"


def _seal(purpose: str, reference: str, recipient: str, key: str | bytes | None) -> str:
    """A placeholder's seal: an HMAC under SECRET_KEY, apart from any token's."""
    key = current_app.secret_key if key is None else key
    if isinstance(key, str):
        key = key.encode()
    message = f"placeholder\x00{purpose}\x00{reference}\x00{recipient.strip().lower()}"
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:32]


def fill_placeholders(
    text: str | None, recipient: str, key: str | bytes | None = None
) -> str | None:
    """The text of a message to `recipient` with every placeholder sealed for them
    replaced by its token (done at send time); anything else that looks like a
    placeholder is left as it is."""
    if not text or "lmsref." not in text:
        return text

    def token(match: re.Match) -> str:
        purpose, reference, seal = match[1], match[2], match[3]
        if not hmac.compare_digest(seal, _seal(purpose, reference, recipient, key)):
            return match[0]
        return derive(purpose, reference, key)

    return _PLACEHOLDER.sub(token, text)
