"""The team view's filters: the CPD year for everyone; for admins, which staff (their
reports or everyone, a department, a service group, a name)."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length, Optional

from lms.cpd.team import TeamFilter
from lms.cpd.years import CpdYear
from lms.people.models import Department, ServiceGroup
from lms.web.forms import Form, SingleLine

YEARS_OFFERED = 6  # this CPD year and the five before it; an older ?year= is added
REPORTS = "reports"
EVERYONE = "everyone"


class YearForm(Form):
    class Meta:
        csrf = False  # a filter changes nothing

    year = SelectField("CPD year", invalid_choice_message="Choose a CPD year from the list")

    def offer_years(self, current: CpdYear, chosen: CpdYear | None) -> None:
        """This year and the few before it, and the year the address names if older."""
        years = [
            CpdYear(current.starts - back, current.month, current.day)
            for back in range(YEARS_OFFERED)
        ]
        if chosen is not None and chosen not in years:
            years.append(chosen)
        self.year.choices = [SelectChoice(str(year.starts), year.label) for year in years]
        if not self.year.data:
            self.year.data = str((chosen or current).starts)


class TeamFilterForm(YearForm):
    scope = SelectField(
        "Show",
        choices=[
            SelectChoice(REPORTS, "Your reports"),
            SelectChoice(EVERYONE, "All staff, by the filters below"),
        ],
        default=REPORTS,
        invalid_choice_message="Choose whose CPD to show from the list",
    )
    department = SelectField(
        "Department", default="", invalid_choice_message="Choose a department from the list"
    )
    service_group = SelectField(
        "Service group", default="", invalid_choice_message="Choose a service group from the list"
    )
    q = StringField(
        "Search by name",
        validators=[
            SingleLine("search"),
            Optional(),
            Length(max=200, message="Search must be 200 characters or fewer"),
        ],
    )

    def fit(
        self,
        *,
        admin: bool,
        manager: bool,
        departments: Iterable[Department] = (),
        service_groups: Iterable[ServiceGroup] = (),
    ) -> None:
        """Keeps the fields this person may use: a line manager chooses the year only; an
        admin filters all staff; an admin who is also a line manager chooses between
        their reports and all staff too."""
        if not admin:
            for name in ("scope", "department", "service_group", "q"):
                delattr(self, name)
            return
        if not manager:
            delattr(self, "scope")
        self.department.choices = _choices("Any department", departments)
        self.service_group.choices = _choices("Any service group", service_groups)

    def all_staff(self) -> bool:
        """Whether an admin asked for all staff rather than their own reports."""
        if "scope" not in self:
            return "department" in self  # an admin with no reports sees all staff
        return not self.scope.errors and self.scope.data == EVERYONE

    def filters(self) -> TeamFilter:
        """The filters as sent, each left open when it was not sent or not understood."""
        if "department" not in self:
            return TeamFilter()
        return TeamFilter(
            department_id=_chosen_id(self.department),
            service_group_id=_chosen_id(self.service_group),
            text=None if self.q.errors else self.q.data,
        )


def _choices(anything: str, rows: Iterable[Department | ServiceGroup]) -> list[SelectChoice]:
    return [SelectChoice("", anything)] + [SelectChoice(str(row.id), row.name) for row in rows]


def _chosen_id(field: SelectField) -> int | None:
    if field.errors or not field.data or not str(field.data).isdigit():
        return None
    return int(field.data)
