"""Account services: logging in and out, passwords, and single-use password links."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from sqlalchemy import select, update

from lms import audit, outbox
from lms.auth.models import PasswordToken, User
from lms.auth.passwords import hash_password, needs_rehash, password_problems, verify_password
from lms.db import utcnow
from lms.domain import DomainError
from lms.extensions import db
from lms.urls import external_url

RESET, INVITATION = "reset", "invitation"


class PasswordRejected(DomainError):
    field = "password"


class WrongPassword(DomainError):
    field = "current_password"


class InvalidToken(DomainError):
    pass


def authenticate(email: str, password: str) -> User | None:
    """The active account with this email and password, or None; audits either way.

    Unknown email, wrong password and deactivated account look the same to the caller.
    """
    user = db.session.scalar(User.by_email(email))
    valid = verify_password(user.password_hash if user else None, password)
    if user is None or not valid or not user.is_active:
        audit.record(
            user,
            "login.failed",
            user,
            entity_type="User",
            after={"email": email.strip().lower()[:254]},
        )
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    audit.record(user, "login.succeeded", user)
    return user


def end_sessions(user: User) -> None:
    """Makes every session cookie issued to this user so far invalid."""
    user.session_version += 1


def log_out(user: User) -> None:
    end_sessions(user)
    audit.record(user, "logout", user)


def check_new_password(user: User, password: str, confirmation: str | None = None) -> None:
    problems = password_problems(password, email=user.email)
    if problems:
        raise PasswordRejected(problems[0])
    if confirmation is not None and confirmation != password:
        raise PasswordRejected("Passwords do not match", field="confirm_password")


def _set_password(user: User, password: str) -> None:
    user.password_hash = hash_password(password)
    end_sessions(user)
    db.session.execute(
        update(PasswordToken)
        .where(PasswordToken.user_id == user.id, PasswordToken.used_at.is_(None))
        .values(used_at=utcnow())
    )


def change_password(user: User, current: str, new: str, confirmation: str) -> None:
    """Sets a new password after checking the current one; ends every other session."""
    if not verify_password(user.password_hash, current):
        raise WrongPassword("Your current password is wrong")
    check_new_password(user, new, confirmation)
    _set_password(user, new)
    audit.record(user, "password.changed", user)


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, purpose: str) -> str:
    """A new single-use link token; earlier unused ones for the same purpose stop working."""
    now = utcnow()
    db.session.execute(
        update(PasswordToken)
        .where(
            PasswordToken.user_id == user.id,
            PasswordToken.purpose == purpose,
            PasswordToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    ttl = current_app.config["PASSWORD_RESET_TTL" if purpose == RESET else "INVITATION_TTL"]
    raw = secrets.token_urlsafe(32)
    db.session.add(
        PasswordToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=_hash_token(raw),
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return raw


def request_password_reset(email: str) -> None:
    """Mails a reset link if an active account has this email; says nothing either way."""
    user = db.session.scalar(User.by_email(email))
    if user is None or not user.is_active:
        return
    raw = issue_token(user, RESET)
    audit.record(None, "password.reset_requested", user)
    outbox.queue_mail(
        user.email,
        "Reset your password",
        "mail/password_reset",
        user=user,
        link=external_url("auth.reset_password", token=raw),
        minutes=int(current_app.config["PASSWORD_RESET_TTL"].total_seconds() // 60),
    )


def send_invitation(user: User, *, by: User) -> None:
    raw = issue_token(user, INVITATION)
    outbox.queue_mail(
        user.email,
        f"You have been invited to {current_app.config['SERVICE_NAME']}",
        "mail/invitation",
        user=user,
        invited_by=by,
        link=external_url("auth.reset_password", token=raw),
        hours=int(current_app.config["INVITATION_TTL"].total_seconds() // 3600),
    )


def valid_token(raw: str) -> PasswordToken:
    """The unused, unexpired token for this link, or InvalidToken."""
    token = db.session.scalar(
        select(PasswordToken).where(PasswordToken.token_hash == _hash_token(raw))
    )
    if (
        token is None
        or token.used_at is not None
        or token.expires_at <= utcnow()
        or not token.user.is_active
    ):
        raise InvalidToken("This link has expired or has already been used")
    return token


def reset_password(raw: str, password: str, confirmation: str) -> User:
    """Sets the password through a single-use link; the link then stops working."""
    token = valid_token(raw)
    user = token.user
    check_new_password(user, password, confirmation)
    _set_password(user, password)  # also marks this token used
    action = "password.set_from_invitation" if token.purpose == INVITATION else "password.reset"
    audit.record(user, action, user)
    return user
