"""What a report is about: one financial year of the PMO's 2025-2030 strategy, and
optionally one programme (course category) and one service group.

The category narrows everything to do with training (enrolments, completions, surveys)
to its courses; the service group narrows people by their own service group and projects
by the project's. Both forms of every report page read the same GET query:
`?year=2026&category=3&group=2`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, select
from wtforms import SelectField

from courses.models import Cohort, Course, CourseCategory, Enrolment
from lms.auth.models import User
from lms.core.extensions import db
from lms.core.timezones import start_of_local_day
from lms.cpd.years import CpdYear
from lms.people.models import ServiceGroup
from lms.projects.years import financial_year, financial_year_of
from lms.web.forms import Form

FIRST_YEAR, LAST_YEAR = 2025, 2029  # the strategy's years: 2025/26 to 2029/30


def strategy_years() -> list[CpdYear]:
    return [financial_year(starts) for starts in range(FIRST_YEAR, LAST_YEAR + 1)]


def default_year(today: date) -> CpdYear:
    """This financial year, or the strategy's nearest end outside it."""
    starts = min(max(financial_year_of(today).starts, FIRST_YEAR), LAST_YEAR)
    return financial_year(starts)


@dataclass(frozen=True)
class Span:
    """UK days [first, end), and the UTC moments they run between: a moment at 00:30 on 1
    April UK time (23:30 UTC on 31 March, in summer time) is in the new financial year."""

    first: date
    end: date

    @property
    def starts(self) -> datetime:
        return start_of_local_day(self.first)

    @property
    def ends(self) -> datetime:
        return start_of_local_day(self.end)

    def holds(self, column) -> ColumnElement[bool]:
        """SQL: the moment `column` is within the span."""
        return and_(column >= self.starts, column < self.ends)

    def months(self) -> list[Span]:
        """The span's calendar months, in order."""
        firsts = []
        day = self.first
        while day < self.end:
            firsts.append(day)
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return [
            Span(first, end) for first, end in zip(firsts, [*firsts[1:], self.end], strict=True)
        ]


@dataclass(frozen=True)
class ReportFilters:
    year: CpdYear
    category_id: int | None = None
    service_group_id: int | None = None

    @property
    def span(self) -> Span:
        return Span(self.year.first_day, self.year.following.first_day)

    def enrolments(self) -> list[ColumnElement[bool]]:
        """SQL conditions keeping the enrolments of the chosen programme (their course's
        category) and service group (their learner's), whatever the query joins."""
        conditions = []
        if self.category_id:
            conditions.append(
                Enrolment.cohort_id.in_(
                    select(Cohort.id)
                    .join(Course, Course.id == Cohort.course_id)
                    .where(Course.category_id == self.category_id)
                )
            )
        if self.service_group_id:
            conditions.append(
                Enrolment.learner_id.in_(
                    select(User.id).where(User.service_group_id == self.service_group_id)
                )
            )
        return conditions

    @property
    def query(self) -> dict[str, int]:
        """The query string that names these filters again (for links and exports)."""
        args = {"year": self.year.starts}
        if self.category_id:
            args["category"] = self.category_id
        if self.service_group_id:
            args["group"] = self.service_group_id
        return args


def _optional_id(value: str | None) -> int | None:
    return int(value) if value else None


class FilterForm(Form):
    """The year, programme and service group a report page shows; a GET form."""

    class Meta:
        csrf = False  # a GET search form changes nothing

    year = SelectField("Financial year", coerce=int)
    category = SelectField("Programme", coerce=_optional_id)
    group = SelectField("Service group", coerce=_optional_id)

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = [(year.starts, year.label) for year in strategy_years()]
        self.category.choices = [("", "All programmes")] + [
            (row.id, row.name)
            for row in db.session.execute(
                select(CourseCategory.id, CourseCategory.name).order_by(CourseCategory.name)
            )
        ]
        self.group.choices = [("", "All service groups")] + [
            (row.id, row.name)
            for row in db.session.execute(
                select(ServiceGroup.id, ServiceGroup.name).order_by(ServiceGroup.name)
            )
        ]
        if self.year.data is None:
            self.year.data = default_year(today).starts

    def describe(self, filters: ReportFilters) -> str:
        """The year and the filters in words ("Financial year 2026/27, Leadership"), as the
        page's heading, the exports and the board report name them."""
        parts = [f"Financial year {filters.year.label}"]
        for field, chosen in (
            (self.category, filters.category_id),
            (self.group, filters.service_group_id),
        ):
            if chosen:
                parts.append(dict(field.choices).get(chosen, ""))
        return ", ".join(part for part in parts if part)

    def filters(self, today: date) -> ReportFilters:
        """What the form asks for once it has validated; the defaults otherwise."""
        if self.errors or not self.year.data:
            return ReportFilters(default_year(today))
        return ReportFilters(
            financial_year(self.year.data),
            category_id=self.category.data,
            service_group_id=self.group.data,
        )
