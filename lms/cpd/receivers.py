"""What the CPD record does when `certificates` announces a certificate: the enrolment's
entry is made, or moved to the new certificate of a re-issue (so it counts once).

A revoked certificate needs nothing here: its entry is left out of the totals by the
certificate's own status (`lms.cpd.models.counts`). Connected when this module is
imported, which the application does (`lms.app`).
"""

from __future__ import annotations

from certificates import signals
from certificates.models import Certificate
from lms.core.extensions import db
from lms.cpd.record import record_certificate


@signals.certificate_issued.connect
def record_issued_certificate(certificate: Certificate, **_extra) -> None:
    record_certificate(certificate)
    db.session.commit()
