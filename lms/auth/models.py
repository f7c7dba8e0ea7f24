"""Accounts: every person is a learner; some are also trainers or admins."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Enum,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import Base, TimestampMixin
from lms.people.models import Department, ServiceGroup


class Role(enum.StrEnum):
    ADMIN = "admin"
    TRAINER = "trainer"

    @property
    def label(self) -> str:
        return {"admin": "PMO administrator", "trainer": "Trainer"}[self.value]


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "user_account"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    full_name: Mapped[str] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    staff_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("department.id", ondelete="SET NULL"), index=True
    )
    service_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_group.id", ondelete="SET NULL"), index=True
    )
    line_manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    is_active_account: Mapped[bool] = mapped_column(
        "is_active", default=True, server_default=true()
    )
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # Bumped on logout, deactivation and password change: every cookie that carries
    # an older value is refused, so the server can end sessions it did not issue last.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    last_login_at: Mapped[datetime | None]

    department: Mapped[Department | None] = relationship()
    service_group: Mapped[ServiceGroup | None] = relationship()
    line_manager: Mapped[User | None] = relationship(remote_side=[id])
    role_grants: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    def __str__(self) -> str:
        return self.full_name

    # Flask-Login
    @property
    def is_active(self) -> bool:
        return self.is_active_account

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(grant.role for grant in self.role_grants)

    def has_role(self, *roles: Role | str) -> bool:
        return any(Role(role) in self.roles for role in roles)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def is_trainer(self) -> bool:
        return Role.TRAINER in self.roles

    @property
    def is_external(self) -> bool:
        """External learners (lived-experience partners and others) have no staff number."""
        return not self.staff_number

    @classmethod
    def by_email(cls, email: str):
        return select(cls).where(func.lower(cls.email) == email.strip().lower())


# Email is the login and is unique whatever its case.
Index("uq_user_account_email_lower", func.lower(User.email), unique=True)
# The people list's order: one index scan for any page, not a sort of every account.
Index("ix_user_account_full_name_lower", func.lower(User.full_name), User.id)


class UserRole(Base):
    __tablename__ = "user_role"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            name="role",
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )

    user: Mapped[User] = relationship(back_populates="role_grants")


class PasswordToken(Base):
    """A single-use link for setting a password: a reset or an invitation.

    The token in the link is derived from `reference` and the SECRET_KEY
    (lms.core.tokens); only the token's digest is stored, so a copy of the database
    cannot be used to take over accounts. Links issued before references existed have
    none (their digest still works until they expire).
    """

    __tablename__ = "password_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str | None] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
