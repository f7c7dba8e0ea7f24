"""Forms for enrolment: a line manager's decision on a request."""

from __future__ import annotations

from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from lms.web.forms import Form


class DecisionForm(Form):
    decision = RadioField(
        "Your decision",
        choices=[SelectChoice("approve", "Approve"), SelectChoice("reject", "Reject")],
        validators=[InputRequired("Choose approve or reject")],
        invalid_choice_message="Choose approve or reject",
    )
    reason = TextAreaField(
        "Reason (needed if you reject)",
        validators=[Length(max=500, message="Reason must be 500 characters or fewer")],
    )
