"""Admin forms for the staff directory."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import EmailField, SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from lms.auth.models import Role
from lms.forms import MultiCheckboxField

EMAIL_FORMAT = "Enter an email address in the correct format, like name@example.nhs.uk"


class PersonForm(FlaskForm):
    full_name = StringField(
        "Full name", validators=[DataRequired("Enter the person's full name"), Length(max=200)]
    )
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter an email address"), Email(EMAIL_FORMAT), Length(max=254)],
    )
    job_title = StringField("Job title (optional)", validators=[Optional(), Length(max=200)])
    staff_number = StringField(
        "Staff number (optional)",
        description=(
            "From ESR. Leave empty for external learners, such as lived experience partners."
        ),
        validators=[
            Optional(),
            Length(max=20),
            Regexp(
                r"^[A-Za-z0-9-]+$",
                message="Staff number can only contain letters, numbers and hyphens",
            ),
        ],
    )
    department = StringField("Department (optional)", validators=[Optional(), Length(max=200)])
    service_group = StringField(
        "Service group (optional)", validators=[Optional(), Length(max=200)]
    )
    line_manager_email = EmailField(
        "Line manager's email address (optional)",
        validators=[Optional(), Email(EMAIL_FORMAT), Length(max=254)],
    )
    roles = MultiCheckboxField(
        "Roles",
        description="Everyone can learn. Choose any extra roles.",
        choices=[SelectChoice(role.value, role.label) for role in Role],
    )


class PeopleFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a search form changes nothing

    q = StringField(
        "Search by name, email or staff number", validators=[Optional(), Length(max=200)]
    )
    role = SelectField(
        "Role",
        default="",
        choices=[SelectChoice("", "Any role")]
        + [SelectChoice(role.value, role.label) for role in Role],
    )
    status = SelectField(
        "Status",
        default="",
        choices=[
            SelectChoice("", "Active and deactivated"),
            SelectChoice("active", "Active"),
            SelectChoice("inactive", "Deactivated"),
        ],
    )


class StaffImportForm(FlaskForm):
    file = FileField(
        "Upload a staff file",
        description="Save it from your spreadsheet as “CSV UTF-8” or “CSV (comma delimited)”.",
        validators=[
            FileRequired("Select a CSV file to import"),
            FileAllowed(["csv"], "The selected file must be a CSV"),
        ],
    )
