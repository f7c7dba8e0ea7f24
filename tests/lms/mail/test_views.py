"""The admin's Mail page: lms/mail/views.py and lms/mail/delivery.py."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.core import outbox
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from tests.helpers import events, log_in, text_of


def message(recipient: str, status: str = "pending", **fields) -> OutboxMessage:
    row = outbox.queue(recipient, fields.pop("subject", "Your place is confirmed"), "Hello")
    row.status = status
    for name, value in fields.items():
        setattr(row, name, value)
    db.session.commit()
    return row


def statuses() -> list[str]:
    return list(db.session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


def test_the_mail_page_counts_each_state_and_lists_the_latest_failures(client, as_admin):
    now = utcnow()
    message("sent@example.nhs.uk", "sent")
    message("waiting@example.nhs.uk")
    message(
        "nobody@example.nhs.uk",
        "failed",
        subject="Reset your password",
        attempts=1,
        last_error="nobody@example.nhs.uk: 550 5.1.1 No such user here",
        last_attempt_at=now - timedelta(hours=1),
    )

    response = client.get("/admin/mail/")

    page = text_of(response)
    assert response.status_code == 200
    assert 'id="mail-pending">1<' in page and 'id="mail-failed">1<' in page
    assert 'id="mail-sent">1<' in page and 'id="mail-sending">0<' in page
    assert "nobody@example.nhs.uk" in page and "Reset your password" in page
    assert "550 5.1.1 No such user here" in page
    assert "Send failed messages again" in page
    assert "Hello" not in page.split("<h1>Mail</h1>", 1)[1]  # no body is shown
    assert "tried again for 48 hours" in page


def test_with_nothing_failed_the_page_offers_no_button(client, as_admin):
    message("sent@example.nhs.uk", "sent")
    page = text_of(client.get("/admin/mail/"))
    assert "No messages have failed." in page
    assert "Send failed messages again" not in page


def test_sending_failed_messages_again_requeues_them_and_is_audited(client, as_admin):
    message("a@example.nhs.uk", "failed", last_error="554 rejected")
    message("b@example.nhs.uk", "failed", last_error="554 rejected")
    message("c@example.nhs.uk", "sent")

    response = client.post("/admin/mail/requeue")

    assert response.status_code == 302 and response.headers["Location"] == "/admin/mail/"
    assert statuses() == ["pending", "pending", "sent"]
    [event] = events("mail.requeued")
    assert (event.actor_id, event.entity_type, event.after) == (
        as_admin.id,
        "OutboxMessage",
        {"messages": 2},
    )
    assert "2 failed messages will be sent again." in text_of(client.get("/admin/mail/"))


def test_sending_again_with_nothing_failed_says_so_and_audits_nothing(client, as_admin):
    client.post("/admin/mail/requeue")
    assert "There were no failed messages to send again." in text_of(client.get("/admin/mail/"))
    assert events("mail.requeued") == []


def test_in_embedded_mode_requeued_mail_goes_straight_away(make_app, app, smtp_server, admin):
    sink, port = smtp_server
    message("a@example.nhs.uk", "failed", last_error="451 try later")
    inline = make_app(OUTBOX_INLINE=True, MAIL_TRANSPORT="smtp", MAIL_PORT=port)
    client = inline.test_client()
    assert log_in(client, admin.email).status_code == 302

    response = client.post("/admin/mail/requeue")
    assert response.status_code == 302, response.headers
    assert response.headers["Location"] == "/admin/mail/"

    assert [email["To"] for email in sink.messages] == ["a@example.nhs.uk"]
    assert statuses() == ["sent"]


def test_learners_may_not_see_or_requeue_mail(client, as_learner):
    message("a@example.nhs.uk", "failed")
    assert client.get("/admin/mail/").status_code == 403
    assert client.post("/admin/mail/requeue").status_code == 403
    assert statuses() == ["failed"]
