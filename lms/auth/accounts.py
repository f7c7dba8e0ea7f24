"""Account services: logging in and out, passwords, and single-use password links."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import insert, select, update

from lms.audit import audit
from lms.auth.models import PasswordToken, User
from lms.auth.passwords import hash_password, needs_rehash, password_problems, verify_password
from lms.core import outbox, tokens
from lms.core.db import utcnow
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.timezones import format_local
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
        audit.record(user, "login.failed", user, entity_type="User", after=_typed_email(email))
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    audit.record(user, "login.succeeded", user)
    return user


def _typed_email(email: str) -> dict | None:
    """What a failed login's audit event keeps of the email box: the address when it is a
    well-formed one, else nothing, since people type their password there by mistake."""
    typed = email.strip()
    try:
        validate_email(typed, check_deliverability=False)
    except EmailNotValidError:
        return None
    return {"email": typed.lower()[:254]}


def warn_of_failed_logins(email: str) -> None:
    """Mails the owner of this account, if it is an active one, that someone has been
    failing to log in to it (lms/auth/throttle.py decides when); audited."""
    user = db.session.scalar(User.by_email(email))
    if user is None or not user.is_active:
        return
    outbox.queue_mail(
        user.email,
        "Someone has been trying to log in to your account",
        "auth/mail/failed_logins",
        user=user,
        when=format_local(utcnow()),
        reset_link=external_url("auth.request_reset"),
    )
    audit.record(None, "login.owner_warned", user)


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


def _new_token(user_id: int, purpose: str, now: datetime) -> tuple[dict, str]:
    """A new link's row and its reference. The row holds the reference and the token's
    digest, never the token (derived from the reference and SECRET_KEY)."""
    reference = tokens.new_reference()
    ttl = current_app.config["PASSWORD_RESET_TTL" if purpose == RESET else "INVITATION_TTL"]
    row = {
        "user_id": user_id,
        "purpose": purpose,
        "reference": reference,
        "token_hash": tokens.digest(tokens.derive(purpose, reference)),
        "created_at": now,
        "expires_at": now + ttl,
    }
    return row, reference


def _mailed_link(purpose: str, reference: str, recipient: str) -> str:
    """The link as a queued mail to `recipient` holds it: a placeholder where the token
    goes, which the outbox replaces with the token only as it sends that mail."""
    token = tokens.placeholder(purpose, reference, recipient)
    return external_url("auth.reset_password", token=token)


def _issue(user: User, purpose: str) -> str:
    """Makes a new link and retires the person's earlier unused ones for the same
    purpose; returns the new link's reference."""
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
    row, reference = _new_token(user.id, purpose, now)
    db.session.add(PasswordToken(**row))
    return reference


def issue_token(user: User, purpose: str) -> str:
    """A new single-use link token; earlier unused ones for the same purpose stop working.

    The token is returned, never stored. Mail does not use this: a queued message must
    not hold the token either (see `request_password_reset`).
    """
    return tokens.derive(purpose, _issue(user, purpose))


def request_password_reset(email: str) -> None:
    """Mails a reset link if an active account has this email; says nothing either way."""
    user = db.session.scalar(User.by_email(email))
    if user is None or not user.is_active:
        return
    reference = _issue(user, RESET)
    audit.record(None, "password.reset_requested", user)
    outbox.queue_mail(
        user.email,
        "Reset your password",
        "auth/mail/password_reset",
        user=user,
        link=_mailed_link(RESET, reference, user.email),
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
    links, mail, events = [], [], []
    for person in people:
        row, reference = _new_token(person.id, INVITATION, now)
        links.append(row)
        link = _mailed_link(INVITATION, reference, person.email)
        context = {"user": person, "invited_by": by, "link": link, "hours": hours}
        mail.append((person.email, subject, context))
        events.append(audit.build(by, "user.invitation_sent", person, entity_type="User"))
    db.session.execute(insert(PasswordToken), links)
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
        select(PasswordToken).where(PasswordToken.token_hash == tokens.digest(raw))
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
