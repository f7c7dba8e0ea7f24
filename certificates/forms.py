"""Forms for verifying a certificate (public) and for revoking or re-issuing one (admins)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import (
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional

from certificates import codes
from certificates.issuing import NOTE_LENGTH
from certificates.models import RevocationReason
from certificates.search import Shown
from lms.web.forms import Form, SingleLine


class VerifyForm(Form):
    code = StringField(
        "Verification code",
        description="It is printed under the QR code on the certificate, for example "
        "7K2M-9QXD-4T8V-... (capitals or not, with or without the hyphens).",
        validators=[DataRequired("Enter the verification code from the certificate")],
    )

    def validate_code(self, field) -> None:
        if codes.normalise(field.data) is None:
            raise ValidationError(
                f"Enter the verification code as printed: {codes.CODE_LENGTH} letters and "
                "digits, in groups of four"
            )


class FileCheckForm(Form):
    """The PDF someone was given, to compare with the certificate issued. The view reads
    it to hash it and keeps nothing."""

    file = FileField(
        "Certificate PDF",
        description="The PDF file you were given, 2 MB or smaller. It is compared with the "
        "certificate we issued and not kept.",
    )

    def validate_file(self, field) -> None:
        if field.data is None or not field.data.filename:
            raise ValidationError("Choose the certificate's PDF file")


class RevokeForm(Form):
    reason = RadioField(
        "Why is it being revoked?",
        choices=[
            SelectChoice(reason.value, reason.label)
            for reason in RevocationReason
            if reason != RevocationReason.COMPLETION_WITHDRAWN
        ],
        invalid_choice_message="Choose why the certificate is being revoked",
    )
    note = TextAreaField(
        "Note for the PMO team",
        description="Not shown to the learner or on the verification page.",
        validators=[
            DataRequired("Enter a note saying why the certificate is revoked"),
            Length(
                max=NOTE_LENGTH, message=f"The note must be {NOTE_LENGTH:,} characters or fewer"
            ),
        ],
    )


class ReissueForm(Form):
    note = TextAreaField(
        "Why is it being re-issued?",
        description="For example, the learner changed their name. The new certificate "
        "shows today's details; the old one is marked superseded.",
        validators=[
            DataRequired("Enter why the certificate is being re-issued"),
            Length(
                max=NOTE_LENGTH, message=f"The note must be {NOTE_LENGTH:,} characters or fewer"
            ),
        ],
    )


class CertificateFilterForm(Form):
    class Meta:
        csrf = False  # a search form changes nothing

    q = StringField(
        "Search by learner, certificate number or verification code",
        validators=[
            SingleLine("search"),
            Optional(),
            Length(max=200, message="Search must be 200 characters or fewer"),
        ],
    )
    shown = SelectField(
        "Status",
        default="",
        choices=[SelectChoice("", "Any status")]
        + [SelectChoice(shown.value, shown.label) for shown in Shown],
        invalid_choice_message="Choose a status from the list",
    )
