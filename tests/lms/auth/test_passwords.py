"""Password rules and hashing: lms/auth/passwords.py."""

from __future__ import annotations

import pytest

from lms.auth.passwords import MAX_LENGTH, hash_password, password_problems, verify_password


def test_hashes_are_argon2id_and_salted():
    first, second = hash_password("correct horse battery"), hash_password("correct horse battery")
    assert first.startswith("$argon2id$")
    assert first != second
    assert verify_password(first, "correct horse battery")
    assert not verify_password(first, "correct horse batterY")


def test_missing_or_broken_hashes_never_verify():
    assert not verify_password(None, "anything at all")
    assert not verify_password("not-a-hash", "anything at all")


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 10 characters"),
        ("x" * (MAX_LENGTH + 1), "128 characters or fewer"),
        ("password123", "too common"),
        ("QWERTYUIOP", "too common"),
        ("zoe.ashworth-rules-ok", "email name"),
        ("my ashworth garden", "email name"),
    ],
)
def test_refused_passwords_say_why(password, problem):
    problems = password_problems(password, email="zoe.ashworth@example.nhs.uk")
    assert problems and problem in problems[0]


@pytest.mark.parametrize(
    "password",
    ["plain lowercase words", "x" * MAX_LENGTH, "🦔 hedgehogs in autumn", "1234567890-ward-5-tea"],
)
def test_long_passwords_need_no_particular_characters(password):
    assert password_problems(password, email="zoe.ashworth@example.nhs.uk") == []
