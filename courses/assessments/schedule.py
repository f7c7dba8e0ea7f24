"""When an assessment opens and falls due for one cohort.

An assessment belongs to a course; each cohort of the course has its own dates, worked
out here from the assessment's settings and the cohort's held sessions (loaded with the
cohort, so no query is spent):

- it opens at `opens_at`, or when the cohort's Nth held session ends
  (`opens_after_session`), or, with neither, at once. A cohort with fewer than N held
  sessions has not reached it: the assessment stays closed.
- it is due at `due_at`, or at the end of the day (UK time) N days after the cohort's
  last held session ends (`due_days_after_last_session`), or never.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from courses.assessments.models import Assessment
from courses.cohorts.sessions import held_sessions
from courses.models import Cohort
from lms.core.timezones import LONDON, format_local, to_local


@dataclass(frozen=True)
class Window:
    opens_at: datetime | None  # None: open from the start (unless `waiting`)
    due_at: datetime | None  # None: no due date
    # The session it opens after has not been scheduled: it is not open yet, and there
    # is no date to say.
    waiting_for_session: int | None = None

    def is_open(self, now: datetime) -> bool:
        if self.waiting_for_session is not None:
            return False
        return self.opens_at is None or now >= self.opens_at

    def is_late(self, moment: datetime) -> bool:
        return self.due_at is not None and moment > self.due_at

    @property
    def opens_words(self) -> str:
        """When it opens, for a learner who cannot start it yet."""
        if self.waiting_for_session is not None:
            return f"Opens after session {self.waiting_for_session}"
        if self.opens_at is None:
            return "Open now"
        return f"Opens {format_local(self.opens_at)}"


def _end_of_local_day(moment: datetime) -> datetime:
    local = to_local(moment)
    return datetime.combine(local.date(), time(23, 59, 59), tzinfo=LONDON).astimezone(moment.tzinfo)


def window(assessment: Assessment, cohort: Cohort) -> Window:
    """The assessment's dates for this cohort (see the module's docstring)."""
    sessions = held_sessions(cohort)
    opens_at = assessment.opens_at
    waiting = None
    if opens_at is None and assessment.opens_after_session:
        number = assessment.opens_after_session
        if number <= len(sessions):
            opens_at = sessions[number - 1].ends_at
        else:
            waiting = number
    due_at = assessment.due_at
    if due_at is None and assessment.due_days_after_last_session is not None and sessions:
        last = max(session.ends_at for session in sessions)
        due_at = _end_of_local_day(last + timedelta(days=assessment.due_days_after_last_session))
    return Window(opens_at=opens_at, due_at=due_at, waiting_for_session=waiting)
