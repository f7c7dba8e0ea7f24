"""What a person's home page shows about their learning, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from courses.attendance import Rate, attendance_rates, checkin
from courses.cohorts.sessions import first_session, is_upcoming
from courses.completion import CompletionResult, evaluate_many
from courses.enrolment import ACTIVE, can_cancel, waitlist_positions
from courses.models import (
    AttendanceRecord,
    Cohort,
    Enrolment,
    EnrolmentStatus,
    Session,
    cohort_trainer,
)
from lms.auth.models import User
from lms.core.extensions import db
from lms.impact.waiting import waiting_count

RECENT_LIMIT = 20
WITH_PROGRESS = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.NOT_COMPLETED)
UPCOMING_LIMIT = 10


@dataclass(frozen=True)
class CheckedIn:
    """A session whose check-in is open, and the learner's entry already on its register."""

    session: Session
    record: AttendanceRecord


@dataclass(frozen=True)
class EnrolmentRow:
    """One of my enrolments as the page shows it, every rule already applied."""

    enrolment: Enrolment
    starts_at: datetime | None  # the first held session; None until one is set
    position: int | None  # place on the waitlist, when waitlisted
    attendance: str  # the attendance rate's words, or "" while there is nothing to say
    can_cancel: bool  # whether the page offers to cancel it
    # Where the learner stands against the completion rule (what is left to complete), for
    # a confirmed place, and why for one that was not completed; None for the rest.
    progress: CompletionResult | None = None


@dataclass
class MyLearning:
    upcoming: list[Session] = field(default_factory=list)
    # Sessions whose check-in is open now: those to check in to, and those already marked.
    to_check_in: list[Session] = field(default_factory=list)
    checked_in: list[CheckedIn] = field(default_factory=list)
    enrolments: list[EnrolmentRow] = field(default_factory=list)
    team_enrolments: list[Enrolment] = field(default_factory=list)
    team_pending: int = 0
    evaluations_waiting: int = 0  # surveys, confidence ratings and follow-ups to answer
    teaching: list[Session] = field(default_factory=list)


def _with_cohort():
    return selectinload(Enrolment.cohort).options(
        selectinload(Cohort.course), selectinload(Cohort.sessions)
    )


def attendance_words(enrolment: Enrolment, rate: Rate | None) -> str:
    """The rate, once there is one to speak of: sessions held, or a confirmed place."""
    if rate is None or not (rate.held or enrolment.status == EnrolmentStatus.CONFIRMED):
        return ""
    return rate.label


def _rows(enrolments: list[Enrolment], now: datetime) -> list[EnrolmentRow]:
    # The cohorts come with their sessions (the completion rule needs them too).
    starts = {
        e.cohort_id: first.starts_at for e in enrolments if (first := first_session(e.cohort))
    }
    positions = waitlist_positions(
        [e.id for e in enrolments if e.status == EnrolmentStatus.WAITLISTED]
    )
    rates = attendance_rates([e.id for e in enrolments if e.confirmed_at], now)
    progress = evaluate_many([e for e in enrolments if e.status in WITH_PROGRESS], now, rates)
    return [
        EnrolmentRow(
            enrolment=e,
            starts_at=starts.get(e.cohort_id),
            position=positions.get(e.id),
            attendance=attendance_words(e, rates.get(e.id)),
            can_cancel=can_cancel(e),
            progress=progress.get(e.id),
        )
        for e in enrolments
    ]


def my_learning(
    user: User, now: datetime, rules: checkin.CheckInRules = checkin.DEFAULT_RULES
) -> MyLearning:
    view = MyLearning()
    enrolments = list(
        db.session.scalars(
            select(Enrolment)
            .where(Enrolment.learner_id == user.id)
            .order_by(Enrolment.status.in_(ACTIVE).desc(), Enrolment.requested_at.desc())
            .limit(RECENT_LIMIT)
            .options(_with_cohort())
        )
    )
    view.enrolments = _rows(enrolments, now)
    # My register entry for each session comes with it, for the check-in prompt.
    upcoming = db.session.execute(
        select(Session, Enrolment, AttendanceRecord)
        .join(Enrolment, Enrolment.cohort_id == Session.cohort_id)
        .outerjoin(
            AttendanceRecord,
            and_(
                AttendanceRecord.session_id == Session.id,
                AttendanceRecord.enrolment_id == Enrolment.id,
            ),
        )
        .where(
            Enrolment.learner_id == user.id,
            Enrolment.status == EnrolmentStatus.CONFIRMED,
            is_upcoming(now),
        )
        .order_by(Session.starts_at)
        .limit(UPCOMING_LIMIT)
        .options(selectinload(Session.cohort).selectinload(Cohort.course))
    ).all()
    view.upcoming = [session for session, _, _ in upcoming]
    for session, enrolment, record in upcoming:
        if not checkin.may_check_in(session, enrolment, now, rules):
            continue
        if record is None:
            view.to_check_in.append(session)
        else:
            view.checked_in.append(CheckedIn(session, record))
    team = (
        select(Enrolment)
        .join(User, User.id == Enrolment.learner_id)
        .where(User.line_manager_id == user.id, Enrolment.status.in_(ACTIVE))
    )
    view.team_enrolments = list(
        db.session.scalars(
            team.order_by(Enrolment.requested_at.desc())
            .limit(RECENT_LIMIT)
            .options(_with_cohort(), selectinload(Enrolment.learner))
        )
    )
    view.team_pending = db.session.scalar(
        select(func.count()).select_from(
            team.where(Enrolment.status == EnrolmentStatus.PENDING_APPROVAL).subquery()
        )
    )
    view.evaluations_waiting = waiting_count(user.id, now)
    if user.is_trainer:
        taught = select(cohort_trainer.c.cohort_id).where(cohort_trainer.c.user_id == user.id)
        view.teaching = list(
            db.session.scalars(
                select(Session)
                .where(Session.cohort_id.in_(taught), is_upcoming(now))
                .order_by(Session.starts_at)
                .limit(UPCOMING_LIMIT)
                .options(selectinload(Session.cohort).selectinload(Cohort.course))
            )
        )
    return view
