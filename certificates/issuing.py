"""Issuing, revoking and re-issuing certificates.

`issue(enrolment)` runs when `courses` announces a completion (certificates/receivers.py)
and is safe to call any number of times, from any number of processes at once: it locks
the enrolment, so the second caller waits and then finds the certificate the first one
made. Numbers come from a per-year counter that moves in the certificate's own
transaction, so they run without gaps or duplicates.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from certificates import codes, signals
from certificates.models import (
    Certificate,
    CertificateFile,
    CertificateSerial,
    CertificateStatus,
    RevocationReason,
)
from certificates.render import LAYOUT, CertificatePage, render_certificate
from courses.models import AttendanceRecord, AttendanceStatus, Enrolment, EnrolmentStatus, Session
from courses.signals import send_after_commit
from lms.audit import audit
from lms.auth.models import User
from lms.core import outbox
from lms.core.dates import add_months
from lms.core.db import utcnow
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.locks import lock_rows
from lms.core.timezones import local_today, to_local
from lms.web.urls import external_url

NOTE_LENGTH = 1000
# How far back `issue_missing` looks for completions without their certificate.
RETRY_WITHIN = timedelta(days=30)

log = logging.getLogger(__name__)


class CertificateRefused(DomainError):
    """An action on a certificate that its state or the acting person does not allow."""


# --- reading -------------------------------------------------------------------------------


def current_certificate(enrolment_id: int) -> Certificate | None:
    """The enrolment's latest certificate (its highest generation), if it has one."""
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.enrolment_id == enrolment_id)
        .order_by(Certificate.generation.desc())
        .limit(1)
    )


def verification_url(certificate: Certificate) -> str:
    """The public address that verifies the certificate: what its QR code opens."""
    return external_url("verification.certificate", code=certificate.display_code)


def pdf_bytes(certificate: Certificate) -> bytes:
    """The PDF exactly as it was issued."""
    return db.session.get_one(CertificateFile, certificate.id).content


def expiry_date(issued_on: date, validity_months: int | None) -> date | None:
    """The issue date moved on by the validity months (the 31st becomes the month's last
    day where the month is shorter); None when the certificate never expires."""
    return None if validity_months is None else add_months(issued_on, validity_months)


# --- issuing -------------------------------------------------------------------------------


def issue(
    enrolment: Enrolment, *, by: User | None = None, now: datetime | None = None
) -> Certificate:
    """Issues the certificate of a completed enrolment, or returns the one it has.

    A new one is made only when the enrolment has none, or its latest was revoked
    because the completion was withdrawn (the learner has completed again since).
    Locks the enrolment.
    """
    now = now or utcnow()
    lock_rows(Enrolment, [enrolment.id])
    db.session.refresh(enrolment)
    if enrolment.status != EnrolmentStatus.COMPLETED:
        raise CertificateRefused("Only a completed enrolment has a certificate")
    latest = current_certificate(enrolment.id)
    if latest is not None and latest.revocation_reason != RevocationReason.COMPLETION_WITHDRAWN:
        return latest
    certificate = _make(enrolment, now=now, previous=latest)
    audit.record(by, "certificate.issued", certificate, None, _snapshot(certificate))
    _notify(certificate, "Your certificate for {course}", "certificates/mail/issued")
    return certificate


def issue_missing(now: datetime, *, within: timedelta = RETRY_WITHIN, limit: int = 200) -> int:
    """Issues the certificates that completions in the last `within` should have but do
    not (an issue that failed after its closing committed: a lock timeout, a logo file
    gone); returns how many. `flask lms tick` runs it, so a failure heals itself. Each
    is issued in a savepoint of its own: one that fails again is logged and left."""
    missing = db.session.scalars(
        select(Enrolment)
        .where(
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.ended_at >= now - within,
            ~select(Certificate.id).where(Certificate.enrolment_id == Enrolment.id).exists(),
        )
        .order_by(Enrolment.id)
        .limit(limit)
    ).all()
    issued = 0
    for enrolment in missing:
        try:
            with db.session.begin_nested():
                issue(enrolment, now=now)
            issued += 1
        except Exception:
            log.exception("could not issue the certificate of enrolment %s", enrolment.id)
    return issued


def reissue(
    certificate: Certificate, note: str, *, by: User, now: datetime | None = None
) -> Certificate:
    """Replaces a current certificate with a new one (a new number and code), e.g. after a
    change of name: it certifies the same completion (course, hours, accreditation, days,
    trainers, expiry, as issued) under the learner's name today. The old one becomes
    superseded and points to the new. Only admins re-issue. Locks the enrolment."""
    now = now or utcnow()
    if not by.is_admin:
        raise CertificateRefused("Only the PMO team can re-issue a certificate")
    note = _note(note, "Enter why the certificate is being re-issued")
    _lock_current(certificate, "re-issued")
    new = _make(certificate.enrolment, now=now, previous=certificate, keep_facts=True)
    certificate.status = CertificateStatus.SUPERSEDED
    audit.record(
        by,
        "certificate.reissued",
        certificate,
        {"status": CertificateStatus.VALID.value},
        {"status": certificate.status.value, "superseded_by": new.number, "note": note},
    )
    audit.record(
        by, "certificate.issued", new, None, _snapshot(new) | {"replaces": certificate.number}
    )
    _notify(
        new,
        "Your re-issued certificate for {course}",
        "certificates/mail/reissued",
        old=certificate,
    )
    return new


def revoke(
    certificate: Certificate,
    reason: RevocationReason,
    note: str,
    *,
    by: User | None,
    now: datetime | None = None,
) -> Certificate:
    """Revokes a current certificate for a reason (public) with a note (for the PMO
    only); verification shows it revoked from then on. Admins revoke; `by=None` is the
    system, when a completion is withdrawn. Locks the enrolment."""
    now = now or utcnow()
    if by is not None and not by.is_admin:
        raise CertificateRefused("Only the PMO team can revoke a certificate")
    note = _note(note, "Enter a note saying why the certificate is revoked")
    _lock_current(certificate, "revoked")
    certificate.status = CertificateStatus.REVOKED
    certificate.revoked_at = now
    certificate.revoked_by_id = by.id if by is not None else None
    certificate.revocation_reason = reason
    certificate.revocation_note = note
    db.session.flush()
    send_after_commit(signals.certificate_revoked, certificate)
    audit.record(
        by,
        "certificate.revoked",
        certificate,
        {"status": CertificateStatus.VALID.value},
        {"status": certificate.status.value, "reason": reason.value, "note": note},
    )
    _notify(
        certificate, "Your certificate for {course} has been revoked", "certificates/mail/revoked"
    )
    return certificate


def withdraw(enrolment: Enrolment, *, now: datetime | None = None) -> Certificate | None:
    """Revokes the enrolment's current certificate because its completion was withdrawn;
    nothing if it has none that is current. Locks the enrolment before it looks, so a
    re-issue at the same moment is seen."""
    lock_rows(Enrolment, [enrolment.id])
    latest = current_certificate(enrolment.id)
    if latest is None or latest.status != CertificateStatus.VALID:
        return None
    return revoke(
        latest,
        RevocationReason.COMPLETION_WITHDRAWN,
        "The cohort was closed again and this enrolment did not complete",
        by=None,
        now=now,
    )


# --- the parts -----------------------------------------------------------------------------


# What a certificate says about the completion itself; a re-issue keeps them as they were.
COMPLETION_FACTS = (
    "course_code",
    "course_title",
    "cohort_code",
    "cpd_hours",
    "accreditation_body",
    "accreditation_reference",
    "session_dates",
    "trainer_names",
    "expires_on",
)


def _make(
    enrolment: Enrolment,
    *,
    now: datetime,
    previous: Certificate | None,
    keep_facts: bool = False,
) -> Certificate:
    """A new certificate for the enrolment, numbered, rendered and stored. A new
    completion takes today's facts; a re-issue (`keep_facts`) keeps the completion's as
    `previous` has them, its expiry included, and takes only today's name."""
    cohort, course, learner = enrolment.cohort, enrolment.cohort.course, enrolment.learner
    issued_on = local_today(now)
    serial = _next_serial(issued_on.year)
    config = current_app.config
    certificate = Certificate(
        number=codes.certificate_number(config["CERTIFICATE_PREFIX"], issued_on.year, serial),
        serial_year=issued_on.year,
        serial=serial,
        verification_code=codes.new_code(),
        enrolment=enrolment,
        generation=previous.generation + 1 if previous else 1,
        learner_id=learner.id,
        course_id=course.id,
        cohort_id=cohort.id,
        learner_name=learner.full_name,
        course_code=course.code,
        course_title=course.title,
        cohort_code=cohort.code,
        cpd_hours=course.cpd_hours,
        accreditation_body=course.accreditation_body,
        accreditation_reference=course.accreditation_reference,
        session_dates=_attended_days(enrolment),
        trainer_names=[trainer.full_name for trainer in cohort.trainers],
        issued_at=now,
        issued_on=issued_on,
        expires_on=expiry_date(issued_on, course.certificate_validity_months),
        layout=LAYOUT,
        pdf_sha256="",
        status=CertificateStatus.VALID,
    )
    if keep_facts and previous is not None:
        for fact in COMPLETION_FACTS:
            setattr(certificate, fact, getattr(previous, fact))
    db.session.add(certificate)
    db.session.flush()
    content = render_certificate(page_for(certificate))
    certificate.pdf_sha256 = hashlib.sha256(content).hexdigest()
    db.session.add(CertificateFile(certificate_id=certificate.id, content=content))
    if previous is not None:
        previous.superseded_by_id = certificate.id
        previous.superseded_at = now
    db.session.flush()
    replaces = previous if keep_facts else None
    send_after_commit(signals.certificate_issued, certificate, replaces=replaces)
    return certificate


def page_for(certificate: Certificate) -> CertificatePage:
    """What the PDF of this certificate prints, with today's organisation settings."""
    config = current_app.config
    logo = config.get("CERTIFICATE_LOGO")
    return CertificatePage(
        organisation_name=config["ORGANISATION_NAME"],
        learner_name=certificate.learner_name,
        course_title=certificate.course_title,
        cpd_hours=certificate.cpd_hours,
        accreditation_body=certificate.accreditation_body,
        accreditation_reference=certificate.accreditation_reference,
        session_dates=tuple(date.fromisoformat(day) for day in certificate.session_dates),
        issued_on=certificate.issued_on,
        expires_on=certificate.expires_on,
        number=certificate.number,
        verification_url=verification_url(certificate),
        signatory_name=config["CERTIFICATE_SIGNATORY_NAME"],
        signatory_title=config["CERTIFICATE_SIGNATORY_TITLE"],
        logo_path=Path(logo) if logo else None,
    )


def _next_serial(year: int) -> int:
    """The next serial of the year. The UPDATE holds the counter's row until the
    transaction ends, so concurrent issues take turns and a rolled-back issue gives its
    number back. The year's first issue creates the counter; if another process creates
    it at the same moment, this one counts on from theirs."""
    step = (
        update(CertificateSerial)
        .where(CertificateSerial.year == year)
        .values(last=CertificateSerial.last + 1)
        .returning(CertificateSerial.last)
    )
    serial = db.session.scalar(step)
    if serial is not None:
        return serial
    try:
        with db.session.begin_nested():
            db.session.add(CertificateSerial(year=year, last=1))
        return 1
    except IntegrityError:
        return db.session.scalar(step)


def _attended_days(enrolment: Enrolment) -> list[str]:
    """The UK days of the sessions the learner attended, in order; the cohort's held
    sessions when the register says nothing (a course completed on assessments alone)."""
    attended = [status.value for status in AttendanceStatus if status.attended]
    starts = db.session.scalars(
        select(Session.starts_at)
        .join(AttendanceRecord, AttendanceRecord.session_id == Session.id)
        .where(AttendanceRecord.enrolment_id == enrolment.id)
        .where(AttendanceRecord.status.in_(attended))
        .order_by(Session.starts_at)
    ).all()
    if not starts:
        starts = [s.starts_at for s in enrolment.cohort.sessions if not s.cancelled]
    return sorted({to_local(start).date().isoformat() for start in starts})


def _snapshot(certificate: Certificate) -> dict:
    return {
        "number": certificate.number,
        "enrolment": certificate.enrolment_id,
        "learner_name": certificate.learner_name,
        "course": certificate.course_code,
        "cpd_hours": str(certificate.cpd_hours),
        "expires_on": certificate.expires_on.isoformat() if certificate.expires_on else None,
        "pdf_sha256": certificate.pdf_sha256,
    }


def _lock_current(certificate: Certificate, done: str) -> None:
    """Locks the certificate's enrolment, reads the certificate afresh, and refuses unless
    it is still current (someone may have revoked or re-issued it meanwhile)."""
    lock_rows(Enrolment, [certificate.enrolment_id])
    db.session.refresh(certificate)
    if not certificate.is_current:
        raise CertificateRefused(
            f"Only a current certificate can be {done}. This one is {certificate.status}"
        )


def _note(note: str, missing: str) -> str:
    note = (note or "").strip()
    if not note:
        raise CertificateRefused(missing, field="note")
    if len(note) > NOTE_LENGTH:
        raise CertificateRefused(
            f"The note must be {NOTE_LENGTH} characters or fewer", field="note"
        )
    return note


def _notify(certificate: Certificate, subject: str, template: str, **context) -> None:
    learner = certificate.learner
    outbox.queue_mail(
        learner.email,
        subject.format(course=certificate.course_title),
        template,
        learner=learner,
        certificate=certificate,
        certificates_link=external_url("certificates.index"),
        verification_link=verification_url(certificate),
        **context,
    )
