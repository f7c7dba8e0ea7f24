"""Forms for the catalogue and its admin pages.

Forms check shape (present, short enough, a number, a date, one of the choices); the
catalogue service checks the rules (ranges, quarter hours, unique codes, prerequisites).
Choices that come from the database are set by the view.
"""

from __future__ import annotations

from decimal import Decimal

from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from courses.models import DeliveryMode
from lms.web.forms import Form, MultiCheckboxField, SensibleDate, SingleLine

DELIVERY_MODES = [SelectChoice(mode.value, mode.label) for mode in DeliveryMode]


class LinesField(TextAreaField):
    """A textarea holding a list, one item a line; blank lines are dropped."""

    def process_formdata(self, valuelist):
        if valuelist:
            self.data = [line.strip() for line in valuelist[0].splitlines() if line.strip()]

    def _value(self) -> str:
        return "\n".join(self.data or [])


class HoursField(DecimalField):
    """A decimal that must be a finite number (Python's Decimal also reads "NaN")."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return f"{self.data.normalize():f}" if isinstance(self.data, Decimal) else ""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if isinstance(self.data, Decimal) and not self.data.is_finite():
            self.data = None
            raise ValueError(self.invalid_value_message)


class CourseForm(Form):
    code = StringField(
        "Course code",
        description="Letters and numbers with hyphens between parts, like PM-OCC.",
        validators=[
            DataRequired("Enter a course code"),
            Length(max=20, message="Course code must be 20 characters or fewer"),
        ],
    )
    title = StringField(
        "Title",
        validators=[
            DataRequired("Enter the course title"),
            Length(max=200, message="Course title must be 200 characters or fewer"),
        ],
    )
    summary = TextAreaField(
        "Summary (optional)",
        description="What the course is and who it is for, in a sentence or two.",
        validators=[
            Optional(),
            Length(max=2000, message="Summary must be 2000 characters or fewer"),
        ],
    )
    learning_outcomes = LinesField(
        "Learning outcomes (optional)",
        description="Put each outcome on its own line.",
        validators=[Optional()],
    )
    category_id = SelectField(
        "Category",
        default="",
        invalid_choice_message="Choose a category from the list",
    )
    delivery_mode = RadioField(
        "How is it delivered?",
        choices=DELIVERY_MODES,
        default=DeliveryMode.IN_PERSON.value,
        invalid_choice_message="Choose how the course is delivered",
    )
    cpd_hours = HoursField(
        "CPD hours",
        description="In quarter hours, like 3.5 or 18. Enter 0 if the course carries no CPD.",
        invalid_value_message="Enter CPD hours as a number, like 3.5",
        validators=[InputRequired("Enter the CPD hours, or 0 if the course carries none")],
    )
    accreditation_body = StringField(
        "Accrediting body (optional)",
        description="For example, The CPD Certification Service.",
        validators=[
            Optional(),
            Length(max=200, message="Accrediting body must be 200 characters or fewer"),
        ],
    )
    accreditation_reference = StringField(
        "Accreditation or provider reference (optional)",
        validators=[
            Optional(),
            Length(max=100, message="Accreditation reference must be 100 characters or fewer"),
        ],
    )
    accreditation_valid_from = DateField(
        "Accreditation valid from (optional)",
        description="For example, 2026-04-01",
        format="%Y-%m-%d",
        invalid_value_message="Enter the valid from date as a real date, like 2026-04-01",
        validators=[Optional(), SensibleDate()],
    )
    accreditation_valid_to = DateField(
        "Accreditation valid to (optional)",
        description="The last day the accreditation covers, for example 2027-03-31",
        format="%Y-%m-%d",
        invalid_value_message="Enter the valid to date as a real date, like 2027-03-31",
        validators=[Optional(), SensibleDate()],
    )
    prerequisite_ids = MultiCheckboxField(
        "Prerequisites (optional)",
        description="Courses a learner must complete before they can enrol on this one.",
        invalid_choice_message="Choose prerequisites from the list",
    )
    requires_approval = BooleanField("Enrolment needs the learner's line manager to approve it")
    min_attendance_percent = IntegerField(
        "Minimum attendance to complete",
        description="A whole number percentage of the sessions. Usually 80.",
        default=80,
        invalid_value_message="Enter the minimum attendance as a whole number, like 80",
        validators=[InputRequired("Enter the minimum attendance, from 0 to 100")],
    )
    certificate_validity_months = IntegerField(
        "Certificate validity (optional)",
        description="In months. Leave empty if certificates never expire.",
        invalid_value_message="Enter the certificate validity as a whole number of months",
        validators=[Optional()],
    )
    allows_recertification = BooleanField(
        "Learners may take the course again when their certificate is about to expire",
        description="Recertification: their new completion brings a new certificate. "
        "Without it, a learner who has completed the course cannot enrol again.",
    )


class CatalogueFilterForm(Form):
    class Meta:
        csrf = False  # a search form changes nothing

    q = StringField(
        "Search by title, summary or learning outcome",
        validators=[
            SingleLine("search"),
            Optional(),
            Length(max=200, message="Search must be 200 characters or fewer"),
        ],
    )
    category = SelectField(
        "Category",
        default="",
        invalid_choice_message="Choose a category from the list",
    )
    mode = SelectField(
        "Delivery",
        default="",
        choices=[SelectChoice("", "Any"), *DELIVERY_MODES],
        invalid_choice_message="Choose a way of delivery from the list",
    )
    open = BooleanField("Only courses with a cohort open for enrolment")


class CourseAdminFilterForm(Form):
    class Meta:
        csrf = False  # a search form changes nothing

    q = StringField(
        "Search by code or title",
        validators=[
            SingleLine("search"),
            Optional(),
            Length(max=200, message="Search must be 200 characters or fewer"),
        ],
    )
    status = SelectField(
        "Status",
        default="",
        choices=[
            SelectChoice("", "Any status"),
            SelectChoice("draft", "Draft"),
            SelectChoice("published", "Published"),
            SelectChoice("archived", "Archived"),
        ],
        invalid_choice_message="Choose a status from the list",
    )


class CategoryForm(Form):
    name = StringField(
        "Category name",
        validators=[
            DataRequired("Enter a name for the category"),
            Length(max=100, message="Category name must be 100 characters or fewer"),
        ],
    )
