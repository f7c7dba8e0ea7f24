"""Forms for the register.

The register has one status and one note per expected learner, named by enrolment id
(`status_12`, `note_12`), so a row always means the same learner even if the list
changed between showing the page and saving it. Forms check shape only; the attendance
service decides who may be marked and when.
"""

from __future__ import annotations

from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from courses.attendance import NOTE_LENGTH, RegisterRow
from courses.models import AttendanceStatus
from lms.web.forms import Form

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
        if row.record is not None:
            data[f"status_{row.enrolment.id}"] = row.record.status.value
            data[f"note_{row.enrolment.id}"] = row.record.note or ""
    form = Form() if submitted else Form(formdata=None, data=data)
    form.rows = rows
    if not with_reason:
        del form.reason
    return form


class CheckInForm(Form):
    code = StringField(
        "Check-in code",
        description="The 6 letters and numbers on your trainer's screen, for example ABC234",
        validators=[
            DataRequired("Enter the check-in code from your trainer's screen"),
            Length(max=20, message="That code is not right. Check the screen and try again"),
        ],
    )
