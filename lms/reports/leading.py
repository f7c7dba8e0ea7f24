"""Who was trained, and who went on to lead a project: the rules the KPI dashboard's funnel
and the impact view share, defined once here so the two always agree.

- Completed in the year: an enrolment completed between the moment 1 April starts in the
  UK and the moment the next 1 April starts.
- Went on to lead a project within 12 months: a completion that stands (its certificate
  valid, as the project register's trainee link reads it) whose learner is the lead of a
  project that began after it and no more than 12 months after its UK day. A project
  began on its start date, or, without one, when it was registered. The project keeps
  when its window opens (`Project.trainee_window_opens`, the start of the UK day 12
  months before it began), so the comparison is the same on SQLite and PostgreSQL. A
  project that began before the completion does not count: the training came after it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import aliased

from courses.models import Enrolment, EnrolmentStatus
from lms.projects.models import LEADING_WITHIN_MONTHS, Project, ProjectMember, ProjectRole
from lms.projects.training import completed_with_certificate
from lms.reports.filters import Span

__all__ = ["LEADING_WITHIN_MONTHS", "completed_in", "leads_a_project_after"]


def completed_in(span: Span) -> ColumnElement[bool]:
    """SQL: the enrolment was completed within the span (UK days, as UTC moments)."""
    return and_(Enrolment.status == EnrolmentStatus.COMPLETED, span.holds(Enrolment.ended_at))


def leads_a_project_after() -> ColumnElement[bool]:
    """SQL, correlated to Enrolment: the completion stands and its learner leads a project
    that began after it and within 12 months of it."""
    lead = aliased(ProjectMember)
    return and_(
        completed_with_certificate(),
        select(lead.id)
        .join(Project, Project.id == lead.project_id)
        .where(
            lead.person_id == Enrolment.learner_id,
            lead.role == ProjectRole.LEAD,
            Enrolment.ended_at < func.coalesce(Project.start_cutoff, Project.created_at),
            Enrolment.ended_at >= Project.trainee_window_opens,
        )
        .correlate(Enrolment)
        .exists(),
    )
