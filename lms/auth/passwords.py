"""Password hashing and the password rules (NCSC guidance, OWASP ASVS V2.1).

At least 10 characters and at most 128; no composition rules; refused when it contains
the person's email name, or when it is common: one of the passwords, names and words of
the frequency lists that zxcvbn ships (30,000 leaked passwords, 64,000 English words,
names and surnames; some 94,000 in all), alone or with digits and symbols around it
("Password2025!", "welcome123").
"""

from __future__ import annotations

import re
from contextlib import suppress
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context

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


# One list per line in zxcvbn's frequency_lists.py: `"passwords": "123456,password,...".split(",")`
_FREQUENCY_LIST = re.compile(r'^\s*"(\w+)": "([^"]*)"\.split\(","\)', re.MULTILINE)
# Digits, symbols and spaces around a word: "Password2025!" is "password" to a guesser.
_AROUND_THE_WORD = re.compile(r"^[\W\d_]+|[\W\d_]+$")


@cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's frequency lists, lower-case, read at first use and kept.

    Read as data rather than imported: importing zxcvbn builds its own ranked copies of
    every list, which the check here does not need.
    """
    spec = find_spec("zxcvbn")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the zxcvbn package, which holds the common-password lists, is missing")
    source = Path(spec.submodule_search_locations[0], "frequency_lists.py").read_text("utf-8")
    words: set[str] = set()
    for match in _FREQUENCY_LIST.finditer(source):
        words.update(word.lower() for word in match[2].split(","))
    words.discard("")  # else every password of only digits and symbols would be "common"
    return frozenset(words)


def is_common(password: str) -> bool:
    """On the lists as it is, or once the digits and symbols around it are taken off."""
    lowered = password.lower()
    common = common_passwords()
    return lowered in common or _AROUND_THE_WORD.sub("", lowered) in common


# Words a guesser tries first here (NCSC: block context-specific words), besides the
# words of the service's and the organisation's names.
_CONTEXT_WORDS = ("nhs", "trust", "hospital", "welcome", "password", "learning", "training")


def _context_words() -> list[str]:
    words = set(_CONTEXT_WORDS)
    if has_app_context():
        for setting in ("SERVICE_NAME", "ORGANISATION_NAME"):
            words.update(re.findall(r"[a-z]{3,}", current_app.config[setting].lower()))
    return sorted(words, key=len, reverse=True)


def is_guessable_here(password: str) -> bool:
    """Built from words of this place ("nhspassword", "Welcome2NHS!") with at most a
    common word or a few letters besides, or one short run repeated ("qwertyqwerty")."""
    letters = re.sub(r"[\W\d_]+", "", password.lower())
    if re.fullmatch(r"(.{1,8}?)\1+", letters):
        return True
    rest = letters
    for word in _context_words():
        rest = rest.replace(word, "")
    return rest != letters and (len(rest) < 4 or rest in common_passwords())


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    """Plain-English reasons the password is refused; empty when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return [f"Password must be at least {MIN_LENGTH} characters"]
    if len(password) > MAX_LENGTH:
        return [f"Password must be {MAX_LENGTH} characters or fewer"]
    lowered = password.lower()
    if is_common(password) or is_guessable_here(password):
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
