"""Expiry notices (certificates/expiry.py, through `flask lms tick`): once per certificate,
within the notice period, never for revoked or superseded ones."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from certificates import revoke
from certificates.expiry import send_expiry_notices
from certificates.models import RevocationReason
from lms.core import outbox
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from tests.helpers import NOW, links_in


def _expiring(make_certificate, learner, in_days: int):
    certificate = make_certificate(learner)
    certificate.expires_on = NOW.date() + timedelta(days=in_days)
    db.session.commit()
    return certificate


def test_tick_tells_the_holder_once_within_60_days(
    runner, make_certificate, learner, make_user, smtp
):
    soon = _expiring(make_certificate, learner, 59)
    _expiring(make_certificate, make_user(), 61)  # not yet
    _expiring(make_certificate, make_user(), -1)  # already expired: too late to warn

    first = runner.invoke(args=["lms", "tick"])
    assert "Queued 1 notice(s) of a certificate expiring soon." in first.output
    second = runner.invoke(args=["lms", "tick"])
    assert "Queued 0 notice(s)" in second.output
    outbox.deliver_all_due()
    (message,) = [m for m in smtp if "expires on" in m["Subject"]]
    assert message["To"] == learner.email
    assert soon.number in message.get_body(("plain",)).get_content()
    assert any(link.endswith("/certificates/") for link in links_in(message))


def test_a_renewable_course_says_how_to_renew(make_certificate, learner, app):
    certificate = _expiring(make_certificate, learner, 10)
    certificate.course.allows_recertification = True
    db.session.commit()
    assert send_expiry_notices(NOW) == 1
    body = db.session.scalar(
        select(OutboxMessage.body_text).where(OutboxMessage.subject.contains("expires on"))
    )
    assert "To renew it, enrol on a new cohort" in body
    assert f"/courses/{certificate.course.code}" in body


def test_revoked_certificates_are_not_warned(make_certificate, learner, admin):
    certificate = _expiring(make_certificate, learner, 10)
    revoke(certificate, RevocationReason.OTHER, "Withdrawn", by=admin)
    db.session.commit()
    assert send_expiry_notices(NOW) == 0


def test_the_notice_period_is_a_setting(app, make_certificate, learner):
    _expiring(make_certificate, learner, 80)
    assert send_expiry_notices(NOW) == 0
    app.config["CERTIFICATE_EXPIRY_NOTICE_DAYS"] = 90
    assert send_expiry_notices(NOW) == 1
