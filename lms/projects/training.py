"""The trainee → project link: which of a person's completed courses came before the
project started. Read from the completions themselves every time, never typed or kept:
a completion withdrawn later (its certificate revoked) or a new start date changes it
at once.

A course counts when the person's enrolment is completed, its current certificate is
valid (not revoked; an expired one still shows the training happened), and the
completion was on or before the project's start date, UK time
(`Project.start_cutoff`, the moment that day ends).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, exists, select
from sqlalchemy.orm import aliased

from certificates.models import Certificate, CertificateStatus
from courses.models import Cohort, Course, Enrolment, EnrolmentStatus
from lms.core.extensions import db
from lms.core.timezones import to_local
from lms.projects.models import Project, ProjectMember, ProjectRole


@dataclass(frozen=True)
class TrainingBefore:
    """One completed course that came before the project's start."""

    person_id: int
    course_title: str
    cohort_code: str
    completed_on: date
    starts_on: date

    @property
    def lead_time(self) -> str:
        """How long before the start it was completed, in words: "4 months", "12 days"."""
        return lead_time(self.completed_on, self.starts_on)


def lead_time(completed_on: date, starts_on: date) -> str:
    months = (starts_on.year - completed_on.year) * 12 + starts_on.month - completed_on.month
    if starts_on.day < completed_on.day:
        months -= 1
    if months >= 1:
        return f"{months} month{'s' if months != 1 else ''}"
    days = (starts_on - completed_on).days
    return f"{days} day{'s' if days != 1 else ''}" if days else "the same day"


def completed_with_certificate() -> ColumnElement[bool]:
    return and_(
        Enrolment.status == EnrolmentStatus.COMPLETED,
        Enrolment.ended_at.is_not(None),
        exists().where(
            Certificate.enrolment_id == Enrolment.id,
            Certificate.status == CertificateStatus.VALID,
        ),
    )


def training_before(project: Project) -> dict[int, list[TrainingBefore]]:
    """Each linked person's courses completed on or before the project's start, oldest
    first, by person id; one statement whatever the number of people or courses. Empty
    while the project has no start date."""
    if project.start_cutoff is None or project.starts_on is None:
        return {}
    rows = db.session.execute(
        select(Enrolment.learner_id, Course.title, Cohort.code, Enrolment.ended_at)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .join(Course, Course.id == Cohort.course_id)
        .join(ProjectMember, ProjectMember.person_id == Enrolment.learner_id)
        .where(
            ProjectMember.project_id == project.id,
            completed_with_certificate(),
            Enrolment.ended_at < project.start_cutoff,
        )
        .order_by(Enrolment.learner_id, Enrolment.ended_at, Enrolment.id)
    ).all()
    found: dict[int, list[TrainingBefore]] = defaultdict(list)
    for person_id, title, cohort_code, ended_at in rows:
        found[person_id].append(
            TrainingBefore(
                person_id, title, cohort_code, to_local(ended_at).date(), project.starts_on
            )
        )
    return dict(found)


def led_by_a_trainee() -> ColumnElement[bool]:
    """Projects whose lead completed a course (with a valid certificate) on or before the
    start: the register's "led by a trainee" filter, and the impact reports' groups."""
    lead = aliased(ProjectMember)
    return (
        select(lead.id)
        .join(Enrolment, Enrolment.learner_id == lead.person_id)
        .where(
            lead.project_id == Project.id,
            lead.role == ProjectRole.LEAD,
            completed_with_certificate(),
            Enrolment.ended_at < Project.start_cutoff,
        )
        .correlate(Project)
        .exists()
    )
