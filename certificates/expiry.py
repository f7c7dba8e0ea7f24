"""Expiry: how a certificate stands today, and telling holders that one expires soon,
once each (`flask lms tick`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from certificates.models import Certificate, CertificateStatus, Standing
from lms.core import outbox
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.web.urls import external_url


def notice_days() -> int:
    """How many days before expiry a certificate counts as expiring soon, and its holder
    is told (CERTIFICATE_EXPIRY_NOTICE_DAYS)."""
    return current_app.config["CERTIFICATE_EXPIRY_NOTICE_DAYS"]


def standing(certificate: Certificate) -> Standing:
    """How the certificate stands today, as its holder and a verifier see it."""
    return certificate.standing(local_today(), notice_days())


def with_standings(certificates: Iterable[Certificate]) -> list[tuple[Certificate, Standing]]:
    """Each certificate of a list with how it stands today."""
    today, soon = local_today(), notice_days()
    return [(certificate, certificate.standing(today, soon)) for certificate in certificates]


def send_expiry_notices(now: datetime) -> int:
    """Queues a notice to the holder of each current certificate that expires within
    CERTIFICATE_EXPIRY_NOTICE_DAYS and has not been noticed; returns how many.

    Each certificate is claimed by one conditional UPDATE before its mail is queued, in
    the same transaction, so ticks running at once never tell anyone twice.
    """
    today = local_today(now)
    horizon = today + timedelta(days=notice_days())
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
