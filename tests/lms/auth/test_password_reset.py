"""Password reset and change: lms/auth/accounts.py through the pages, mail on real SMTP."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lms.audit.audit import AuditEvent
from lms.auth import accounts
from lms.auth.models import PasswordToken, User
from lms.core import outbox, tokens
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.models import metadata
from tests.helpers import PASSWORD, links_in, log_in

NEW_PASSWORD = "a brand new passphrase"


def request_reset_by_mail(client, email, smtp_server, app):
    """Asks for a reset, runs the outbox through the SMTP server, returns the link path."""
    sink, port = smtp_server
    response = client.post("/account/reset", data={"email": email})
    assert response.status_code == 200
    assert "Check your email" in response.get_data(as_text=True)
    app.config.update(MAIL_TRANSPORT="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    outbox.deliver_due()
    return sink


def test_reset_mail_arrives_by_smtp_and_its_link_works_once(app, client, learner, smtp_server):
    sink = request_reset_by_mail(client, learner.email, smtp_server, app)
    assert len(sink.messages) == 1
    message = sink.messages[0]
    assert message["To"] == learner.email
    assert message["Subject"] == "Reset your password"
    link = next(link for link in links_in(message) if "/account/reset/" in link)
    path = urlsplit(link).path

    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert log_in(client, learner.email, NEW_PASSWORD).status_code == 302
    client.post("/logout")

    again = client.get(path)
    assert again.status_code == 410
    assert "This link has expired" in again.get_data(as_text=True)
    reuse = client.post(
        path, data={"password": "another passphrase", "confirm_password": "another passphrase"}
    )
    assert reuse.status_code == 410
    assert log_in(client, learner.email, NEW_PASSWORD).status_code == 302


def test_reset_link_expires_after_an_hour(app, client, learner, smtp_server):
    sink = request_reset_by_mail(client, learner.email, smtp_server, app)
    path = urlsplit(next(iter(links_in(sink.messages[0])))).path
    token = db.session.scalar(select(PasswordToken))
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(path).status_code == 410


def test_a_new_reset_request_retires_the_old_link(app, client, learner, smtp_server):
    sink = request_reset_by_mail(client, learner.email, smtp_server, app)
    request_reset_by_mail(client, learner.email, smtp_server, app)
    first, second = (urlsplit(links_in(m)[0]).path for m in sink.messages)
    assert client.get(first).status_code == 410
    assert client.get(second).status_code == 200


def test_unknown_email_gets_the_same_answer_and_no_mail(app, client, smtp_server):
    sink = request_reset_by_mail(client, "nobody@example.nhs.uk", smtp_server, app)
    assert sink.messages == []


def test_weak_new_password_is_refused_next_to_the_field(app, client, learner, smtp_server):
    sink = request_reset_by_mail(client, learner.email, smtp_server, app)
    path = urlsplit(links_in(sink.messages[0])[0]).path
    response = client.post(
        path, data={"password": "password123", "confirm_password": "password123"}
    )
    assert response.status_code == 422
    assert "Password is too common" in response.get_data(as_text=True)
    assert client.get(path).status_code == 200  # the link still works after a mistake


def test_tokens_are_stored_hashed_and_audit_holds_no_secret(app, client, learner, smtp_server):
    sink = request_reset_by_mail(client, learner.email, smtp_server, app)
    raw = urlsplit(links_in(sink.messages[0])[0]).path.rsplit("/", 1)[1]
    assert db.session.scalar(select(PasswordToken)).token_hash != raw
    for event in db.session.scalars(select(AuditEvent)):
        assert raw not in str(event.before) + str(event.after)


def test_change_password_ends_other_sessions_but_not_this_one(app, client, learner):
    other = app.test_client()
    log_in(other, learner.email, PASSWORD)
    log_in(client, learner.email, PASSWORD)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302
    actions = [event.action for event in db.session.scalars(select(AuditEvent))]
    assert "password.changed" in actions


def test_change_password_checks_the_current_one(client, learner):
    log_in(client, learner.email, PASSWORD)
    response = client.post(
        "/account/password",
        data={
            "current_password": "wrong one!",
            "password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422
    assert "Your current password is wrong" in response.get_data(as_text=True)


def test_change_password_needs_matching_confirmation(client, learner):
    log_in(client, learner.email, PASSWORD)
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "password": NEW_PASSWORD,
            "confirm_password": "different",
        },
    )
    assert response.status_code == 422
    assert "Passwords do not match" in response.get_data(as_text=True)


def test_a_link_used_twice_at_once_sets_the_password_once(app, learner, monkeypatch):
    """The other use lands between this one's checks and its change: this one is refused."""
    raw = accounts.issue_token(learner, accounts.RESET)
    db.session.commit()
    learner_id, before = learner.id, learner.password_hash
    real_check = accounts.check_new_password

    def the_other_use_lands_now(user, password, confirmation=None):
        real_check(user, password, confirmation)
        with Session(db.engine) as other_request:
            other_request.execute(
                update(PasswordToken)
                .where(PasswordToken.user_id == learner_id)
                .values(used_at=utcnow())
            )
            other_request.commit()

    monkeypatch.setattr(accounts, "check_new_password", the_other_use_lands_now)

    with pytest.raises(accounts.InvalidToken):
        accounts.reset_password(raw, "a-new-long-passphrase", "a-new-long-passphrase")
    db.session.rollback()
    assert db.session.get(User, learner_id).password_hash == before


# --- no secret at rest ---------------------------------------------------------------------


def stored_anywhere(secret: str) -> list[str]:
    """Every table.column of the database holding `secret` in any row."""
    found = []
    for table in metadata.sorted_tables:
        for row in db.session.execute(select(table)).mappings():
            found += [
                f"{table.name}.{column}"
                for column, value in row.items()
                if value is not None and secret in str(value)
            ]
    return found


def token_from(message) -> tuple[str, str]:
    """The token and the path of the password link in a mail as received."""
    link = next(link for link in links_in(message) if "/account/reset/" in link)
    path = urlsplit(link).path
    token = path.rsplit("/", 1)[1]
    assert f'/account/reset/{token}"' in message.get_body(("html",)).get_content()
    return token, path


def test_after_a_reset_request_no_table_holds_the_token_and_the_mailed_link_works(
    app, client, learner, smtp_server
):
    """A copy of the database (a backup, the outbox's sent history) cannot take over an
    account: the token is only in the mail as sent."""
    sink = request_reset_by_mail(client, learner.email, smtp_server, app)
    token, path = token_from(sink.messages[0])

    assert stored_anywhere(token) == []
    # the scan does read the rows: it finds what is stored in place of the token
    assert stored_anywhere(tokens.digest(token)) == ["password_token.token_hash"]

    response = client.post(path, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert log_in(client, learner.email, NEW_PASSWORD).status_code == 302


def test_after_an_invitation_no_table_holds_the_token_and_the_mailed_link_works(
    app, client, admin, make_newcomer, smtp
):
    person = make_newcomer("nia.roberts@example.nhs.uk")
    accounts.send_invitations([person.id], by=admin)
    db.session.commit()
    outbox.deliver_due()
    [message] = smtp
    token, path = token_from(message)

    assert stored_anywhere(token) == []
    assert stored_anywhere(tokens.digest(token)) == ["password_token.token_hash"]

    response = client.post(path, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
    assert log_in(client, person.email, NEW_PASSWORD).status_code == 302


def test_a_link_mailed_before_links_had_references_still_works(app, client, learner):
    """Rows made before the migration that added references keep only the SHA-256 of a
    random token; the link mailed with it works until it expires."""
    raw = "an-old-random-token-from-before-references-0123"
    now = utcnow()
    db.session.add(
        PasswordToken(
            user_id=learner.id,
            purpose=accounts.RESET,
            reference=None,
            token_hash=hashlib.sha256(raw.encode()).hexdigest(),
            created_at=now,
            expires_at=now + timedelta(minutes=30),
        )
    )
    db.session.commit()
    path = f"/account/reset/{raw}"
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD})
    assert response.status_code == 302
