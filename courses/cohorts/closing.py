"""Closing a cohort: each learner's place ends completed or not completed, by the rule.

A trainer or admin closes a cohort once its last held session has ended. In the one
transaction, every confirmed enrolment becomes completed or not completed as
`courses.completion` decides; the cohort is closed; each change is audited; and, after
the commit, `courses.signals` tell the areas above (certificates) who completed.

Closing is idempotent: a closed cohort closes again to no effect and announces nothing.
An admin may reopen a closed cohort with a reason; the enrolments keep their statuses
until it is closed again, which decides every one of them afresh (a completion withdrawn
then is announced with `enrolment_completion_withdrawn`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from courses import signals
from courses.assessments import finish_expired
from courses.attendance import session_counts
from courses.cohorts.sessions import held_sessions
from courses.completion import CompletionResult, evaluate_many
from courses.enrolment.enrolment import lock_cohort
from courses.models import Cohort, CohortStatus, Enrolment, EnrolmentStatus, Session
from lms.audit import audit
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.timezones import format_local

# The places closing decides: confirmed ones, and on closing again those it decided before.
DECIDED = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED)
CLOSABLE = (CohortStatus.OPEN, CohortStatus.RUNNING)
REASON_LENGTH = 500
WITHDRAWN_REASON = "completion withdrawn"


class ClosingError(DomainError):
    pass


@dataclass
class ClosingReport:
    """What closing did: who completed and who did not (each with why), and whether the
    cohort was closed already (then nothing changed)."""

    completed: list[tuple[Enrolment, CompletionResult]] = field(default_factory=list)
    not_completed: list[tuple[Enrolment, CompletionResult]] = field(default_factory=list)
    already_closed: bool = False
    changed: int = 0


# --- reading -------------------------------------------------------------------------------


def _decided_enrolments(cohort_id: int) -> list[Enrolment]:
    return list(
        db.session.scalars(
            select(Enrolment)
            .join(User, User.id == Enrolment.learner_id)
            .where(Enrolment.cohort_id == cohort_id, Enrolment.status.in_(DECIDED))
            .order_by(User.full_name, Enrolment.id)
            .options(joinedload(Enrolment.learner))
        )
    )


def last_session(cohort: Cohort) -> Session | None:
    """The cohort's held session that ends last, from its loaded sessions (no query)."""
    return max(held_sessions(cohort), key=lambda session: session.ends_at, default=None)


def closing_refusal(cohort: Cohort, now: datetime) -> str | None:
    """Why the cohort cannot be closed now, in plain words; None when it can (or is
    closed already, when closing does nothing)."""
    if cohort.status == CohortStatus.CLOSED:
        return None
    if cohort.status not in CLOSABLE:
        return f"A {cohort.status.value} cohort cannot be closed"
    last = last_session(cohort)
    if last is None:
        return "This cohort has no sessions, so there is nothing to close yet"
    if last.ends_at > now:
        return (
            "You can close this cohort after its last session ends on "
            f"{format_local(last.ends_at, '%-d %B %Y at %H:%M')}"
        )
    return None


def closing_preview(cohort: Cohort, now: datetime) -> list[tuple[Enrolment, CompletionResult]]:
    """Who would complete and who would not if the cohort closed now, and why, by name."""
    enrolments = _decided_enrolments(cohort.id)
    results = evaluate_many(enrolments, now)
    return [(enrolment, results[enrolment.id]) for enrolment in enrolments]


def unmarked_sessions(cohort: Cohort, now: datetime) -> list[tuple[Session, int]]:
    """The held sessions that have started with learners still unmarked on their register,
    and how many, in one query."""
    started = [session for session in held_sessions(cohort) if session.starts_at <= now]
    counts = session_counts(session.id for session in started)
    found = []
    for session in started:
        marked, expected = counts.get(session.id, (0, 0))
        if expected > marked:
            found.append((session, expected - marked))
    return found


# --- changing ------------------------------------------------------------------------------


def close_cohort(cohort: Cohort, *, by: User, now: datetime) -> ClosingReport:
    """Closes an open or running cohort whose last held session has ended: every
    confirmed place (and, closing again, every place decided before) becomes completed
    or not completed by `courses.completion`; each change is audited and announced after
    the commit. A closed cohort is left as it is. Locks the cohort.
    """
    cohort = lock_cohort(cohort.id)
    if cohort.status == CohortStatus.CLOSED:
        return ClosingReport(already_closed=True)
    refusal = closing_refusal(cohort, now)
    if refusal:
        raise ClosingError(refusal)
    enrolments = _decided_enrolments(cohort.id)
    # Attempts whose time ran out are marked first, so they count as the learner left them.
    finish_expired(now, enrolment_ids=[enrolment.id for enrolment in enrolments])
    results = evaluate_many(enrolments, now)
    report = ClosingReport()
    events = []
    for enrolment in enrolments:
        result = results[enrolment.id]
        before = enrolment.status
        after = EnrolmentStatus.COMPLETED if result.completed else EnrolmentStatus.NOT_COMPLETED
        (report.completed if result.completed else report.not_completed).append((enrolment, result))
        if before == after:
            continue
        report.changed += 1
        enrolment.status = after
        enrolment.ended_at = now
        reasons = [criterion.reason for criterion in result.criteria]
        events.append(
            audit.build(
                by,
                f"enrolment.{after.value}",
                enrolment,
                {"status": before.value},
                {"status": after.value, "reasons": reasons},
            )
        )
        if after == EnrolmentStatus.COMPLETED:
            signals.send_after_commit(signals.enrolment_completed, enrolment)
        elif before == EnrolmentStatus.COMPLETED:
            signals.send_after_commit(
                signals.enrolment_completion_withdrawn, enrolment, reason=WITHDRAWN_REASON
            )
    previous = cohort.status
    cohort.status = CohortStatus.CLOSED
    cohort.closed_at = now
    events.append(
        audit.build(
            by,
            "cohort.closed",
            cohort,
            {"status": previous.value},
            {
                "status": CohortStatus.CLOSED.value,
                "completed": len(report.completed),
                "not_completed": len(report.not_completed),
                "changed": report.changed,
            },
        )
    )
    db.session.flush()
    audit.record_many(events)
    signals.send_after_commit(signals.cohort_closed, cohort)
    return report


def reopen_cohort(cohort: Cohort, reason: str, *, by: User) -> None:
    """Reopens a closed cohort (it runs again) for an admin who gives a reason. The
    learners' places keep their statuses until the cohort is closed again, which decides
    each afresh. Locks the cohort."""
    if not by.is_admin:
        raise ClosingError("Only the PMO team can reopen a closed cohort")
    reason = (reason or "").strip()
    if not reason:
        raise ClosingError("Enter the reason for reopening the cohort", field="reason")
    if len(reason) > REASON_LENGTH:
        raise ClosingError(
            f"The reason must be {REASON_LENGTH} characters or fewer", field="reason"
        )
    cohort = lock_cohort(cohort.id)
    if cohort.status != CohortStatus.CLOSED:
        raise ClosingError(f"Only a closed cohort can be reopened. This one is {cohort.status}")
    cohort.status = CohortStatus.RUNNING
    cohort.closed_at = None
    audit.record(
        by,
        "cohort.reopened",
        cohort,
        {"status": CohortStatus.CLOSED.value},
        {"status": CohortStatus.RUNNING.value, "reason": reason},
    )
