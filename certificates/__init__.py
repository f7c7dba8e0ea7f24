"""Proof of completion: certificates, their PDFs and public verification.

Callers import the services from here: `from certificates import issue, revoke`.
`certificates.receivers` issues and revokes them when `courses` announces a completion
or withdraws one; `courses` never imports this package.
"""

from certificates.issuing import (
    CertificateRefused,
    current_certificate,
    issue,
    pdf_bytes,
    reissue,
    revoke,
    verification_url,
    withdraw,
)

__all__ = [
    "CertificateRefused",
    "current_certificate",
    "issue",
    "pdf_bytes",
    "reissue",
    "revoke",
    "verification_url",
    "withdraw",
]
