"""Account services: logging in and out, passwords, and single-use password links."""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import insert, select, update

from lms.audit import audit
from lms.auth.models import PasswordToken, User
from lms.auth.passwords import hash_password, needs_rehash, password_problems, verify_password
from lms.core import outbox
from lms.core.db import utcnow
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.web.urls import external_url

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


def set_password(user: User, password: str) -> None:
    """An operator sets a person's password (`flask lms create-admin`): checked like any
    other; ends their sessions and retires their unused reset and invitation links."""
    check_new_password(user, password)
    _set_password(user, password)
    audit.record(None, "password.set_by_operator", user)


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
        "auth/mail/password_reset",
        user=user,
        link=external_url("auth.reset_password", token=raw),
        minutes=int(current_app.config["PASSWORD_RESET_TTL"].total_seconds() // 60),
    )


INVITATION_BATCH = 500  # people invited per round of statements


def send_invitation(user: User, *, by: User | None) -> None:
    """Mails one person a link to set their password (see `send_invitations`)."""
    send_invitations([user.id], by=by)


def send_invitations(user_ids: Iterable[int], *, by: User | None) -> int:
    """Mails each active person among `user_ids` a link to set their password; returns how many.

    Deactivated people are skipped. A person's earlier unused invitation stops working,
    and each invitation is audited. Every 500 people cost the same five statements, so
    inviting a whole trust costs no more round trips per person than inviting one.
    """
    ids = list(dict.fromkeys(user_ids))
    return sum(
        _invite_batch(ids[start : start + INVITATION_BATCH], by)
        for start in range(0, len(ids), INVITATION_BATCH)
    )


def _invite_batch(ids: list[int], by: User | None) -> int:
    people = db.session.execute(
        select(User.id, User.email, User.full_name)
        .where(User.id.in_(ids), User.is_active_account.is_(True))
        .order_by(User.id)
    ).all()
    if not people:
        return 0
    now = utcnow()
    db.session.execute(
        update(PasswordToken)
        .where(
            PasswordToken.user_id.in_([person.id for person in people]),
            PasswordToken.purpose == INVITATION,
            PasswordToken.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    config = current_app.config
    subject = f"You have been invited to {config['SERVICE_NAME']}"
    hours = int(config["INVITATION_TTL"].total_seconds() // 3600)
    tokens, mail, events = [], [], []
    for person in people:
        raw = secrets.token_urlsafe(32)
        tokens.append(
            {
                "user_id": person.id,
                "purpose": INVITATION,
                "token_hash": _hash_token(raw),
                "created_at": now,
                "expires_at": now + config["INVITATION_TTL"],
            }
        )
        link = external_url("auth.reset_password", token=raw)
        context = {"user": person, "invited_by": by, "link": link, "hours": hours}
        mail.append((person.email, subject, context))
        events.append(audit.build(by, "user.invitation_sent", person, entity_type="User"))
    db.session.execute(insert(PasswordToken), tokens)
    outbox.queue_many_mail("auth/mail/invitation", mail)
    audit.record_many(events)
    return len(people)


class InvitationState(enum.StrEnum):
    WAITING = "waiting"  # sent, not used, still working
    USED = "used"  # a password has been set since (through the link or otherwise)
    EXPIRED = "expired"  # never used, and the link no longer works


@dataclass(frozen=True)
class Invitation:
    """The latest invitation sent to a person, as an admin sees it."""

    sent_at: datetime
    expires_at: datetime
    used_at: datetime | None

    @property
    def state(self) -> InvitationState:
        if self.used_at is not None:
            return InvitationState.USED
        if self.expires_at <= utcnow():
            return InvitationState.EXPIRED
        return InvitationState.WAITING


def last_invitation(user: User) -> Invitation | None:
    """The latest invitation sent to this person, or None if they have never had one.

    Only the latest can be marked used by a password being set: earlier ones were closed
    when the next was sent.
    """
    row = db.session.execute(
        select(PasswordToken.created_at, PasswordToken.expires_at, PasswordToken.used_at)
        .where(PasswordToken.user_id == user.id, PasswordToken.purpose == INVITATION)
        .order_by(PasswordToken.created_at.desc(), PasswordToken.id.desc())
        .limit(1)
    ).first()
    return Invitation(*row) if row else None


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
    # Claim the link first, by a conditional UPDATE: of two uses at once, one wins.
    claimed = db.session.execute(
        update(PasswordToken)
        .where(PasswordToken.id == token.id, PasswordToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        raise InvalidToken("This link has already been used")
    _set_password(user, password)  # also retires the person's other unused links
    action = "password.set_from_invitation" if token.purpose == INVITATION else "password.reset"
    audit.record(user, action, user)
    return user
