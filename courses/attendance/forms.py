"""Forms for the register.

The register has one status and one note per expected learner, named by enrolment id
(`status_12`, `note_12`), so a row always means the same learner even if the list
changed between showing the page and saving it. A hidden `version_12` says which record
the page showed for the learner ("<record id>.<version>", or "new" for none yet), so the
service can refuse a save made from a page that did not show a later change. Forms check
shape only; the attendance service decides who may be marked and when.
"""

from __future__ import annotations

import re

from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from courses.attendance import NOTE_LENGTH, RegisterRow, SeenRecord
from courses.models import AttendanceStatus
from lms.web.forms import Form

NO_RECORD = "new"
_VERSION = re.compile(r"([0-9]{1,18})\.([0-9]{1,9})")

STATUS_CHOICES = [SelectChoice(status.value, status.label) for status in AttendanceStatus]
*_others, _last = [status.label.lower() for status in AttendanceStatus]
CHOICES_TEXT = f"{', '.join(_others)} or {_last}"  # "present, late, left early, absent or excused"


class StatusField(RadioField):
    """A learner's status on the register, or nothing yet (the row stays unmarked)."""

    def pre_validate(self, form) -> None:
        if self.data in (None, ""):
            self.data = None
            return
        super().pre_validate(form)


class RegisterForm(Form):
    """Built by `register_form`, which adds a status and a note field for each learner."""

    action = StringField()  # which button was pressed: "save" or "everyone_present"
    reason = TextAreaField(
        "Reason for changing the register",
        description="This cohort is closed, so the change is recorded with your reason.",
        validators=[
            Optional(),
            Length(max=500, message="The reason must be 500 characters or fewer"),
        ],
    )

    rows: list[RegisterRow]

    def status_field(self, row: RegisterRow) -> StatusField:
        return self[f"status_{row.enrolment.id}"]

    def note_field(self, row: RegisterRow) -> StringField:
        return self[f"note_{row.enrolment.id}"]

    def version_field(self, row: RegisterRow) -> HiddenField:
        return self[f"version_{row.enrolment.id}"]

    @property
    def filling_in(self) -> bool:
        """The "Mark everyone present" button was pressed: fill the form, save nothing."""
        return self.action.data == "everyone_present"

    def fill_unmarked(self, status: AttendanceStatus = AttendanceStatus.PRESENT) -> int:
        """Gives `status` to rows with no status chosen and no record; returns how many."""
        filled = 0
        for row in self.rows:
            field = self.status_field(row)
            if field.data is None and row.record is None:
                field.data = status.value
                filled += 1
        return filled

    def marks(self) -> dict[int, tuple[str, str | None]]:
        """{enrolment id: (status, note)} for every row with a status chosen."""
        return {
            row.enrolment.id: (self.status_field(row).data, self.note_field(row).data)
            for row in self.rows
            if self.status_field(row).data
        }

    def seen(self) -> dict[int, SeenRecord | None]:
        """{enrolment id: the record the page showed} for every row with a status chosen
        whose version reads as one; the service refuses a row left out (RegisterOutOfDate)."""
        seen = {}
        for row in self.rows:
            record = _seen(self.version_field(row).data)
            if self.status_field(row).data and record is not False:
                seen[row.enrolment.id] = record
        return seen

    def show_current(self, changed: frozenset[int]) -> None:
        """After a save refused because marks changed: every row now carries the record as
        it is, and the changed rows (and rows left blank that have a record now) show it,
        so saving again saves what the person has now seen. Other rows keep their input."""
        for row in self.rows:
            self.version_field(row).data = _version(row)
            if row.enrolment.id in changed or not self.status_field(row).data:
                self.status_field(row).data = row.record.status.value if row.record else None
                self.note_field(row).data = (row.record.note or "") if row.record else ""

    def reason_text(self) -> str | None:
        return self.reason.data if "reason" in self else None


def register_form(rows: list[RegisterRow], *, with_reason: bool, submitted: bool) -> RegisterForm:
    """The register for these rows: as posted, or filled from the saved records."""

    class Form(RegisterForm):
        pass

    data = {}
    for row in rows:
        name = row.enrolment.learner.full_name
        setattr(
            Form,
            f"status_{row.enrolment.id}",
            StatusField(
                f"Attendance for {name}",
                choices=STATUS_CHOICES,
                default=None,
                invalid_choice_message=f"Choose {CHOICES_TEXT} for {name}",
            ),
        )
        setattr(
            Form,
            f"note_{row.enrolment.id}",
            StringField(
                f"Note for {name} (optional)",
                validators=[
                    Optional(),
                    Length(
                        max=NOTE_LENGTH,
                        message=f"Notes must be {NOTE_LENGTH} characters or fewer",
                    ),
                ],
            ),
        )
        setattr(Form, f"version_{row.enrolment.id}", HiddenField())
        data[f"version_{row.enrolment.id}"] = _version(row)
        if row.record is not None:
            data[f"status_{row.enrolment.id}"] = row.record.status.value
            data[f"note_{row.enrolment.id}"] = row.record.note or ""
    form = Form() if submitted else Form(formdata=None, data=data)
    form.rows = rows
    if not with_reason:
        del form.reason
    return form


def _version(row: RegisterRow) -> str:
    """What the page carries for the row's record: "<id>.<version>", or "new" for none."""
    return NO_RECORD if row.record is None else f"{row.record.id}.{row.record.version}"


def _seen(value: str | None) -> SeenRecord | bool | None:
    """The record a page carried (None: no record yet); False if it carried no such thing."""
    if value == NO_RECORD:
        return None
    match = _VERSION.fullmatch(value or "")
    return SeenRecord(int(match[1]), int(match[2])) if match else False


class CheckInForm(Form):
    code = StringField(
        "Check-in code",
        description="The 6 letters and numbers on your trainer's screen, for example ABC234",
        validators=[
            DataRequired("Enter the check-in code from your trainer's screen"),
            Length(max=20, message="That code is not right. Check the screen and try again"),
        ],
    )


class UndoCheckInForm(Form):
    """The Undo button beside one learner on the trainer's check-in screen."""

    # Record ids are positive 32-bit integers (PostgreSQL's INTEGER).
    record_id = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=2**31 - 1)])
