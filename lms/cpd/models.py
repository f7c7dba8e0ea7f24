"""The CPD record: each learner's dated CPD activities, the categories they are filed
under, and each learner's own CPD settings.

An entry comes from one of two sources:

- a **certificate** (`source = certificate`): made when a certificate is issued, one per
  enrolment (the unique `enrolment_id`), pointing at that enrolment's current
  certificate; a re-issue moves the pointer to the new certificate, so it is never
  counted twice. Read-only for the learner. While its certificate is revoked the entry
  is shown marked and left out of every total (`counts()`): that follows from the
  certificate's own status, so it can never disagree with it.
- **external** (`source = external`): what the learner logs themself, filed under an
  admin-editable category, with a reflection and an optional evidence file.
- **coaching** (`source = coaching_received` or `coaching_given`): made by the PMO's
  coaching log (`lms.projects.coaching`) for a session the coachee confirmed, in the
  coachee's record, and in the coach's when they add it. Read-only here, like a
  certificate's, apart from the reflection; the session owns it and deleting the session
  deletes it.

Entries made for the learner (every source but external) have no category: each source
is its own heading (`EntrySource.heading`).
"""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    and_,
    false,
    func,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement

from certificates.models import Certificate, CertificateStatus
from courses.models import _enum
from lms.auth.models import User
from lms.core.db import Base, StoredFileMixin, TimestampMixin


class EntrySource(enum.StrEnum):
    CERTIFICATE = "certificate"
    EXTERNAL = "external"
    COACHING_RECEIVED = "coaching_received"
    COACHING_GIVEN = "coaching_given"

    @property
    def heading(self) -> str:
        """What an entry made for the learner is filed under, in place of a category."""
        return {
            "certificate": "Certified course",
            "external": "Other",
            "coaching_received": "Coaching received",
            "coaching_given": "Coaching given",
        }[self.value]


class CpdCategory(Base):
    """What kind of activity an external entry is (course, conference, reading...).

    Admins add, rename and retire categories; a retired one keeps its entries but is no
    longer offered for new ones. Entries from certificates have no category: they are
    "Certified course" everywhere, whatever admins call theirs."""

    __tablename__ = "cpd_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    retired: Mapped[bool] = mapped_column(default=False, server_default=false())

    def __str__(self) -> str:
        return self.name


# A category's name is unique whatever its case (the import finds categories by name).
Index("uq_cpd_category_name_lower", func.lower(CpdCategory.name), unique=True)


class CpdEntry(TimestampMixin, Base):
    __tablename__ = "cpd_entry"
    __table_args__ = (
        CheckConstraint("hours > 0", name="hours_positive"),
        CheckConstraint("ended_on IS NULL OR ended_on >= activity_on", name="ends_after_start"),
        CheckConstraint(
            "(source = 'certificate') = (certificate_id IS NOT NULL)",
            name="certificate_entries_have_one",
        ),
        CheckConstraint(
            "(source <> 'external') OR (category_id IS NOT NULL)",
            name="external_entries_have_a_category",
        ),
        # A learner's record, newest first, and a year's totals read this index alone.
        Index("ix_cpd_entry_learner_activity", "learner_id", "activity_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    source: Mapped[EntrySource] = mapped_column(_enum(EntrySource, "cpd_entry_source"))
    title: Mapped[str] = mapped_column(String(200))
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("cpd_category.id", ondelete="RESTRICT"), index=True
    )
    activity_on: Mapped[date]  # the (first) day of the activity: its CPD year
    ended_on: Mapped[date | None]  # the last day of an activity over several days
    hours: Mapped[Decimal] = mapped_column(Numeric(6, 2))
    provider: Mapped[str | None] = mapped_column(String(200))  # who ran it, or the body
    learned: Mapped[str] = mapped_column(Text, default="", server_default="")
    applied: Mapped[str] = mapped_column(Text, default="", server_default="")

    # Certificate entries: the enrolment (one entry each) and its current certificate.
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolment.id", ondelete="CASCADE"), unique=True
    )
    certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificate.id", ondelete="CASCADE"), index=True
    )

    learner: Mapped[User] = relationship()
    category: Mapped[CpdCategory | None] = relationship()
    certificate: Mapped[Certificate | None] = relationship()
    evidence: Mapped[CpdEvidence | None] = relationship(
        back_populates="entry", cascade="all, delete-orphan", lazy="raise", passive_deletes=True
    )

    @property
    def from_certificate(self) -> bool:
        return self.source == EntrySource.CERTIFICATE

    @property
    def made_for_you(self) -> bool:
        """From a certificate or a coaching session: its facts are not the learner's to
        change, only its reflection."""
        return self.source != EntrySource.EXTERNAL

    @property
    def category_name(self) -> str:
        return self.category.name if self.category is not None else self.source.heading

    @property
    def counted(self) -> bool:
        """Whether it counts towards totals: `counts()` read for one loaded entry."""
        certificate = self.certificate if self.from_certificate else None
        return certificate is None or certificate.status != CertificateStatus.REVOKED

    @property
    def days(self) -> int:
        """How many days the activity ran over (1 unless it has an end date)."""
        return (self.ended_on - self.activity_on).days + 1 if self.ended_on else 1


def counts() -> ColumnElement[bool]:
    """The entries that count towards totals: every entry but a certificate's while it is
    revoked. Use with the certificate outer-joined on `certificate_id`."""
    return or_(
        CpdEntry.source != EntrySource.CERTIFICATE,
        and_(
            CpdEntry.source == EntrySource.CERTIFICATE,
            Certificate.status != CertificateStatus.REVOKED,
        ),
    )


class CpdEvidence(StoredFileMixin, Base):
    """The file a learner keeps with an external entry (a programme, a notes page, a
    certificate of attendance), under the same rules as assignment submissions
    (`courses.assessments.uploads`; `lms.core.db.StoredFileMixin`)."""

    __tablename__ = "cpd_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("cpd_entry.id", ondelete="CASCADE"), unique=True
    )

    entry: Mapped[CpdEntry] = relationship(back_populates="evidence")


class CpdProfile(Base):
    """A learner's own CPD settings: a yearly target other than the trust's (their
    professional body's), and whether their line manager may read their reflections."""

    __tablename__ = "cpd_profile"

    learner_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    target_hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    professional_body: Mapped[str | None] = mapped_column(String(200))
    share_reflections: Mapped[bool] = mapped_column(default=False, server_default=false())
