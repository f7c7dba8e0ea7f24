"""The CPD record's forms: an entry, a reflection on a certificate's entry, the learner's
settings, the record's filters and the admins' categories.

The rules an entry must meet are the service's (`lms.cpd.record.entry_problems`), so the
form and the CSV import refuse the same things in the same words; the form only turns
what was typed into values (a date, a number of hours).
"""

from __future__ import annotations

from decimal import Decimal

from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional, ValidationError

from courses.assessments import uploads
from courses.assessments.uploads import Upload
from lms.cpd.record import EntryDetails, parse_hours
from lms.web.forms import DATE_FORMATS, Form, SensibleDate, optional_date

LEARNED_HINT = "What was new to you, or what do you now see differently?"
APPLIED_HINT = (
    "In your work, on a project, or in how you lead. APM asks for this too; you can come "
    "back and add it later."
)


class EntryForm(Form):
    title = StringField(
        "Title of the activity", description="For example, APM conference: benefits management"
    )
    category_id = SelectField(
        "Category", invalid_choice_message="Choose a category from the list", choices=[]
    )
    activity_on = DateField(
        "Date",
        description="The day of the activity, or its first day. For example, 2026-04-01",
        format=DATE_FORMATS,
        invalid_value_message="Enter the date of the activity as a real date, like 2026-04-01",
        validators=[Optional(), SensibleDate()],
    )
    ended_on = optional_date("Last day (if it ran over several days)", "of the last day")
    hours = StringField("Hours", description="Hours of learning, for example 1.5 or 6.25")
    provider = StringField("Provider or source (optional)", description="Who ran it, or wrote it")
    learned = TextAreaField("What did you learn?", description=LEARNED_HINT)
    applied = TextAreaField("How have you applied it, or how will you?", description=APPLIED_HINT)
    evidence = FileField("Evidence (optional)")
    remove_evidence = BooleanField("Remove the evidence file")

    upload: Upload | None = None

    def __init__(self, *args, categories=(), max_bytes: int = uploads.DEFAULT_MAX_BYTES, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.category_id.choices = [SelectChoice("", "Choose a category")] + [
            SelectChoice(str(category.id), category.name) for category in categories
        ]
        self.evidence.description = (
            "A certificate of attendance, a programme or your notes: a PDF, Word (DOCX), "
            f"Excel (XLSX) or PowerPoint (PPTX) file, smaller than "
            f"{uploads.size_words(max_bytes)}."
        )

    def validate_hours(self, field) -> None:
        if field.data and parse_hours(field.data) is None:
            raise ValidationError("Enter the hours as a number, like 1.5")

    def validate_evidence(self, field) -> None:
        self.upload = None
        if field.data is None or not getattr(field.data, "filename", None):
            return
        try:
            self.upload = uploads.check_upload(field.data, self.max_bytes)
        except uploads.UploadRefused as refused:
            raise ValidationError(str(refused)) from None

    def details(self) -> EntryDetails:
        return EntryDetails(
            title=self.title.data or "",
            category_id=int(self.category_id.data) if self.category_id.data else None,
            activity_on=self.activity_on.data,
            ended_on=self.ended_on.data,
            hours=parse_hours(self.hours.data) if self.hours.data else None,
            provider=self.provider.data or "",
            learned=self.learned.data or "",
            applied=self.applied.data or "",
        )

    def fill_from(self, entry) -> None:
        self.title.data = entry.title
        self.category_id.data = str(entry.category_id or "")
        self.activity_on.data = entry.activity_on
        self.ended_on.data = entry.ended_on
        self.hours.data = f"{entry.hours.normalize():f}"
        self.provider.data = entry.provider or ""
        self.learned.data = entry.learned
        self.applied.data = entry.applied


class ReflectionForm(Form):
    """A certificate's entry: the certificate's facts stay; its holder adds a reflection."""

    learned = TextAreaField("What did you learn?", description=LEARNED_HINT)
    applied = TextAreaField("How have you applied it, or how will you?", description=APPLIED_HINT)


class DeleteForm(Form):
    """Only a CSRF token: deleting an entry is a POST from its confirmation page."""


class SettingsForm(Form):
    target_hours = StringField(
        "Your yearly target in hours (optional)",
        description="Leave blank to use the trust's target. Set your professional body's "
        "if it asks for more or less.",
    )
    professional_body = StringField(
        "Professional body (optional)",
        description="For example, APM or the Nursing and Midwifery Council. It is printed on "
        "your exported record.",
    )
    share_reflections = BooleanField(
        "Let my line manager read my reflections",
        description="Your line manager always sees your hours. Your reflections stay private "
        "unless you tick this.",
    )

    def validate_target_hours(self, field) -> None:
        if field.data and parse_hours(field.data) is None:
            raise ValidationError("Enter the target as a number of hours, like 35")

    def target(self) -> Decimal | None:
        return parse_hours(self.target_hours.data) if self.target_hours.data else None


class FilterForm(Form):
    """The record's filters, sent by GET: a year and a category."""

    class Meta:
        csrf = False

    year = SelectField("CPD year", choices=[], validate_choice=False)
    category = SelectField("Category", choices=[], validate_choice=False)


class CategoryForm(Form):
    name = StringField("Name")
    retired = BooleanField(
        "Retired: keep its entries, but do not offer it for new ones",
    )
