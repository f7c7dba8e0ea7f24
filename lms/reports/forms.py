"""The reports' filter forms."""

from __future__ import annotations

from datetime import date

from wtforms import DateField
from wtforms.validators import Optional

from courses.cohorts.forms import DATE_FORMATS
from lms.web.forms import Form, SensibleDate


class ReportForm(Form):
    """The date range of the attendance report (UK dates, both days included)."""

    class Meta:
        csrf = False  # a GET search form changes nothing

    date_from = DateField(
        "From",
        description="For example, 2026-04-01",
        format=DATE_FORMATS,
        invalid_value_message="Enter the first date as a real date, like 2026-04-01",
        validators=[Optional(), SensibleDate()],
    )
    date_to = DateField(
        "To",
        description="For example, 2027-03-31",
        format=DATE_FORMATS,
        invalid_value_message="Enter the last date as a real date, like 2027-03-31",
        validators=[Optional(), SensibleDate()],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        start, end = self.date_from.data, self.date_to.data
        if valid and start and end and end < start:
            self.date_to.errors.append("The last date must be on or after the first date")
            valid = False
        return valid

    def range(self, today: date, default_from: date) -> tuple[date, date]:
        return self.date_from.data or default_from, self.date_to.data or today
