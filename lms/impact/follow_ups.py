"""Level 3, behaviour: the follow-ups 3 and 6 months after a completion.

`flask lms tick` runs `queue_due_follow_ups`: each completed enrolment whose completion
(its UK day) is at least 3 calendar months ago gets its 3-month follow-up, and at least 6
months ago its 6-month one, once each: a `FollowUp` row and one mail through the outbox,
asking whether the learner has led or worked on a project since and what they applied,
with links to answer and to register a project.

Once each: the enrolments are picked by the follow-ups they do not have yet, and the rows
are inserted with ON CONFLICT DO NOTHING on their unique (enrolment, months), mailing only
those this run inserted; so a second run, or two at once, finds nothing to do. A
completion whose 6-month follow-up is due gets only that one (the 3-month question would
come late, and together with it); completions more than HISTORY_MONTHS old get none (so
the first run does not mail years of history). A run does at most a batch; the next
tick carries on.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import joinedload

from courses.models import Cohort, Course, Enrolment, EnrolmentStatus
from lms.auth.models import User
from lms.core.dates import add_months
from lms.core.db import insert_on_conflict
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.outbox import queue_many_mail
from lms.core.timezones import local_today, start_of_local_day, to_local
from lms.impact.models import FOLLOW_UP_MONTHS, FollowUp, ProjectSince
from lms.web.urls import external_url

BATCH_SIZE = 500
HISTORY_MONTHS = 12
APPLIED_LENGTH = 2000
ONE_DAY = timedelta(days=1)


class FollowUpError(DomainError):
    """An answer to a follow-up was refused."""


class FollowUpRefused(FollowUpError):
    def __init__(self, problems: list[DomainError]):
        super().__init__(problems[0].message)
        self.problems = problems


# --- when --------------------------------------------------------------------------------


def completion_day(ended_at: datetime) -> date:
    """The UK day a completion happened."""
    return to_local(ended_at).date()


def due_on(completed_on: date, months: int) -> date:
    return add_months(completed_on, months)


def latest_due_completion(today: date, months: int) -> date:
    """The last completion day whose `months` follow-up is due by `today`. Not simply
    `months` before today: 30 November's 3-month follow-up is due on 28 February too."""
    day = add_months(today, -months)
    while add_months(day + ONE_DAY, months) <= today:
        day += ONE_DAY
    return day


def months_due(completed_on: date, today: date) -> int | None:
    """Which follow-up a completion on that day is due by `today`: 6 once the 6-month one
    is due (the 3-month one is then skipped), else 3 once that is due; None before, or
    for a completion more than HISTORY_MONTHS ago."""
    if completed_on < add_months(today, -HISTORY_MONTHS):
        return None
    for months in sorted(FOLLOW_UP_MONTHS, reverse=True):
        if due_on(completed_on, months) <= today:
            return months
    return None


# --- queueing ------------------------------------------------------------------------------


def _has(months: int):
    return (
        select(FollowUp.id)
        .where(FollowUp.enrolment_id == Enrolment.id, FollowUp.months == months)
        .exists()
    )


def queue_due_follow_ups(now: datetime, *, limit: int = BATCH_SIZE) -> int:
    """Queues the follow-ups now due, up to `limit`: each one a FollowUp row and one mail
    (see the module's notes); returns how many were queued. Three statements a run
    (finding, inserting, mailing) whatever the batch's size. The caller commits."""
    today = local_today(now)
    six_due_before = start_of_local_day(latest_due_completion(today, 6) + ONE_DAY)
    three_due_before = start_of_local_day(latest_due_completion(today, 3) + ONE_DAY)
    oldest = start_of_local_day(add_months(today, -HISTORY_MONTHS))
    candidates = db.session.execute(
        select(
            Enrolment.id,
            Enrolment.ended_at,
            User.email,
            User.full_name,
            Course.title,
        )
        .select_from(Enrolment)
        .join(User, User.id == Enrolment.learner_id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .where(
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.ended_at >= oldest,
            Enrolment.ended_at < three_due_before,
            User.is_active_account.is_(True),
            or_(
                and_(Enrolment.ended_at < six_due_before, ~_has(6)),
                and_(Enrolment.ended_at >= six_due_before, ~_has(3)),
            ),
        )
        .order_by(Enrolment.ended_at, Enrolment.id)
        .limit(limit)
    ).all()
    rows = []
    for candidate in candidates:
        completed_on = completion_day(candidate.ended_at)
        months = months_due(completed_on, today)
        if months is None:  # the SQL's bounds and the calendar agree; this is a guard
            continue
        rows.append(
            {
                "enrolment_id": candidate.id,
                "months": months,
                "due_on": due_on(completed_on, months),
                "queued_at": now,
            }
        )
    if not rows:
        return 0
    inserted = db.session.execute(
        insert_on_conflict(db.session, FollowUp)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["enrolment_id", "months"])
        .returning(FollowUp.id, FollowUp.enrolment_id, FollowUp.months)
    ).all()
    by_enrolment = {candidate.id: candidate for candidate in candidates}
    messages = []
    for follow_up_id, enrolment_id, months in sorted(inserted, key=lambda row: row[0]):
        candidate = by_enrolment[enrolment_id]
        messages.append(
            (
                candidate.email,
                f"{months} months on from {candidate.title}: what have you done since?",
                {
                    "name": candidate.full_name,
                    "course_title": candidate.title,
                    "months": months,
                    "completed_on": completion_day(candidate.ended_at),
                    "follow_up_link": external_url(
                        "evaluations.follow_up", follow_up_id=follow_up_id
                    ),
                    "new_project_link": external_url("projects.new"),
                },
            )
        )
    return queue_many_mail("impact/mail/follow_up", messages)


# --- answering -----------------------------------------------------------------------------


def follow_up_of(follow_up_id: int, learner_id: int) -> FollowUp | None:
    """The follow-up, with its enrolment, cohort and course, if it is this learner's."""
    return db.session.scalar(
        select(FollowUp)
        .join(Enrolment, Enrolment.id == FollowUp.enrolment_id)
        .where(FollowUp.id == follow_up_id, Enrolment.learner_id == learner_id)
        .options(
            joinedload(FollowUp.enrolment).joinedload(Enrolment.cohort).joinedload(Cohort.course)
        )
    )


def answer(
    follow_up: FollowUp,
    *,
    project_since: ProjectSince | str | None,
    applied: str | None,
    now: datetime,
) -> None:
    """Saves (or changes) the learner's answer: whether they have led or worked on a
    project since (required) and what they applied from the course (required when they
    have). The first answer's time is kept as when it was answered."""
    problems = []
    try:
        since = ProjectSince(project_since) if project_since else None
    except ValueError:
        since = None
    if since is None:
        problems.append(
            FollowUpError(
                "Say whether you have led or worked on a project since the course",
                field="project_since",
            )
        )
    applied = (applied or "").strip()
    if len(applied) > APPLIED_LENGTH:
        problems.append(
            FollowUpError(
                f"Say what you applied in {APPLIED_LENGTH:,} characters or fewer", field="applied"
            )
        )
    elif not applied and since in (ProjectSince.LED, ProjectSince.WORKED_ON):
        problems.append(
            FollowUpError("Say what you applied from the course on the project", field="applied")
        )
    if problems:
        raise FollowUpRefused(problems)
    follow_up.project_since = since
    follow_up.applied = applied or None
    if follow_up.answered_at is None:
        follow_up.answered_at = now
    db.session.flush()
