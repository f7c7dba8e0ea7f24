"""Who went on to lead a project: the last stage of the training funnel and the impact
view's headline share, defined once here so the two always agree.

A completed enrolment "leads to a project" when its learner is the lead of a project that
starts from the day of the completion to `LEADING_WITHIN_MONTHS` (12) months after it. A
project with no start date yet counts from the moment it was registered. A project that
started before the completion does not count: the training came after it.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, DateTime, and_, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.functions import FunctionElement

from courses.models import Enrolment, EnrolmentStatus
from lms.projects.models import Project, ProjectMember, ProjectRole

LEADING_WITHIN_MONTHS = 12


class plus_months(FunctionElement):
    """A timestamp `months` calendar months later, in SQL, on SQLite and PostgreSQL."""

    type = DateTime(timezone=True)
    inherit_cache = True
    name = "plus_months"

    def __init__(self, column, months: int):
        self.months = int(months)
        super().__init__(column)


@compiles(plus_months, "sqlite")
def _plus_months_sqlite(element, compiler, **kw):
    (column,) = element.clauses
    # strftime keeps the microseconds SQLAlchemy stores, so text comparisons stay exact.
    column_sql = compiler.process(column, **kw)
    return f"strftime('%Y-%m-%d %H:%M:%f000', {column_sql}, '+{element.months} months')"


@compiles(plus_months, "postgresql")
def _plus_months_postgresql(element, compiler, **kw):
    (column,) = element.clauses
    return f"({compiler.process(column, **kw)} + interval '{element.months} months')"


def project_began():
    """When a project counts as begun: the end of its first day, or its registration."""
    return func.coalesce(Project.start_cutoff, Project.created_at)


def leads_a_project_after(enrolment=Enrolment) -> ColumnElement[bool]:
    """SQL: the (completed) enrolment's learner leads a project begun from the day of the
    completion to 12 months after it. Correlated to `enrolment` (Enrolment or an alias)."""
    lead = aliased(ProjectMember)
    began = project_began()
    return (
        select(lead.id)
        .join(Project, Project.id == lead.project_id)
        .where(
            lead.person_id == enrolment.learner_id,
            lead.role == ProjectRole.LEAD,
            enrolment.status == EnrolmentStatus.COMPLETED,
            began > enrolment.ended_at,
            began <= plus_months(enrolment.ended_at, LEADING_WITHIN_MONTHS),
        )
        .correlate(enrolment)
        .exists()
    )


def completed_and_leading(enrolment=Enrolment) -> ColumnElement[bool]:
    return and_(enrolment.status == EnrolmentStatus.COMPLETED, leads_a_project_after(enrolment))
