"""Courses: what the PMO teaches, with its CPD value and accreditation."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Numeric, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.db import Base, TimestampMixin


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

    category: Mapped[CourseCategory | None] = relationship()

    def __str__(self) -> str:
        return f"{self.code} {self.title}"
