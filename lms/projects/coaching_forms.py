"""The coaching log's forms: a session, and the buttons that confirm, add to CPD or delete.

The rules a session must meet are the service's (`lms.projects.coaching.session_problems`);
the form only turns what was typed into values (a date, a whole number of minutes).
"""

from __future__ import annotations

from wtforms import DateField, StringField, TextAreaField
from wtforms.validators import Optional, ValidationError

from lms.projects.coaching import SessionDetails, parse_minutes
from lms.web.forms import DATE_FORMATS, Form, SensibleDate


class SessionForm(Form):
    held_on = DateField(
        "Date of the session",
        description="For example, 2026-04-01",
        format=DATE_FORMATS,
        invalid_value_message="Enter the date of the session as a real date, like 2026-04-01",
        validators=[Optional(), SensibleDate()],
    )
    minutes = StringField(
        "Length in minutes", description="For example, 45 or 90 (up to 600 minutes)"
    )
    topic = StringField("Topic", description="For example, planning the first stage")
    actions = TextAreaField(
        "Agreed actions (optional)",
        description="What the coachee agreed to do before you next meet. The coachee sees these.",
    )
    notes = TextAreaField(
        "Private notes (optional)",
        description="Only you and the coachee can read these: nobody else, not even the PMO's "
        "administrators.",
    )

    def validate_minutes(self, field) -> None:
        if field.data and parse_minutes(field.data) is None:
            raise ValidationError("Enter the length as a whole number of minutes, like 45")

    def details(self) -> SessionDetails:
        return SessionDetails(
            held_on=self.held_on.data,
            minutes=parse_minutes(self.minutes.data) if self.minutes.data else None,
            topic=self.topic.data or "",
            actions=self.actions.data or "",
            notes=self.notes.data or "",
        )

    def fill_from(self, session) -> None:
        self.held_on.data = session.held_on
        self.minutes.data = str(session.minutes)
        self.topic.data = session.topic
        self.actions.data = session.actions
        self.notes.data = session.notes


class ButtonForm(Form):
    """Only a CSRF token: confirming, adding to CPD and deleting are POSTs of a button."""
