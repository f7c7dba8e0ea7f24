"""Courses: what the PMO teaches, with its CPD value and accreditation."""

from __future__ import annotations

import enum
import hmac
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from lms.auth.models import User
from lms.core import tokens
from lms.core.db import Base, TimestampMixin


def _enum(enum_class: type[enum.Enum], name: str) -> Enum:
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        length=20,
        values_callable=lambda members: [member.value for member in members],
    )


class CourseStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


class DeliveryMode(enum.StrEnum):
    IN_PERSON = "in_person"
    ONLINE = "online"
    BLENDED = "blended"

    @property
    def label(self) -> str:
        return {"in_person": "In person", "online": "Online", "blended": "Blended"}[self.value]


class CourseCategory(Base):
    """Training programme, workshop, coaching, e-learning: a list admins can extend."""

    __tablename__ = "course_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class Course(TimestampMixin, Base):
    __tablename__ = "course"
    __table_args__ = (
        CheckConstraint("cpd_hours >= 0", name="cpd_hours_not_negative"),
        CheckConstraint(
            "min_attendance_percent BETWEEN 0 AND 100", name="min_attendance_percent_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="", server_default="")
    learning_outcomes: Mapped[list[str]] = mapped_column(JSON, default=list)
    category_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_category.id", ondelete="SET NULL"), index=True
    )
    delivery_mode: Mapped[DeliveryMode] = mapped_column(
        _enum(DeliveryMode, "delivery_mode"), default=DeliveryMode.IN_PERSON
    )
    cpd_hours: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    accreditation_body: Mapped[str | None] = mapped_column(String(200))
    accreditation_reference: Mapped[str | None] = mapped_column(String(100))
    accreditation_valid_from: Mapped[date | None]
    accreditation_valid_to: Mapped[date | None]
    status: Mapped[CourseStatus] = mapped_column(
        _enum(CourseStatus, "course_status"), default=CourseStatus.DRAFT, index=True
    )
    requires_approval: Mapped[bool] = mapped_column(default=False, server_default=false())
    min_attendance_percent: Mapped[int] = mapped_column(default=80, server_default="80")
    certificate_validity_months: Mapped[int | None]
    # Whether a learner whose certificate expires soon (or has expired) may take the
    # course again; their new completion brings a new certificate.
    allows_recertification: Mapped[bool] = mapped_column(default=False, server_default=false())

    category: Mapped[CourseCategory | None] = relationship()
    prerequisites: Mapped[list[Course]] = relationship(
        secondary="course_prerequisite",
        primaryjoin="Course.id == course_prerequisite.c.course_id",
        secondaryjoin="Course.id == course_prerequisite.c.prerequisite_id",
        order_by="Course.code",
    )
    cohorts: Mapped[list[Cohort]] = relationship(back_populates="course", viewonly=True)

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


course_prerequisite = Table(
    "course_prerequisite",
    Base.metadata,
    Column("course_id", ForeignKey("course.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "prerequisite_id", ForeignKey("course.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)

cohort_trainer = Table(
    "cohort_trainer",
    Base.metadata,
    Column("cohort_id", ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "user_id", ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class CohortStatus(enum.StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    RUNNING = "running"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Cohort(TimestampMixin, Base):
    """One run of a course, with its seats, enrolment window and trainers."""

    __tablename__ = "cohort"
    __table_args__ = (CheckConstraint("capacity > 0", name="capacity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    capacity: Mapped[int]
    enrolment_opens_at: Mapped[datetime | None]
    enrolment_closes_at: Mapped[datetime | None]
    venue: Mapped[str | None] = mapped_column(String(200))
    online_link: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[CohortStatus] = mapped_column(
        _enum(CohortStatus, "cohort_status"), default=CohortStatus.PLANNED, index=True
    )
    # When it was last closed (courses/cohorts/closing.py); cleared when it is reopened.
    closed_at: Mapped[datetime | None] = mapped_column(index=True)  # the reports' years

    course: Mapped[Course] = relationship(back_populates="cohorts")
    trainers: Mapped[list[User]] = relationship(secondary=cohort_trainer, order_by="User.full_name")
    sessions: Mapped[list[Session]] = relationship(
        back_populates="cohort", order_by="Session.starts_at", cascade="all, delete-orphan"
    )
    enrolments: WriteOnlyMapped[Enrolment] = relationship(back_populates="cohort")

    def __str__(self) -> str:
        return self.code


class Session(Base):
    """One dated meeting of a cohort (a module, a workshop day)."""

    __tablename__ = "cohort_session"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    location: Mapped[str | None] = mapped_column(String(200))
    cancelled: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Secret from which the rotating self check-in codes are derived; set when the
    # trainer first opens the check-in screen.
    check_in_secret: Mapped[str | None] = mapped_column(String(64))

    cohort: Mapped[Cohort] = relationship(back_populates="sessions")


class EnrolmentStatus(enum.StrEnum):
    PENDING_APPROVAL = "pending_approval"
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"
    NOT_COMPLETED = "not_completed"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class Enrolment(TimestampMixin, Base):
    """One learner on one cohort; its status follows the state machine in DESIGN.md §4."""

    __tablename__ = "enrolment"
    __table_args__ = (
        UniqueConstraint("cohort_id", "learner_id"),
        Index("ix_enrolment_cohort_id_status_requested_at", "cohort_id", "status", "requested_at"),
        # The reports' years: completions (and who) by when they ended, places by when given.
        Index("ix_enrolment_status_ended_at_learner_id", "status", "ended_at", "learner_id"),
        Index("ix_enrolment_confirmed_at", "confirmed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    learner_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[EnrolmentStatus] = mapped_column(_enum(EnrolmentStatus, "enrolment_status"))
    # First come, first served: the waitlist and approvals are ordered by this.
    requested_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    decision_reason: Mapped[str | None] = mapped_column(String(500))
    reminder_sent_at: Mapped[datetime | None] = mapped_column(index=True)  # tick filters by it
    # Set when the learner and trainers were told the attendance rate fell below the
    # course's threshold, so they are told once.
    attendance_warning_sent_at: Mapped[datetime | None] = mapped_column(index=True)

    cohort: Mapped[Cohort] = relationship(back_populates="enrolments")
    learner: Mapped[User] = relationship(foreign_keys=[learner_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class CalendarFeed(Base):
    """The secret address of a learner's personal calendar of confirmed sessions.

    The address's token is never stored: it is derived from `reference` and SECRET_KEY
    (`lms.core.tokens`), and only its digest is kept to recognise it. A feed made before
    that has no reference: its old address still works (its digest was kept), but it
    cannot be shown again. A new SECRET_KEY retires every derived address.
    """

    __tablename__ = "calendar_feed"

    PURPOSE = "calendar-feed"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), unique=True
    )
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)

    @property
    def token(self) -> str | None:
        """The address's secret token, derived again; None if there is none to show: the
        feed was made before tokens were derived, or under another SECRET_KEY."""
        if self.reference is None:
            return None
        token = tokens.derive(self.PURPOSE, self.reference)
        return token if hmac.compare_digest(tokens.digest(token), self.token_hash) else None


class AttendanceStatus(enum.StrEnum):
    PRESENT = "present"
    LATE = "late"
    LEFT_EARLY = "left_early"
    ABSENT = "absent"
    EXCUSED = "excused"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def attended(self) -> bool:
        return self in (
            AttendanceStatus.PRESENT,
            AttendanceStatus.LATE,
            AttendanceStatus.LEFT_EARLY,
        )


class AttendanceMethod(enum.StrEnum):
    REGISTER = "register"
    SELF_CHECK_IN = "self_check_in"
    AUTOMATIC = "automatic"  # marked absent by `flask lms tick` after the session


_WITH_CHECK_IN_SOURCE = "check_in_device IS NOT NULL OR check_in_address IS NOT NULL"


class AttendanceRecord(Base):
    """One learner's attendance at one session: one record per (session, enrolment)."""

    __tablename__ = "attendance_record"
    # AUTOINCREMENT: SQLite never reuses the id of a deleted record (PostgreSQL's sequence
    # never does), so a record's (id, version) names one state for good, even when a
    # check-in is undone and made again (register.SeenRecord).
    __table_args__ = (
        UniqueConstraint("session_id", "enrolment_id"),
        # The few records retention still has to blank (lms/retention.py), found without
        # reading every record at every `flask lms tick`.
        Index(
            "ix_attendance_record_session_id_with_note",
            "session_id",
            postgresql_where=text("note IS NOT NULL"),
            sqlite_where=text("note IS NOT NULL"),
        ),
        Index(
            "ix_attendance_record_session_id_with_check_in_source",
            "session_id",
            postgresql_where=text(_WITH_CHECK_IN_SOURCE),
            sqlite_where=text(_WITH_CHECK_IN_SOURCE),
        ),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("cohort_session.id", ondelete="CASCADE"))
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolment.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[AttendanceStatus] = mapped_column(_enum(AttendanceStatus, "attendance_status"))
    note: Mapped[str | None] = mapped_column(String(500))
    method: Mapped[AttendanceMethod] = mapped_column(_enum(AttendanceMethod, "attendance_method"))
    marked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    marked_at: Mapped[datetime]
    # Bumped by every change (the ORM does it here; bulk statements set it themselves), so
    # a register saved from a page loaded before the change is refused, not applied.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Where a self check-in came from, as keyed digests (checkin.CheckInSource): the
    # device's cookie and the client address. Equal digests mean the same device or address.
    check_in_device: Mapped[str | None] = mapped_column(String(64))
    check_in_address: Mapped[str | None] = mapped_column(String(64))

    session: Mapped[Session] = relationship()
    enrolment: Mapped[Enrolment] = relationship()
    marked_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
