"""Public verification: what anyone holding a certificate's code, or its PDF, may learn.

A verifier learns whether the certificate is valid, expired, revoked (when, and the
reason's category, never the PMO's note) or superseded, and what it certifies: the
learner's name, the course, its CPD hours and accreditation, the dates of issue and
expiry, and the number. Nothing else: no email, no internal id.

The tamper check compares the SHA-256 of a PDF with the digest stored when the
certificate was issued; the file itself is never kept.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from certificates import codes
from certificates.models import Certificate
from lms.core.extensions import db

PDF_MAGIC = b"%PDF-"


def find(typed_code: str) -> Certificate | None:
    """The certificate with this verification code, however it was typed, with the one
    that superseded it."""
    code = codes.normalise(typed_code)
    if code is None:
        return None
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.verification_code == code)
        .options(joinedload(Certificate.superseded_by))
    )


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def is_issued_file(certificate: Certificate, content: bytes) -> bool:
    """Whether `content` is byte-for-byte the PDF issued for this certificate."""
    return hmac.compare_digest(digest(content), certificate.pdf_sha256)


def find_by_file(content: bytes) -> Certificate | None:
    """The certificate whose issued PDF is exactly `content`, if any."""
    return db.session.scalar(
        select(Certificate)
        .where(Certificate.pdf_sha256 == digest(content))
        .options(joinedload(Certificate.superseded_by))
        .limit(1)
    )


def looks_like_pdf(content: bytes) -> bool:
    return content.startswith(PDF_MAGIC)
