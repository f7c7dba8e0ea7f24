"""The KPI dashboard: one financial year of the PMO's strategy against its targets.

Every number is a cell of a `Figure` (lms.reports.figures), built by five aggregate
statements whatever the size of the data: the targets, the funnel, the attendance rate,
the completion and pass rates, and the trend by month. The page, its CSV and XLSX exports
and the board report are all drawn from these figures.

The year runs from the moment 1 April starts in the UK to the moment the next 1 April
starts (`start_of_local_day`): a completion at 00:30 on 1 April UK time (23:30 UTC on 31
March, in British Summer Time) is in the new year. The programme (course category)
narrows everything about training to its courses; the service group narrows learners by
their own service group and projects by the project's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import ColumnElement, and_, case, distinct, exists, func, or_, select

from certificates.models import Certificate, CertificateStatus
from courses.assessments.models import Attempt, Submission, SubmissionStatus
from courses.attendance.expected import expected_at, record_of
from courses.attendance.rates import ATTENDED, attended_sum, excused_sum
from courses.models import AttendanceRecord, Enrolment, EnrolmentStatus, Session
from lms.core.extensions import db
from lms.projects import support as support_service
from lms.projects.models import Project, Support
from lms.reports.figures import Chart, Figure, percent
from lms.reports.filters import ReportFilters, Span
from lms.reports.leading import LEADING_WITHIN_MONTHS, completed_in, leads_a_project_after

DEFAULT_PEOPLE_TRAINED_TARGET = 120

PEOPLE_TRAINED = "People trained"
PROJECTS_SUPPORTED = "Projects supported by the PMO"


@dataclass(frozen=True)
class Headline:
    """One target as the dashboard's summary card shows it."""

    measure: str
    achieved: int
    target: int
    percent: Decimal | None  # of the target, to one place, as the targets table shows it

    @property
    def bar(self) -> int:
        """The progress bar's value: the percentage, capped at a full bar."""
        return min(int(self.percent or 0), 100)


def people_trained_target() -> int:
    return current_app.config.get("PEOPLE_TRAINED_TARGET", DEFAULT_PEOPLE_TRAINED_TARGET)


def dashboard_figures(filters: ReportFilters, now: datetime) -> list[Figure]:
    """The dashboard's figures for the filters' year, programme and service group, in the
    order the page shows them: targets, funnel, rates, trend by month."""
    span = filters.span
    return [
        _targets(filters, span),
        _funnel(filters, span),
        _rates(filters, span, now),
        _trend(filters, span),
    ]


def headlines(figures: list[Figure]) -> list[Headline]:
    """The summary cards: the rows of the targets figure (no further query)."""
    targets = next(figure for figure in figures if figure.key == "targets")
    return [Headline(*row) for row in targets.rows]


# --- the year and the filters --------------------------------------------------------------


def _count_if(condition) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# --- targets -------------------------------------------------------------------------------


def _targets(filters: ReportFilters, span: Span) -> Figure:
    trained = (
        select(func.count(distinct(Enrolment.learner_id)))
        .where(completed_in(span), *filters.enrolments())
        .scalar_subquery()
    )
    supported = select(func.count(distinct(Support.project_id))).where(
        support_service.active_in(filters.year)
    )
    if filters.service_group_id:
        supported = supported.where(
            Support.project_id.in_(
                select(Project.id).where(Project.service_group_id == filters.service_group_id)
            )
        )
    people, projects = db.session.execute(select(trained, supported.scalar_subquery())).one()
    rows = [
        (PEOPLE_TRAINED, int(people), people_trained_target()),
        (PROJECTS_SUPPORTED, int(projects), support_service.target()),
    ]
    shares = [percent(achieved, target) for _, achieved, target in rows]
    largest = max([Decimal(100)] + [share for share in shares if share is not None])
    return Figure(
        key="targets",
        title="Targets",
        columns=("Measure", "Achieved", "Target", "% of target"),
        rows=tuple((*row, share) for row, share in zip(rows, shares, strict=True)),
        chart=Chart(kind="bar", value_columns=(3,), maximum=largest),
        note=(
            "People trained: different learners with a completion in the year (an "
            "enrolment completed between 1 April and 31 March, UK time), each counted once. "
            "Projects supported by the PMO: different projects with accepted PMO support "
            "active on at least one day of the year. The programme filter does not apply to "
            "projects; the service group filter counts the projects of that service group."
        ),
    )


# --- the funnel ----------------------------------------------------------------------------


def _funnel(filters: ReportFilters, span: Span) -> Figure:
    attended = exists().where(
        AttendanceRecord.enrolment_id == Enrolment.id, AttendanceRecord.status.in_(ATTENDED)
    )
    certified = exists().where(
        Certificate.enrolment_id == Enrolment.id, Certificate.status == CertificateStatus.VALID
    )
    completed = Enrolment.status == EnrolmentStatus.COMPLETED
    counts = db.session.execute(
        select(
            func.count(Enrolment.id),
            _count_if(attended),
            _count_if(completed),
            _count_if(certified),
            _count_if(and_(completed, leads_a_project_after())),
        ).where(
            span.holds(Enrolment.confirmed_at),
            Enrolment.status != EnrolmentStatus.CANCELLED,
            *filters.enrolments(),
        )
    ).one()
    counts = [int(value) for value in counts]
    stages = (
        "Enrolled",
        "Attended at least one session",
        "Completed",
        "Certified",
        f"Leading a project within {LEADING_WITHIN_MONTHS} months",
    )
    rows = []
    for number, (stage, value) in enumerate(zip(stages, counts, strict=True)):
        before = percent(value, counts[number - 1]) if number else None
        rows.append((stage, value, percent(value, counts[0]), before))
    return Figure(
        key="funnel",
        title="From enrolment to leading a project",
        columns=("Stage", "Enrolments", "% of enrolled", "% of the stage before"),
        rows=tuple(rows),
        chart=Chart(kind="bar", value_columns=(1,)),
        note=(
            "Enrolments given a place (confirmed) in the year, less those cancelled before "
            "the course began (by the learner, or with the whole cohort). Attended: marked "
            "present, late or left early at one session or more. Completed: the cohort "
            "closed with the enrolment complete. Certified: it has a valid certificate (not "
            "revoked or superseded). Leading a project: completed, with a valid "
            f"certificate, and the learner leads a project that began within "
            f"{LEADING_WITHIN_MONTHS} months after the completion (a project without a "
            "start date, from when it was registered). Each stage is "
            "counted by its own rule, so a share of the stage before can exceed 100%."
        ),
    )


# --- rates ---------------------------------------------------------------------------------


def _rates(filters: ReportFilters, span: Span, now: datetime) -> Figure:
    attendance = _attendance(filters, span, now)
    narrowed = filters.enrolments()
    finished = (
        EnrolmentStatus.COMPLETED,
        EnrolmentStatus.NOT_COMPLETED,
        EnrolmentStatus.WITHDRAWN,
    )
    completion = [
        select(func.count(Enrolment.id))
        .where(condition, span.holds(Enrolment.ended_at), *narrowed)
        .scalar_subquery()
        for condition in (
            Enrolment.status == EnrolmentStatus.COMPLETED,
            Enrolment.status.in_(finished),
        )
    ]
    attempts = [
        select(func.count(Attempt.id))
        .join(Enrolment, Enrolment.id == Attempt.enrolment_id)
        .where(condition, span.holds(Attempt.submitted_at), *narrowed)
        .scalar_subquery()
        for condition in (Attempt.passed.is_(True), Attempt.passed.is_not(None))
    ]
    submissions = [
        select(func.count(Submission.id))
        .join(Enrolment, Enrolment.id == Submission.enrolment_id)
        .where(Submission.status.in_(statuses), span.holds(Submission.submitted_at), *narrowed)
        .scalar_subquery()
        for statuses in (
            (SubmissionStatus.PASSED,),
            (SubmissionStatus.PASSED, SubmissionStatus.REFERRED),
        )
    ]
    completed, ended, passed, marked, passed_work, marked_work = (
        int(value)
        for value in db.session.execute(select(*completion, *attempts, *submissions)).one()
    )
    rows = [
        ("Attendance rate", *attendance),
        ("Completion rate", completed, ended),
        ("Pass rate", passed + passed_work, marked + marked_work),
    ]
    return Figure(
        key="rates",
        title="Attendance, completion and pass rates",
        columns=("Measure", "Count", "Out of", "Rate (%)"),
        rows=tuple((*row, percent(row[1], row[2])) for row in rows),
        chart=Chart(kind="bar", value_columns=(3,), maximum=100),
        note=(
            "Attendance rate: sessions attended (present, late or left early) out of the "
            "places expected at the sessions held in the year so far, less excused absences; "
            "a session held but not marked counts as not attended. Completion rate: "
            "enrolments completed out of those that ended in the year complete, not "
            "complete or withdrawn after the course began. Pass rate: quiz attempts passed "
            "and assignments passed out of those marked, submitted in the year."
        ),
    )


def _attendance(filters: ReportFilters, span: Span, now: datetime) -> tuple[int, int]:
    """(attended, counted) over every expected place at the sessions held in the span."""
    held, attended, excused = db.session.execute(
        select(func.count(Enrolment.id), attended_sum(), excused_sum())
        .select_from(Session)
        .join(Enrolment, expected_at(Session.starts_at, Session.cohort_id))
        .outerjoin(AttendanceRecord, record_of(Session.id, Enrolment.id))
        .where(
            Session.cancelled.is_(False),
            span.holds(Session.starts_at),
            Session.starts_at < now,
            *filters.enrolments(),
        )
    ).one()
    return int(attended), int(held) - int(excused)


# --- the trend by month --------------------------------------------------------------------


def _trend(filters: ReportFilters, span: Span) -> Figure:
    months = span.months()
    completed = Enrolment.status == EnrolmentStatus.COMPLETED
    placed = Enrolment.status != EnrolmentStatus.CANCELLED  # as the funnel's "Enrolled"
    columns = []
    for month in months:
        columns.append(_count_if(and_(placed, month.holds(Enrolment.confirmed_at))))
    for month in months:
        columns.append(_count_if(and_(completed, month.holds(Enrolment.ended_at))))
    for month in months:
        inside = and_(completed, month.holds(Enrolment.ended_at))
        columns.append(func.count(distinct(case((inside, Enrolment.learner_id)))))
    values = db.session.execute(
        select(*columns).where(
            or_(span.holds(Enrolment.confirmed_at), completed_in(span)), *filters.enrolments()
        )
    ).one()
    values = [int(value or 0) for value in values]
    count = len(months)
    rows = tuple(
        (
            month.first.strftime("%B %Y"),
            values[number],
            values[count + number],
            values[2 * count + number],
        )
        for number, month in enumerate(months)
    )
    return Figure(
        key="trend",
        title="Trend by month",
        columns=("Month", "Enrolments confirmed", "Completions", "People trained"),
        rows=rows,
        chart=Chart(kind="line", value_columns=(1, 2, 3)),
        note=(
            "Each UK calendar month of the year: enrolments given a place (less those "
            "cancelled before the course began, as the funnel counts them), enrolments "
            "completed, and different learners with a completion that month. A learner who "
            "completes in two months counts in both, so the months of people trained can "
            "add up to more than the year's total."
        ),
    )
