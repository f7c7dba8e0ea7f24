"""Certificates: proof that an enrolment completed, as it was on the day of issue.

A certificate keeps a snapshot of what it certifies (the learner's name, the course, its
CPD hours and accreditation, the days attended, the trainers), so a later change to the
course or the person never changes a certificate already issued. Its PDF is kept as the
bytes issued (`CertificateFile`), with their SHA-256 on the certificate: a certificate
downloads byte-for-byte the same for its whole life, whatever later happens to the
layout code, ReportLab, zlib or the font package, and an uploaded copy is checked
against that digest.

An enrolment has one certificate at a time: `generation` 1 is the first, and a re-issue
(or a new completion after one was withdrawn) adds the next generation, superseding or
following the one before. "One per enrolment" is the unique (enrolment, generation).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from certificates.codes import grouped
from courses.models import Cohort, Course, Enrolment, _enum
from lms.auth.models import User
from lms.core.db import Base, TimestampMixin


class CertificateStatus(enum.StrEnum):
    """What happened to a certificate. Expiry is not a status: it follows from the date
    (`Certificate.standing`)."""

    VALID = "valid"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"


class RevocationReason(enum.StrEnum):
    """Why a certificate was revoked: the category is public (the verification page shows
    it); the admin's note is not."""

    COMPLETION_WITHDRAWN = "completion_withdrawn"
    ISSUED_IN_ERROR = "issued_in_error"
    MISCONDUCT = "misconduct"
    ACCREDITATION_WITHDRAWN = "accreditation_ended"  # the value fits the column (20)
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            "completion_withdrawn": "Completion withdrawn",
            "issued_in_error": "Issued in error",
            "misconduct": "Misconduct",
            "accreditation_ended": "Accreditation withdrawn",
            "other": "Other reason",
        }[self.value]


class Standing(enum.StrEnum):
    """A certificate as its holder and a verifier see it on a given day."""

    VALID = "valid"
    EXPIRING_SOON = "expiring_soon"
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def is_valid(self) -> bool:
        """A verifier may rely on it today (expiring soon is still valid)."""
        return self in (Standing.VALID, Standing.EXPIRING_SOON)


class CertificateSerial(Base):
    """The last serial number given in a year: numbers run 1, 2, 3... per year with no gap,
    because the counter moves in the same transaction as the certificate it numbers."""

    __tablename__ = "certificate_serial"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0, server_default="0")


class Certificate(TimestampMixin, Base):
    __tablename__ = "certificate"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "generation"),
        UniqueConstraint("serial_year", "serial"),
        CheckConstraint("generation >= 1", name="generation_positive"),
        CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL)", name="revoked_when_revoked"
        ),
        # Lists of certificates run newest first (the PMO's list reads 25 of 60,000).
        Index("ix_certificate_issued_at_id", "issued_at", "id"),
        # `flask lms tick` looks for certificates to warn about, never reading the rest.
        Index(
            "ix_certificate_expires_on_unwarned",
            "expires_on",
            postgresql_where=text("expiry_notice_sent_at IS NULL AND status = 'valid'"),
            sqlite_where=text("expiry_notice_sent_at IS NULL AND status = 'valid'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    serial_year: Mapped[int]
    serial: Mapped[int]
    # Crockford base32, upper case, without the hyphens it is shown with.
    verification_code: Mapped[str] = mapped_column(String(40), unique=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolment.id", ondelete="RESTRICT"))
    generation: Mapped[int] = mapped_column(default=1, server_default="1")
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="RESTRICT"), index=True)

    # What was true on the day of issue.
    learner_name: Mapped[str] = mapped_column(String(200))
    course_code: Mapped[str] = mapped_column(String(20))
    course_title: Mapped[str] = mapped_column(String(200))
    cohort_code: Mapped[str] = mapped_column(String(40))
    cpd_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    accreditation_body: Mapped[str | None] = mapped_column(String(200))
    accreditation_reference: Mapped[str | None] = mapped_column(String(100))
    session_dates: Mapped[list[str]] = mapped_column(JSON, default=list)  # ISO dates
    trainer_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    issued_at: Mapped[datetime]
    issued_on: Mapped[date]  # the UK day of issue, printed on the certificate
    expires_on: Mapped[date | None]  # the last day it is valid

    # The PDF as issued: which layout drew it and the SHA-256 of its bytes.
    layout: Mapped[str] = mapped_column(String(20))
    pdf_sha256: Mapped[str] = mapped_column(String(64), index=True)

    status: Mapped[CertificateStatus] = mapped_column(
        _enum(CertificateStatus, "certificate_status"), default=CertificateStatus.VALID
    )
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    revocation_reason: Mapped[RevocationReason | None] = mapped_column(
        _enum(RevocationReason, "revocation_reason")
    )
    revocation_note: Mapped[str | None] = mapped_column(Text)
    # The certificate that took this one's place (a re-issue, or a new completion after
    # this one was revoked because the completion was withdrawn).
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificate.id", ondelete="SET NULL"), index=True
    )
    superseded_at: Mapped[datetime | None]
    # Set when the holder was told it expires soon (`flask lms tick`), so they are told once.
    expiry_notice_sent_at: Mapped[datetime | None]

    enrolment: Mapped[Enrolment] = relationship()
    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    course: Mapped[Course] = relationship()
    cohort: Mapped[Cohort] = relationship()
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    superseded_by: Mapped[Certificate | None] = relationship(remote_side=[id])

    def __str__(self) -> str:
        return self.number

    @property
    def display_code(self) -> str:
        """The verification code in groups of four, as printed and typed."""
        return grouped(self.verification_code)

    @property
    def is_current(self) -> bool:
        """Neither revoked nor superseded: it may be revoked, re-issued and badged (an
        expired certificate is still current: it certified what it certified)."""
        return self.status == CertificateStatus.VALID

    def standing(self, today: date, soon_days: int) -> Standing:
        """Revoked and superseded first; then expired after its last valid day; expiring
        soon within `soon_days` of it; else valid."""
        if self.status == CertificateStatus.REVOKED:
            return Standing.REVOKED
        if self.status == CertificateStatus.SUPERSEDED:
            return Standing.SUPERSEDED
        if self.expires_on is not None:
            if today > self.expires_on:
                return Standing.EXPIRED
            if (self.expires_on - today).days <= soon_days:
                return Standing.EXPIRING_SOON
        return Standing.VALID


class CertificateFile(Base):
    """The bytes of a certificate's PDF as issued, in a table of their own so that lists
    of certificates never read them."""

    __tablename__ = "certificate_file"

    certificate_id: Mapped[int] = mapped_column(
        ForeignKey("certificate.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary)
