"""Telling holders that a certificate expires soon, once each (`flask lms tick`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from certificates.models import Certificate, CertificateStatus
from lms.core import outbox
from lms.core.extensions import db
from lms.core.timezones import to_local
from lms.web.urls import external_url


def send_expiry_notices(now: datetime) -> int:
    """Queues a notice to the holder of each current certificate that expires within
    CERTIFICATE_EXPIRY_NOTICE_DAYS and has not been noticed; returns how many.

    Each certificate is claimed by one conditional UPDATE before its mail is queued, in
    the same transaction, so ticks running at once never tell anyone twice.
    """
    today = to_local(now).date()
    horizon = today + timedelta(days=current_app.config["CERTIFICATE_EXPIRY_NOTICE_DAYS"])
    claimed = db.session.scalars(
        update(Certificate)
        .where(
            Certificate.status == CertificateStatus.VALID,
            Certificate.expiry_notice_sent_at.is_(None),
            Certificate.expires_on.between(today, horizon),
        )
        .values(expiry_notice_sent_at=now)
        .returning(Certificate.id),
        execution_options={"synchronize_session": False},
    ).all()
    if not claimed:
        return 0
    certificates = db.session.scalars(
        select(Certificate)
        .where(Certificate.id.in_(claimed))
        .options(joinedload(Certificate.learner), joinedload(Certificate.course))
        .order_by(Certificate.id)
    ).all()
    messages = [
        (
            certificate.learner.email,
            f"Your certificate for {certificate.course_title} expires on "
            f"{certificate.expires_on:%-d %B %Y}",
            {
                "learner": certificate.learner,
                "certificate": certificate,
                "renewable": certificate.course.allows_recertification,
                "course_link": external_url("catalogue.course", code=certificate.course.code),
                "certificates_link": external_url("certificates.index"),
            },
        )
        for certificate in certificates
    ]
    return outbox.queue_many_mail("certificates/mail/expiring", messages)
