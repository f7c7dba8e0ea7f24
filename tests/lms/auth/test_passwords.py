"""Password rules and hashing: lms/auth/passwords.py."""

from __future__ import annotations

import pytest

from lms.auth.passwords import (
    MAX_LENGTH,
    common_passwords,
    hash_password,
    password_problems,
    verify_password,
)


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


LONGEST = (
    "the quick brown fox jumps over the lazy dog while seven wards wait for tea and the "
    "porters argue about the best biscuits in the whole town"
)[:MAX_LENGTH]


@pytest.mark.parametrize(
    "password",
    [
        "plain lowercase words",
        LONGEST,
        "🦔 hedgehogs in autumn",
        "1234567890-ward-5-tea",
        "my nhs training in zebra canyons",  # words of this place inside a passphrase
    ],
)
def test_long_passwords_need_no_particular_characters(password):
    """(And the longest allowed is allowed.)"""
    assert password_problems(password, email="zoe.ashworth@example.nhs.uk") == []


def test_the_common_password_lists_are_zxcvbns_and_complete():
    common = common_passwords()
    assert len(common) > 90_000  # 30,000 passwords, 30,000 words, names and surnames
    assert {"123456", "password", "qwertyuiop", "1qaz2wsx3edc", "christopher"} <= common
    assert "" not in common
    assert common_passwords() is common  # read once


@pytest.mark.parametrize(
    "password",
    [
        "1qaz2wsx3edc",  # from the leaked-password list
        "Basketball",  # one common word
        "Christopher",  # one common name
        "Password2025!",  # a common password with digits and symbols around it
        "welcome1234",
        "  sunshine!!!!  ",
    ],
)
def test_common_passwords_are_refused(password):
    problems = password_problems(password, email="zoe.ashworth@example.nhs.uk")
    assert problems == ["Password is too common. Choose one that would be hard to guess"]


@pytest.mark.parametrize(
    "password",
    [
        "nhspassword",
        "Welcome2NHS!",
        "NHS-trust-2026",
        "qwertyqwerty",
        "Xk9!Xk9!Xk9!",
        "LearningAndCPD1",  # the service's own name
        "PortfolioManagement9",  # the organisation's
    ],
)
def test_passwords_made_of_this_places_words_or_a_repeated_run_are_refused(app, password):
    problems = password_problems(password, email="zoe.ashworth@example.nhs.uk")
    assert problems == ["Password is too common. Choose one that would be hard to guess"]


def test_a_password_of_only_digits_and_symbols_is_not_common_for_that_alone():
    assert password_problems("90210-!-44-17", email="zoe.ashworth@example.nhs.uk") == []
