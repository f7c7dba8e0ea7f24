"""Forms for logging in and managing one's own password."""

from __future__ import annotations

from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from lms.auth.passwords import MAX_LENGTH
from lms.web.forms import Form

EMAIL_LENGTH = "Email address must be 254 characters or fewer"


class LoginForm(Form):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            Length(max=254, message=EMAIL_LENGTH),
        ],
    )
    password = PasswordField(
        "Password",
        validators=[
            DataRequired("Enter your password"),
            Length(
                max=MAX_LENGTH * 4,
                message=f"Password must be {MAX_LENGTH * 4} characters or fewer",
            ),
        ],
    )


class ResetRequestForm(Form):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            Email("Enter an email address in the correct format, like name@example.nhs.uk"),
            Length(max=254, message=EMAIL_LENGTH),
        ],
    )


class SetPasswordForm(Form):
    password = PasswordField("New password", validators=[DataRequired("Enter a new password")])
    confirm_password = PasswordField(
        "Confirm new password", validators=[DataRequired("Enter the new password again")]
    )


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password")]
    )
