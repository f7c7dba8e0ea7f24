"""The forms of PMO support: asking for it, the PMO's acceptance or refusal, and the
support list's filters.

The rules (at least one service, a need, a reason, the dates in order, who may be
responsible) are the service's (`lms.projects.support`); the forms only turn what was
sent into values.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from wtforms import DateField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from lms.auth.models import User
from lms.cpd.years import CpdYear
from lms.projects.models import SupportService, SupportStatus
from lms.web.forms import DATE_FORMATS, Form, MultiCheckboxField, SensibleDate, optional_date

NEED_HINT = (
    "For example, what stage the project is at, what is worrying you, and when you need help by"
)


class RequestForm(Form):
    services = MultiCheckboxField(
        "What support would you like?",
        description="Choose all that apply",
        choices=[SelectChoice(service.value, service.label) for service in SupportService],
    )
    need = TextAreaField("What do you need?", description=NEED_HINT)

    def chosen_services(self) -> set[SupportService]:
        return {SupportService(value) for value in self.services.data or ()}


class AcceptForm(Form):
    responsible_id = SelectField(
        "Person responsible",
        description="The PMO administrator or trainer who will give the support (the coach, "
        "for coaching)",
        invalid_choice_message="Choose the person responsible from the list",
    )
    starts_on = DateField(
        "Start date",
        description="For example, 2026-04-01",
        format=DATE_FORMATS,
        invalid_value_message="Enter the start date as a real date, like 2026-04-01",
        validators=[Optional(), SensibleDate()],
    )
    ends_on = optional_date("End date (optional)", "the support ends")

    def __init__(self, *args, candidates: Iterable[User] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.responsible_id.choices = [SelectChoice("", "Choose a person")] + [
            SelectChoice(str(person.id), person.full_name) for person in candidates
        ]

    def responsible(self, candidates: Iterable[User]) -> User | None:
        chosen = self.responsible_id.data
        return next((person for person in candidates if str(person.id) == chosen), None)

    @property
    def dates(self) -> tuple[date | None, date | None]:
        return self.starts_on.data, self.ends_on.data


class DeclineForm(Form):
    reason = TextAreaField(
        "Reason for declining",
        description="The person who asked is sent this",
    )


ALL = ""


class FilterForm(Form):
    class Meta:
        csrf = False  # a filter changes nothing

    status = SelectField(
        "Status",
        choices=[SelectChoice(ALL, "Any status")]
        + [SelectChoice(status.value, status.label) for status in SupportStatus],
        default=ALL,
        invalid_choice_message="Choose a status from the list",
    )
    year = SelectField(
        "Financial year",
        default=ALL,
        invalid_choice_message="Choose a financial year from the list",
    )

    def offer_years(self, years: Iterable[CpdYear]) -> None:
        self.year.choices = [SelectChoice(ALL, "Any year")] + [
            SelectChoice(str(year.starts), year.label) for year in years
        ]

    def chosen_status(self) -> SupportStatus | None:
        if self.status.errors or not self.status.data:
            return None
        return SupportStatus(self.status.data)
