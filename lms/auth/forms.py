"""Forms for logging in and managing one's own password."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from lms.auth.passwords import MAX_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter your email address"), Length(max=254)],
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password"), Length(max=MAX_LENGTH * 4)]
    )


class ResetRequestForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Enter your email address"),
            Email("Enter an email address in the correct format, like name@example.nhs.uk"),
            Length(max=254),
        ],
    )


class SetPasswordForm(FlaskForm):
    password = PasswordField("New password", validators=[DataRequired("Enter a new password")])
    confirm_password = PasswordField(
        "Confirm new password", validators=[DataRequired("Enter the new password again")]
    )


class ChangePasswordForm(SetPasswordForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password")]
    )
