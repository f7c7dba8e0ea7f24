"""Forms for authoring: an assessment's settings, a quiz's items and a bank question.

Forms check shape (present, a whole number, a real date, one of the choices); the
authoring and bank services check the rules (ranges, not both an opening date and a
session, the correct options of each type of question). Dates and times are UK
wall-clock times; the view turns them into UTC instants.
"""

from __future__ import annotations

import re

from wtforms import (
    BooleanField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from courses.assessments.bank import CATEGORY_LENGTH, OPTION_LENGTH, OPTION_ROWS
from courses.assessments.models import AssessmentKind, QuestionType
from lms.web.forms import Form, optional_date, optional_time


def _whole(label: str, description: str, what: str, *, required: bool = False) -> IntegerField:
    first = InputRequired(f"Enter {what}") if required else Optional()
    return IntegerField(
        label,
        description=description,
        invalid_value_message=f"Enter {what} as a whole number, like 3",
        validators=[first],
    )


OPENS_CHOICES = [
    SelectChoice("now", "As soon as a learner's place is confirmed"),
    SelectChoice("date", "On a date"),
    SelectChoice("session", "After one of the cohort's sessions"),
]
DUE_CHOICES = [
    SelectChoice("none", "No due date"),
    SelectChoice("date", "On a date"),
    SelectChoice("days", "A number of days after the cohort's last session"),
]


class AssessmentForm(Form):
    """An assessment's settings; `kind` leaves out the quiz settings for an assignment
    and calls the instructions its brief."""

    title = StringField(
        "Title",
        validators=[
            InputRequired("Enter a title"),
            Length(max=200, message="Title must be 200 characters or fewer"),
        ],
    )
    instructions = TextAreaField(
        "Instructions (optional)",
        description="What the learner reads before they start.",
        validators=[Optional(), Length(max=20_000, message="Enter 20,000 characters or fewer")],
    )
    required = BooleanField(
        "Required to complete the course",
        description="The learner must pass it before their enrolment can be completed.",
    )
    opens = RadioField(
        "When it opens",
        choices=OPENS_CHOICES,
        default="now",
        validators=[InputRequired("Choose when it opens")],
        invalid_choice_message="Choose when it opens",
    )
    opens_date = optional_date("Date it opens", "it opens")
    opens_time = optional_time("Time it opens", "it opens")
    opens_after_session = _whole(
        "Session number",
        "It opens when this session of the learner's cohort ends, for example 2.",
        "the session number",
    )
    due = RadioField(
        "When it is due",
        choices=DUE_CHOICES,
        default="none",
        validators=[InputRequired("Choose when it is due")],
        invalid_choice_message="Choose when it is due",
    )
    due_date = optional_date("Due date", "it is due")
    due_time = optional_time("Due time", "it is due")
    due_days_after_last_session = _whole(
        "Days after the last session",
        "Due at the end of that day, UK time. 0 means the day of the last session.",
        "the number of days",
    )
    pass_mark_percent = _whole(
        "Pass mark", "A percentage from 0 to 100.", "the pass mark", required=True
    )
    attempts_allowed = _whole(
        "Attempts allowed (optional)",
        "Leave empty to allow as many attempts as the learner wants.",
        "the number of attempts",
    )
    time_limit_minutes = _whole(
        "Time limit (optional)",
        "In minutes, up to 600. Leave empty for no time limit.",
        "the time limit",
    )
    shuffle_questions = BooleanField("Show the questions in a random order for each attempt")
    shuffle_options = BooleanField(
        "Show each question's options in a random order",
        description="True or false questions always show True first.",
    )

    QUIZ_ONLY = (
        "pass_mark_percent",
        "attempts_allowed",
        "time_limit_minutes",
        "shuffle_questions",
        "shuffle_options",
    )

    def __init__(self, *args, kind: AssessmentKind, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind == AssessmentKind.ASSIGNMENT:
            for name in self.QUIZ_ONLY:
                delattr(self, name)
            self.instructions.label.text = "Brief"
            self.instructions.description = (
                "What the learner must submit, for example: submit your project initiation "
                "document."
            )
            self.instructions.validators = [
                *(rule for rule in self.instructions.validators if not isinstance(rule, Optional)),
                InputRequired("Enter the brief: what the learner must submit"),
            ]

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        needs = []
        if self.opens.data == "date":
            needs += [
                (self.opens_date, "Enter the date it opens"),
                (self.opens_time, "Enter the time it opens"),
            ]
        if self.opens.data == "session":
            needs.append((self.opens_after_session, "Enter the session number"))
        if self.due.data == "date":
            needs += [(self.due_date, "Enter the due date"), (self.due_time, "Enter the due time")]
        if self.due.data == "days":
            needs.append((self.due_days_after_last_session, "Enter the number of days"))
        for field, message in needs:
            if field.data is None and not field.errors:
                field.errors = [*field.errors, message]
                valid = False
        return valid


_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII digits only: an Arabic-Indic one is not an id


def _id(value) -> int | None:
    """A question's id as sent, or None for anything that is not one (the view says so)."""
    if isinstance(value, int):
        return value
    text = str(value or "")
    return int(text) if _DIGITS.fullmatch(text) else None


class QuestionItemForm(Form):
    question_id = SelectField(
        "Question",
        coerce=_id,
        validators=[InputRequired("Choose a question from the bank")],
        invalid_choice_message="Choose a question from the bank",
    )


class DrawItemForm(Form):
    category = SelectField(
        "Category",
        validators=[InputRequired("Choose a category to draw questions from")],
        invalid_choice_message="Choose a category from the bank",
    )
    count = _whole(
        "How many questions to draw",
        "Each attempt gets this many questions from the category, chosen at random.",
        "how many questions to draw",
        required=True,
    )


class MoveForm(Form):
    direction = RadioField(
        "Move",
        choices=[SelectChoice("up", "Up"), SelectChoice("down", "Down")],
        validators=[InputRequired("Choose up or down")],
        invalid_choice_message="Choose up or down",
    )


TYPE_CHOICES = [SelectChoice(kind.value, kind.label) for kind in QuestionType]


class QuestionForm(Form):
    """A bank question: its type, wording, points, category, feedback and option rows
    (`option_1_text`, `option_1_correct`, `option_1_feedback`, ...; blank rows are
    ignored). A true or false question uses `true_is_correct` instead of the rows."""

    type = RadioField(
        "Type of question",
        choices=TYPE_CHOICES,
        default=QuestionType.SINGLE.value,
        validators=[InputRequired("Choose the type of question")],
        invalid_choice_message="Choose the type of question",
    )
    text = TextAreaField(
        "Question",
        validators=[
            InputRequired("Enter the question"),
            Length(max=5_000, message="The question must be 5,000 characters or fewer"),
        ],
    )
    points = _whole(
        "Points", "What a correct answer scores, from 1 to 100.", "the points", required=True
    )
    category = StringField(
        "Category (optional)",
        description="For example, Risk. A quiz can draw random questions from a category.",
        validators=[
            Optional(),
            Length(
                max=CATEGORY_LENGTH,
                message=f"Category must be {CATEGORY_LENGTH} characters or fewer",
            ),
        ],
    )
    feedback = TextAreaField(
        "Feedback (optional)",
        description="Shown to the learner after they submit: why the answer is what it is.",
        validators=[Optional(), Length(max=5_000, message="Enter 5,000 characters or fewer")],
    )
    true_is_correct = RadioField(
        "The correct answer is",
        choices=[SelectChoice("true", "True"), SelectChoice("false", "False")],
        validators=[Optional()],
        invalid_choice_message="Choose True or False",
    )

    def option_rows(self) -> list[tuple]:
        """Each option row's (text, correct, feedback) fields, for the template."""
        return [
            (self[f"option_{n}_text"], self[f"option_{n}_correct"], self[f"option_{n}_feedback"])
            for n in range(1, OPTION_ROWS + 1)
        ]

    def options(self) -> list[tuple[str, bool, str]]:
        return [
            (text.data or "", bool(correct.data), feedback.data or "")
            for text, correct, feedback in self.option_rows()
        ]


for _n in range(1, OPTION_ROWS + 1):
    setattr(
        QuestionForm,
        f"option_{_n}_text",
        StringField(
            f"Option {_n} text",
            validators=[
                Optional(),
                Length(
                    max=OPTION_LENGTH,
                    message=f"Option {_n} must be {OPTION_LENGTH} characters or fewer",
                ),
            ],
        ),
    )
    setattr(QuestionForm, f"option_{_n}_correct", BooleanField(f"Option {_n} is correct"))
    setattr(
        QuestionForm,
        f"option_{_n}_feedback",
        StringField(
            f"Feedback for option {_n} (optional)",
            validators=[
                Optional(),
                Length(max=1_000, message="Enter 1,000 characters or fewer"),
            ],
        ),
    )
