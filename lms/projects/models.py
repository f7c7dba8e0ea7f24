"""The projects people in the trust run, the people on them, their dated updates, the
support the PMO gives them, and the coaching sessions within that support.

The trainee → project link is not stored: it is read from each linked person's
completions whenever a project is shown (`lms.projects.training`), so it follows every
completion, withdrawal and change of start date by itself. `Project.start_cutoff` is the
one derived column it needs: the moment (UTC) the project's first day ends in the UK, so
"completed on or before the start date" is one indexed comparison in SQL.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from courses.models import _enum
from lms.auth.models import User
from lms.core.dates import add_months
from lms.core.db import Base, TimestampMixin
from lms.core.timezones import local_today, start_of_local_day, to_local
from lms.cpd.models import CpdEntry
from lms.people.models import ServiceGroup

LEADING_WITHIN_MONTHS = 12  # "went on to lead a project within 12 months" of training


class ProjectStatus(enum.StrEnum):
    PROPOSED = "proposed"
    ACTIVE = "active"
    ON_HOLD = "on_hold"
    CLOSED = "closed"
    STOPPED = "stopped"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def finished(self) -> bool:
        return self in (ProjectStatus.CLOSED, ProjectStatus.STOPPED)


class ProjectRole(enum.StrEnum):
    LEAD = "lead"
    PROJECT_MANAGER = "project_manager"
    MEMBER = "member"

    @property
    def label(self) -> str:
        return {"lead": "Lead", "project_manager": "Project manager", "member": "Team member"}[
            self.value
        ]

    @property
    def runs_project(self) -> bool:
        """A lead or project manager may change the project; a team member reads it."""
        return self in (ProjectRole.LEAD, ProjectRole.PROJECT_MANAGER)


class Rag(enum.StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class Answer(enum.StrEnum):
    """On time, on budget, milestones met, benefits realised: yes, no, partly (and, for
    benefits only, too early to say)."""

    YES = "yes"
    NO = "no"
    PARTLY = "partly"
    TOO_EARLY = "too_early"

    @property
    def label(self) -> str:
        return "Too early to say" if self == Answer.TOO_EARLY else self.value.capitalize()


class Project(TimestampMixin, Base):
    __tablename__ = "project"
    __table_args__ = (
        CheckConstraint(
            "planned_end_on IS NULL OR starts_on IS NULL OR planned_end_on >= starts_on",
            name="ends_after_start",
        ),
        Index("ix_project_status_starts_on", "status", "starts_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # The project's reference on the trust's PPM platform; the import matches by it.
    ppm_reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    service_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_group.id", ondelete="SET NULL"), index=True
    )
    sponsor: Mapped[str | None] = mapped_column(String(200))  # the sponsor or SRO, by name
    starts_on: Mapped[date | None]
    planned_end_on: Mapped[date | None]
    # When the start day ends (UTC): completions before it came before the project.
    start_cutoff: Mapped[datetime | None] = mapped_column(index=True)
    # When the UK day 12 months before the project began starts (its start date, or the
    # day it was registered): a completion from then on "went on to lead" to it
    # (lms.reports.leading). Kept here because SQLite and PostgreSQL add months apart.
    trainee_window_opens: Mapped[datetime | None]
    status: Mapped[ProjectStatus] = mapped_column(
        _enum(ProjectStatus, "project_status"), default=ProjectStatus.PROPOSED, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )

    service_group: Mapped[ServiceGroup | None] = relationship()
    created_by: Mapped[User | None] = relationship()
    members: Mapped[list[ProjectMember]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )

    @validates("starts_on")
    def _keep_derived_dates(self, _key: str, starts_on: date | None) -> date | None:
        registered = to_local(self.created_at).date() if self.created_at else local_today()
        for name, value in derived_dates(starts_on, registered).items():
            setattr(self, name, value)
        return starts_on

    def __str__(self) -> str:
        return self.title


def derived_dates(starts_on: date | None, registered_on: date) -> dict[str, datetime | None]:
    """The columns a project keeps from its start date (or, without one, the day it was
    registered): for bulk statements, which skip the validator that sets them."""
    return {
        "start_cutoff": start_of_local_day(starts_on + timedelta(days=1)) if starts_on else None,
        "trainee_window_opens": trainee_window_opens(starts_on or registered_on),
    }


def trainee_window_opens(began_on: date) -> datetime:
    """The moment the UK day 12 months before `began_on` starts (28 February for 29
    February): completions from then until the project began led to it."""
    return start_of_local_day(add_months(began_on, -LEADING_WITHIN_MONTHS))


@event.listens_for(Project, "before_insert")
def _open_trainee_window(_mapper, _connection, project: Project) -> None:
    """A project registered without a start date began the day it was registered (its
    `created_at` when given, else today: the validator could not know it yet)."""
    registered = to_local(project.created_at).date() if project.created_at else local_today()
    project.trainee_window_opens = trainee_window_opens(project.starts_on or registered)


Index("ix_project_title_lower", func.lower(Project.title), Project.id)
# A PPM reference is unique whatever its case (the import and the form match in any case).
Index("uq_project_ppm_reference_lower", func.lower(Project.ppm_reference), unique=True)


class ProjectMember(Base):
    """A person on a project, in one role."""

    __tablename__ = "project_member"
    __table_args__ = (
        UniqueConstraint("project_id", "person_id"),
        Index("ix_project_member_person_role", "person_id", "role"),
        Index("ix_project_member_project_role", "project_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[ProjectRole] = mapped_column(_enum(ProjectRole, "project_role"))

    project: Mapped[Project] = relationship(back_populates="members")
    person: Mapped[User] = relationship()


class ProjectUpdate(TimestampMixin, Base):
    """A dated report on a project by its lead (or an admin); a closing update records the
    project's final outcome."""

    __tablename__ = "project_update"
    __table_args__ = (Index("ix_project_update_project_reported", "project_id", "reported_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    reported_on: Mapped[date]
    rag: Mapped[Rag] = mapped_column(_enum(Rag, "project_rag"))
    milestones_met: Mapped[Answer] = mapped_column(_enum(Answer, "project_answer"))
    on_time: Mapped[Answer] = mapped_column(_enum(Answer, "project_answer"))
    on_budget: Mapped[Answer] = mapped_column(_enum(Answer, "project_answer"))
    benefits_realised: Mapped[Answer] = mapped_column(_enum(Answer, "project_answer"))
    narrative: Mapped[str] = mapped_column(Text, default="", server_default="")
    final: Mapped[bool] = mapped_column(default=False, server_default=false())

    author: Mapped[User | None] = relationship()


class SupportStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class SupportService(enum.StrEnum):
    """What the PMO offers; a request asks for one or several."""

    COACHING = "coaching"
    IMMERSIVE = "immersive"
    ASSURANCE = "assurance"
    ADVICE = "advice"

    @property
    def label(self) -> str:
        return {
            "coaching": "Coaching",
            "immersive": "Immersive project management",
            "assurance": "Reporting and assurance",
            "advice": "Advice",
        }[self.value]


class Support(TimestampMixin, Base):
    """A request to the PMO for support with a project, and the PMO's answer.

    Accepted support is active from `starts_on` to `ends_on` (open-ended without it); a
    project with accepted support active in a financial year counts towards that year's
    target of projects supported."""

    __tablename__ = "support"
    __table_args__ = (
        CheckConstraint("coaching OR immersive OR assurance OR advice", name="asks_for_something"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_start"),
        CheckConstraint(
            "status <> 'accepted' OR (starts_on IS NOT NULL AND responsible_id IS NOT NULL)",
            name="accepted_has_dates_and_person",
        ),
        Index("ix_support_status_dates", "status", "starts_on", "ends_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("project.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    coaching: Mapped[bool] = mapped_column(default=False, server_default=false())
    immersive: Mapped[bool] = mapped_column(default=False, server_default=false())
    assurance: Mapped[bool] = mapped_column(default=False, server_default=false())
    advice: Mapped[bool] = mapped_column(default=False, server_default=false())
    need: Mapped[str] = mapped_column(Text)  # what the requester says they need
    status: Mapped[SupportStatus] = mapped_column(
        _enum(SupportStatus, "support_status"), default=SupportStatus.REQUESTED, index=True
    )
    # The PMO's answer: who is responsible (the coach, for coaching) and when, or why not.
    responsible_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    starts_on: Mapped[date | None]
    ends_on: Mapped[date | None]
    decline_reason: Mapped[str | None] = mapped_column(String(1000))
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    decided_at: Mapped[datetime | None]

    project: Mapped[Project] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    responsible: Mapped[User | None] = relationship(foreign_keys=[responsible_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def services(self) -> list[SupportService]:
        return [service for service in SupportService if getattr(self, service.value)]

    @property
    def services_text(self) -> str:
        return ", ".join(service.label for service in self.services)


class CoachingSession(TimestampMixin, Base):
    """One meeting of a coach (the support's responsible person) and a coachee (who asked
    for the support). Its notes are the two's alone. Once the coachee confirms it, its
    hours are in their CPD record as coaching received (`coachee_entry_id`); the coach
    may add it to theirs as coaching given (`coach_entry_id`)."""

    __tablename__ = "coaching_session"
    __table_args__ = (
        CheckConstraint("minutes > 0 AND minutes <= 600", name="minutes_in_range"),
        Index("ix_coaching_session_support_held", "support_id", "held_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT, not CASCADE: a session is deleted through `coaching.delete_session`,
    # which takes its CPD entries with it; a cascade would leave them counted.
    support_id: Mapped[int] = mapped_column(ForeignKey("support.id", ondelete="RESTRICT"))
    coach_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    coachee_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="RESTRICT"), index=True
    )
    held_on: Mapped[date]
    minutes: Mapped[int]
    topic: Mapped[str] = mapped_column(String(200))
    actions: Mapped[str] = mapped_column(Text, default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")  # the two's only
    confirmed_at: Mapped[datetime | None]
    coachee_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("cpd_entry.id", ondelete="SET NULL"), unique=True
    )
    coach_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("cpd_entry.id", ondelete="SET NULL"), unique=True
    )

    support: Mapped[Support] = relationship()
    coach: Mapped[User] = relationship(foreign_keys=[coach_id])
    coachee: Mapped[User] = relationship(foreign_keys=[coachee_id])
    coachee_entry: Mapped[CpdEntry | None] = relationship(foreign_keys=[coachee_entry_id])
    coach_entry: Mapped[CpdEntry | None] = relationship(foreign_keys=[coach_entry_id])

    @property
    def hours(self) -> Decimal:
        """Its length in hours to 2 places, as the CPD record keeps it."""
        return (Decimal(self.minutes) / 60).quantize(Decimal("0.01"))
