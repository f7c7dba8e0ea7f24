"""What the seeding steps share: the plan, the random source, the clock, and the rows
earlier steps made that later steps point at."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from lms.scale.plan import Plan
from lms.scale.writer import Writer

ADMIN = "admin@example.nhs.uk"
TRAINER = "trainer@example.nhs.uk"
MANAGER = "manager@example.nhs.uk"
LEARNER = "learner@example.nhs.uk"


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    department_id: int | None
    manager_id: int | None
    created_at: datetime
    has_password: bool


@dataclass(frozen=True)
class CourseRow:
    id: int
    code: str
    requires_approval: bool
    online: bool
    blended: bool
    archived: bool


@dataclass(frozen=True)
class SessionRow:
    id: int
    starts_at: datetime
    ends_at: datetime
    cancelled: bool


@dataclass
class CohortRow:
    id: int
    course: CourseRow
    code: str
    capacity: int
    status: str
    trainer_ids: list[int]
    sessions: list[SessionRow] = field(default_factory=list)

    @property
    def starts_at(self) -> datetime:
        return self.sessions[0].starts_at

    @property
    def ends_at(self) -> datetime:
        return self.sessions[-1].ends_at


@dataclass(frozen=True)
class EnrolmentRow:
    id: int
    cohort: CohortRow
    learner_id: int
    status: str
    requested_at: datetime
    confirmed_at: datetime | None
    ended_at: datetime | None


@dataclass
class World:
    plan: Plan
    rng: random.Random
    today: date
    writer: Writer
    password_hash: str
    demo: dict[str, int] = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)
    trainer_ids: list[int] = field(default_factory=list)
    admin_ids: list[int] = field(default_factory=list)
    courses: list[CourseRow] = field(default_factory=list)
    cohorts: list[CohortRow] = field(default_factory=list)
    enrolments: list[EnrolmentRow] = field(default_factory=list)
    # The demo trainer's cohort with a session today, and the manager's team.
    todays_cohort: CohortRow | None = None
    team_ids: list[int] = field(default_factory=list)

    @property
    def now(self) -> datetime:
        """The seed's "now": the start of `today`, so everything seeded as past is past."""
        return datetime.combine(self.today, time(0), UTC)
