"""Admin forms for the staff directory."""

from __future__ import annotations

from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from lms.auth.models import Role
from lms.web.forms import Form, MultiCheckboxField, SingleLine

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.nhs.uk"


class PersonForm(Form):
    full_name = StringField(
        "Full name",
        validators=[
            DataRequired("Enter the person's full name"),
            Length(max=200, message="Full name must be 200 characters or fewer"),
        ],
    )
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter an email address"),
            Email(EMAIL_FORMAT),
            Length(max=254, message="Email address must be 254 characters or fewer"),
        ],
    )
    job_title = StringField(
        "Job title (optional)",
        validators=[
            Optional(),
            Length(max=200, message="Job title must be 200 characters or fewer"),
        ],
    )
    staff_number = StringField(
        "Staff number (optional)",
        description=(
            "From ESR. Leave empty for external learners, such as lived experience partners."
        ),
        validators=[
            Optional(),
            Length(max=20, message="Staff number must be 20 characters or fewer"),
            Regexp(
                r"^[A-Za-z0-9-]+$",
                message="Staff number can only contain letters, numbers and hyphens",
            ),
        ],
    )
    department = StringField(
        "Department (optional)",
        validators=[
            Optional(),
            Length(max=200, message="Department must be 200 characters or fewer"),
        ],
    )
    service_group = StringField(
        "Service group (optional)",
        validators=[
            Optional(),
            Length(max=200, message="Service group must be 200 characters or fewer"),
        ],
    )
    line_manager_email = EmailField(
        "Line manager's email address (optional)",
        validators=[
            Optional(),
            Email(EMAIL_FORMAT),
            Length(max=254, message="Line manager's email address must be 254 characters or fewer"),
        ],
    )
    roles = MultiCheckboxField(
        "Roles",
        description="Everyone can learn. Choose any extra roles.",
        choices=[SelectChoice(role.value, role.label) for role in Role],
        invalid_choice_message="Choose roles from the list",
    )


class PeopleFilterForm(Form):
    class Meta:
        csrf = False  # a search form changes nothing

    q = StringField(
        "Search by name, email or staff number",
        validators=[
            SingleLine("search"),
            Optional(),
            Length(max=200, message="Search must be 200 characters or fewer"),
        ],
    )
    role = SelectField(
        "Role",
        default="",
        choices=[SelectChoice("", "Any role")]
        + [SelectChoice(role.value, role.label) for role in Role],
        invalid_choice_message="Choose a role from the list",
    )
    status = SelectField(
        "Status",
        default="",
        choices=[
            SelectChoice("", "Active and deactivated"),
            SelectChoice("active", "Active"),
            SelectChoice("inactive", "Deactivated"),
        ],
        invalid_choice_message="Choose a status from the list",
    )


class StaffImportForm(Form):
    file = FileField(
        "Upload a staff file",
        description="Save it from your spreadsheet as “CSV UTF-8” or “CSV (comma delimited)”.",
        validators=[
            FileRequired("Select a CSV file to import"),
            FileAllowed(["csv"], "The selected file must be a CSV"),
        ],
    )
    invite = BooleanField(
        "Send an invitation to the people this import creates",
        description=(
            "Each new person is emailed a link to set their password. People already in "
            "the system are not sent one."
        ),
    )
