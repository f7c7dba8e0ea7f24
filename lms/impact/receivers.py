"""What evaluations do when `courses` announces that a cohort has closed: each learner who
may now answer the course survey is invited, once (`lms.impact.reaction.invite`).

The receiver runs after the closing has committed, and commits its own work
(`courses.signals`). Connected when this module is imported, which the application does
(`lms.app`).
"""

from __future__ import annotations

from courses import signals
from courses.models import Cohort
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.impact.reaction import invite


@signals.cohort_closed.connect
def invite_to_evaluate(cohort: Cohort, **_extra) -> None:
    invite(cohort.id, now=utcnow())
    db.session.commit()
