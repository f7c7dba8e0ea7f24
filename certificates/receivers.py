"""What certificates do when `courses` announces a completion, or takes one back.

Each receiver runs after the change it hears about has committed, and commits its own
work (`courses.signals`): a certificate is issued the moment an enrolment completes,
with no scheduled job in between. Connected when this module is imported, which the
application does (`lms.app`).
"""

from __future__ import annotations

from certificates.issuing import issue, withdraw
from courses import signals
from courses.models import Enrolment
from lms.core.extensions import db


@signals.enrolment_completed.connect
def issue_certificate(enrolment: Enrolment, **_extra) -> None:
    issue(enrolment)
    db.session.commit()


@signals.enrolment_completion_withdrawn.connect
def revoke_certificate(enrolment: Enrolment, **_extra) -> None:
    withdraw(enrolment)
    db.session.commit()
