"""Forms for the cohort admin pages: a cohort's details, its status, its sessions, bulk enrolment.

Forms check shape (present, short enough, a number, a date, one of the choices); the
cohorts and enrolment services check the rules (unique codes, capacity against the
places confirmed, enrolment closing after it opens, sessions ending after they start).
Dates and times are UK wall-clock times; the view turns them into UTC instants with
`cohorts.london_to_utc`. Choices that come from the database are set by the view.
"""

from __future__ import annotations

import codecs
import csv

from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from courses.models import CohortStatus
from lms.web.forms import (
    DATE_FORMATS,
    TIME_FORMATS,
    Form,
    MultiCheckboxField,
    SensibleDate,
    optional_date,
    optional_time,
)


def _starts_with_http(form, field) -> None:
    if not (field.data or "").lower().startswith(("https://", "http://")):
        raise StopValidation("Enter an online meeting link that starts with https://")


class CohortForm(Form):
    """A cohort's details; `creating=True` adds the choice of course."""

    course_id = SelectField(
        "Course",
        default="",
        description="Published and draft courses. A draft course's cohorts are hidden from "
        "learners until the course is published.",
        validators=[InputRequired("Choose the course this cohort runs")],
        invalid_choice_message="Choose a course from the list",
    )
    code = StringField(
        "Cohort code",
        description="Unique, for example PM-OCC-2026-05.",
        validators=[
            DataRequired("Enter a cohort code"),
            Length(max=40, message="Cohort code must be 40 characters or fewer"),
        ],
    )
    capacity = IntegerField(
        "Capacity",
        description="The number of places. When it is full, learners join the waitlist.",
        invalid_value_message="Enter the capacity as a whole number, like 12",
        validators=[
            InputRequired("Enter the number of places"),
            NumberRange(min=1, message="Capacity must be at least 1"),
            NumberRange(max=10_000, message="Capacity must be 10,000 or fewer"),
        ],
    )
    opens_date = optional_date("Date enrolment opens (optional)", "enrolment opens")
    opens_time = optional_time("Time enrolment opens", "enrolment opens")
    closes_date = optional_date("Date enrolment closes (optional)", "enrolment closes")
    closes_time = optional_time("Time enrolment closes", "enrolment closes")
    venue = StringField(
        "Venue (optional)",
        description="Where the sessions usually take place. A session can name its own room.",
        validators=[
            Optional(),
            Length(max=200, message="Venue must be 200 characters or fewer"),
        ],
    )
    online_link = URLField(
        "Online meeting link (optional)",
        description="For example, https://teams.microsoft.com/l/meetup-join/…",
        validators=[
            Optional(),
            Length(max=500, message="Online meeting link must be 500 characters or fewer"),
            _starts_with_http,
            URL(message="Enter the online meeting link as a full web address, like https://…"),
        ],
    )
    trainer_ids = MultiCheckboxField(
        "Trainers",
        coerce=int,
        description="Choose everyone who teaches this cohort.",
        invalid_value_message="Choose trainers from the list",
        invalid_choice_message="Choose trainers from the list",
    )

    def __init__(self, *args, creating: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.course_id

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for date_field, time_field, what in (
            (self.opens_date, self.opens_time, "opens"),
            (self.closes_date, self.closes_time, "closes"),
        ):
            if date_field.errors or time_field.errors:
                continue
            if date_field.data is not None and time_field.data is None:
                time_field.errors.append(f"Enter the time enrolment {what}")
                valid = False
            elif time_field.data is not None and date_field.data is None:
                date_field.errors.append(f"Enter the date enrolment {what}")
                valid = False
        return valid


class SessionForm(Form):
    title = StringField(
        "Session title",
        description="For example, Module 1: starting a project.",
        validators=[
            DataRequired("Enter the session title"),
            Length(max=200, message="Session title must be 200 characters or fewer"),
        ],
    )
    date = DateField(
        "Date",
        description="For example, 2026-04-01",
        format=DATE_FORMATS,
        invalid_value_message="Enter the date of the session as a real date, like 2026-04-01",
        validators=[InputRequired("Enter the date of the session"), SensibleDate()],
    )
    start_time = TimeField(
        "Start time",
        description="UK time, 24-hour clock, for example 09:30",
        format=TIME_FORMATS,
        invalid_value_message="Enter the start time as a 24-hour time, like 09:30",
        validators=[InputRequired("Enter the time the session starts")],
    )
    end_time = TimeField(
        "End time",
        description="UK time, 24-hour clock, for example 12:30",
        format=TIME_FORMATS,
        invalid_value_message="Enter the end time as a 24-hour time, like 12:30",
        validators=[InputRequired("Enter the time the session ends")],
    )
    location = StringField(
        "Location (optional)",
        description="Leave empty to use the cohort's venue.",
        validators=[
            Optional(),
            Length(max=200, message="Location must be 200 characters or fewer"),
        ],
    )


STATUS_LABELS = {
    CohortStatus.PLANNED: "Planned (not open for enrolment yet)",
    CohortStatus.OPEN: "Open for enrolment",
    CohortStatus.RUNNING: "Running (sessions have started)",
    CohortStatus.CLOSED: "Closed (finished)",
    CohortStatus.CANCELLED: "Cancelled",
}


class StatusForm(Form):
    status = RadioField(
        "Change the status to",
        validators=[InputRequired("Choose the new status")],
        invalid_choice_message="Choose a status from the list",
    )

    def __init__(self, *args, allowed=(), **kwargs):
        """`allowed`: the statuses the cohort may move to next (cohorts.ALLOWED_STATUS_CHANGES)."""
        super().__init__(*args, **kwargs)
        order = list(CohortStatus)
        self.status.choices = [
            SelectChoice(status.value, STATUS_LABELS[status])
            for status in sorted(allowed, key=order.index)
        ]


class BulkEnrolForm(Form):
    """Email addresses pasted or uploaded; `emails_text()` gives them one a line."""

    emails = TextAreaField(
        "Email addresses",
        description="One a line, or separated by commas, semicolons or spaces.",
        validators=[
            Optional(),
            Length(max=200_000, message="Paste at most 200,000 characters at a time"),
        ],
    )
    file = FileField(
        "Or upload a file of email addresses",
        description="A .csv or .txt file. In a CSV, the column headed “email” is used.",
        validators=[FileAllowed(["csv", "txt"], "The selected file must be a .csv or .txt file")],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._file_text: str | None = None

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        pasted = (self.emails.data or "").strip()
        upload = self.file.data
        if pasted and upload:
            self.file.errors.append("Paste the email addresses or upload a file, not both")
            return False
        if not pasted and not upload:
            self.emails.errors.append("Paste some email addresses or choose a file to upload")
            return False
        if upload:
            self._file_text = _read_upload(upload.read())
            if self._file_text is None:
                self.file.errors.append("The selected file must be a text file of email addresses")
                return False
        return True

    @property
    def list_field(self) -> str:
        """The field the list came from, where a refusal of the whole list is shown."""
        return "file" if self._file_text is not None else "emails"

    def emails_text(self) -> str:
        """The addresses as text, one entry a line; line numbers match the file's lines."""
        if self._file_text is not None:
            return _email_column(self._file_text)
        return self.emails.data or ""


def _read_upload(data: bytes) -> str | None:
    """The file as text (UTF-8, with or without BOM, else Windows-1252); None if binary."""
    if b"\x00" in data:
        return None
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            return None


def _email_column(text: str) -> str:
    """From a spreadsheet with a header row naming an "email" column, that column only.

    The header becomes a blank line so each entry keeps the line number it has in the
    file. Any other text is returned as it is.
    """
    lines = text.splitlines()
    if not lines:
        return text
    header = [cell.strip().lower().replace(" ", "_") for cell in next(csv.reader([lines[0]]))]
    wanted = next((name for name in ("email", "email_address") if name in header), None)
    if wanted is None:
        return text
    column = header.index(wanted)
    out = [""]
    for line in lines[1:]:
        row = next(csv.reader([line]), [])
        out.append(row[column].strip() if len(row) > column else "")
    return "\n".join(out)


class CloseCohortForm(Form):
    """Closing a cohort: the page shows who will complete; the button confirms (CSRF only)."""


class ReopenCohortForm(Form):
    reason = TextAreaField(
        "Why are you reopening this cohort?",
        description="For example, a register was marked wrongly. This goes in the audit log. "
        "Closing the cohort again decides every learner's completion afresh.",
        validators=[
            DataRequired("Enter the reason for reopening the cohort"),
            Length(max=500, message="The reason must be 500 characters or fewer"),
        ],
    )
