"""Lists of certificates, as `select()`s a view pages through: a learner's, a cohort's,
and the PMO's list of every certificate, searched and filtered."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import joinedload

from certificates import codes
from certificates.models import Certificate, CertificateStatus


class Shown(enum.StrEnum):
    """Which certificates the list shows, as the holder and a verifier see them."""

    CURRENT = "current"  # valid and not past its expiry
    EXPIRED = "expired"
    REVOKED = "revoked"
    SUPERSEDED = "superseded"

    @property
    def label(self) -> str:
        return {"current": "Valid", "expired": "Expired"}.get(self.value, self.value.capitalize())


def of_learner(learner_id: int) -> Select:
    """The learner's certificates, newest first, with whichever replaced each."""
    return (
        select(Certificate)
        .where(Certificate.learner_id == learner_id)
        .options(joinedload(Certificate.superseded_by))
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )


def of_cohort(cohort_id: int) -> Select:
    """Every certificate issued on the cohort, by learner, each learner's in order."""
    return (
        select(Certificate)
        .where(Certificate.cohort_id == cohort_id)
        .options(joinedload(Certificate.superseded_by))
        .order_by(Certificate.learner_name, Certificate.generation)
    )


def search(text: str | None, shown: Shown | None, today: date) -> Select:
    """Certificates, newest first: by number or verification code (exactly), or by a
    word of the learner's name as printed; then by how they stand today."""
    query = select(Certificate).options(joinedload(Certificate.superseded_by))
    text = (text or "").strip()
    if text:
        matches = [
            Certificate.number == text.upper(),
            func.lower(Certificate.learner_name).contains(text.lower(), autoescape=True),
            # As typed too: SQLite's lower() leaves letters beyond ASCII ("Ł") as they are.
            Certificate.learner_name.contains(text, autoescape=True),
        ]
        code = codes.normalise(text)
        if code is not None:
            matches.append(Certificate.verification_code == code)
        query = query.where(or_(*matches))
    valid = Certificate.status == CertificateStatus.VALID
    unexpired = or_(Certificate.expires_on.is_(None), Certificate.expires_on >= today)
    conditions = {
        Shown.CURRENT: and_(valid, unexpired),
        Shown.EXPIRED: and_(valid, Certificate.expires_on < today),
        Shown.REVOKED: Certificate.status == CertificateStatus.REVOKED,
        Shown.SUPERSEDED: Certificate.status == CertificateStatus.SUPERSEDED,
    }
    if shown is not None:
        query = query.where(conditions[shown])
    return query.order_by(Certificate.issued_at.desc(), Certificate.id.desc())
