"""Forms for assignments: a learner's submission, and a trainer's mark.

The submission form checks the file as it is sent (`uploads.check_upload`: type by
content, size, a safe name) and hands the view an `Upload`; whether the learner may
submit at all, and that they sent something, the submissions service decides.
"""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import RadioField, SelectChoice, TextAreaField, ValidationError
from wtforms.validators import DataRequired, Length

from courses.assessments import uploads
from courses.assessments.models import SubmissionStatus
from courses.assessments.submissions import FEEDBACK_LENGTH, TEXT_LENGTH
from courses.assessments.uploads import Upload
from lms.web.forms import Form


class SubmissionForm(Form):
    text = TextAreaField(
        "Your submission",
        description="Write it here, upload it as a file below, or both.",
        validators=[
            Length(
                max=TEXT_LENGTH,
                message=f"Your submission must be {TEXT_LENGTH:,} characters or fewer. "
                "Upload a longer one as a file",
            )
        ],
    )
    file = FileField(
        "Upload a file (optional)",
        description="A PDF, Word (DOCX), Excel (XLSX) or PowerPoint (PPTX) file, "
        "smaller than 10 MB.",
    )

    upload: Upload | None = None

    def __init__(self, *args, max_bytes: int = uploads.DEFAULT_MAX_BYTES, **kwargs):
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.file.description = (
            "A PDF, Word (DOCX), Excel (XLSX) or PowerPoint (PPTX) file, smaller than "
            f"{uploads.size_words(max_bytes)}."
        )

    def validate_file(self, field) -> None:
        self.upload = None
        if field.data is None:
            return
        try:
            self.upload = uploads.check_upload(field.data, self.max_bytes)
        except uploads.UploadRefused as refused:
            raise ValidationError(str(refused)) from None


class MarkForm(Form):
    outcome = RadioField(
        "Outcome",
        choices=[
            SelectChoice(SubmissionStatus.PASSED.value, "Pass"),
            SelectChoice(SubmissionStatus.REFERRED.value, "Refer"),
        ],
        invalid_choice_message="Choose pass or refer",
    )
    feedback = TextAreaField(
        "Feedback for the learner",
        description="Say what was done well and, if you refer it, what to change.",
        validators=[
            DataRequired("Enter your feedback for the learner"),
            Length(
                max=FEEDBACK_LENGTH,
                message=f"Your feedback must be {FEEDBACK_LENGTH:,} characters or fewer",
            ),
        ],
    )
