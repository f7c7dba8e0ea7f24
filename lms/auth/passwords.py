"""Password hashing and the password rules (NCSC guidance, OWASP ASVS V2.1).

At least 10 characters and at most 128; no composition rules; refused when on a
list of common passwords or when it contains the person's email name.
"""

from __future__ import annotations

import re
from contextlib import suppress
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 128

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
# Verifying against this keeps a login for an unknown email as slow as one for a real account.
_DUMMY_HASH = _hasher.hash("a password nobody has, used to even out timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        _burn(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _burn(password: str) -> None:
    with suppress(VerificationError):
        _hasher.verify(_DUMMY_HASH, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def common_passwords() -> frozenset[str]:
    text = resources.files("lms.auth").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Plain-English reasons the password is refused; empty when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return [f"Password must be at least {MIN_LENGTH} characters"]
    if len(password) > MAX_LENGTH:
        return [f"Password must be {MAX_LENGTH} characters or fewer"]
    lowered = password.lower()
    if lowered in common_passwords():
        return ["Password is too common. Choose one that would be hard to guess"]
    if email:
        for part in _email_name_parts(email):
            if part in lowered:
                return ["Password must not contain your email name"]
    return []


def _email_name_parts(email: str) -> list[str]:
    local = email.split("@", 1)[0].lower()
    parts = {local} | set(re.split(r"[._+\-]+", local))
    return [part for part in parts if len(part) >= 4]
