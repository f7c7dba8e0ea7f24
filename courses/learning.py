"""What a person's home page shows about their learning, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from courses.attendance import Rate, attendance_rates
from courses.enrolment import ACTIVE, waitlist_positions
from courses.models import Cohort, Enrolment, EnrolmentStatus, Session
from lms.auth.models import User
from lms.extensions import db

S = EnrolmentStatus
RECENT_LIMIT = 20
UPCOMING_LIMIT = 10


@dataclass
class MyLearning:
    upcoming: list[Session] = field(default_factory=list)
    enrolments: list[Enrolment] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)
    rates: dict[int, Rate] = field(default_factory=dict)
    team_enrolments: list[Enrolment] = field(default_factory=list)
    team_pending: int = 0
    teaching: list[Session] = field(default_factory=list)


def _with_cohort():
    return selectinload(Enrolment.cohort).options(
        selectinload(Cohort.course), selectinload(Cohort.sessions)
    )


def my_learning(user: User, now: datetime) -> MyLearning:
    view = MyLearning()
    view.enrolments = list(
        db.session.scalars(
            select(Enrolment)
            .where(Enrolment.learner_id == user.id)
            .order_by(Enrolment.status.in_(ACTIVE).desc(), Enrolment.requested_at.desc())
            .limit(RECENT_LIMIT)
            .options(_with_cohort())
        )
    )
    view.positions = waitlist_positions([e.id for e in view.enrolments if e.status == S.WAITLISTED])
    view.rates = attendance_rates([e.id for e in view.enrolments if e.confirmed_at], now)
    view.upcoming = list(
        db.session.scalars(
            select(Session)
            .join(Enrolment, Enrolment.cohort_id == Session.cohort_id)
            .where(
                Enrolment.learner_id == user.id,
                Enrolment.status == S.CONFIRMED,
                Session.ends_at > now,
                Session.cancelled.is_(False),
            )
            .order_by(Session.starts_at)
            .limit(UPCOMING_LIMIT)
            .options(selectinload(Session.cohort).selectinload(Cohort.course))
        )
    )
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
            team.where(Enrolment.status == S.PENDING_APPROVAL).subquery()
        )
    )
    if user.is_trainer:
        view.teaching = list(
            db.session.scalars(
                select(Session)
                .join(Cohort, Cohort.id == Session.cohort_id)
                .where(Cohort.trainers.any(User.id == user.id), Session.ends_at > now)
                .order_by(Session.starts_at)
                .limit(UPCOMING_LIMIT)
                .options(selectinload(Session.cohort).selectinload(Cohort.course))
            )
        )
    return view
