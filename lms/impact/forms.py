"""The evaluation forms: the course survey, rating confidence, a follow-up, and the
admins' questions and course settings.

The survey and the confidence form have one field per question or learning outcome, so
they are built for the page (`reaction_form`, `confidence_form`). The rules are the
services'; the forms turn what was sent into values and say plainly what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp, ValidationError

from lms.impact import questions as question_sets
from lms.impact.confidence import field_name
from lms.impact.follow_ups import APPLIED_LENGTH
from lms.impact.models import ProjectSince, QuestionKind, ReactionQuestion
from lms.impact.reaction import TEXT_LENGTH
from lms.web.forms import Form

AGREEMENT = [
    SelectChoice("1", "Strongly disagree"),
    SelectChoice("2", "Disagree"),
    SelectChoice("3", "Neither agree nor disagree"),
    SelectChoice("4", "Agree"),
    SelectChoice("5", "Strongly agree"),
]
CONFIDENCE = [
    SelectChoice("1", "Not at all confident"),
    SelectChoice("2", "Slightly confident"),
    SelectChoice("3", "Fairly confident"),
    SelectChoice("4", "Very confident"),
    SelectChoice("5", "Completely confident"),
]
AGREEMENT_WORDS = {int(choice.value): choice.label for choice in AGREEMENT}
CONFIDENCE_WORDS = {int(choice.value): choice.label for choice in CONFIDENCE}


# --- the course survey ---------------------------------------------------------------------


class ReactionForm(Form):
    """Built by `reaction_form`: one field per question, named by the question's key."""

    questions: list[ReactionQuestion]

    def fields_in_order(self):
        return [self[question_sets.key(question)] for question in self.questions]

    def answers(self) -> dict[str, int | str | None]:
        found: dict[str, int | str | None] = {}
        for question in self.questions:
            name = question_sets.key(question)
            value = self[name].data
            if question.kind == QuestionKind.SCALE:
                found[name] = int(value) if value and str(value).isdigit() else None
            else:
                found[name] = value or None
        return found

    def shown_other_questions(self, sent_names) -> bool:
        """The page was sent with answers to questions the survey no longer asks."""
        mine = {question_sets.key(question) for question in self.questions}
        return any(
            name[:1] in "qd" and name[1:].isdigit() and name not in mine for name in sent_names
        )


def reaction_form(
    asked: Sequence[ReactionQuestion], saved: Mapping[str, int | str], *, submitted: bool
) -> ReactionForm:
    """The survey for these questions: as sent, or filled with the learner's saved answers."""

    class Survey(ReactionForm):
        pass

    for question in asked:
        name = question_sets.key(question)
        if question.kind == QuestionKind.SCALE:
            message = f"Choose how much you agree: {question.text}"
            field = RadioField(
                question.text,
                choices=AGREEMENT,
                validators=[InputRequired(message)],
                invalid_choice_message=message,
            )
        else:
            field = TextAreaField(
                f"{question.text} (optional)",
                validators=[
                    Optional(),
                    Length(
                        max=TEXT_LENGTH,
                        message=f"Your answer must be {TEXT_LENGTH:,} characters or fewer",
                    ),
                ],
            )
        setattr(Survey, name, field)
    data = {name: str(value) for name, value in saved.items()}
    form = Survey() if submitted else Survey(formdata=None, data=data)
    form.questions = list(asked)
    return form


# --- confidence ----------------------------------------------------------------------------


class ConfidenceForm(Form):
    """Built by `confidence_form`: one field per learning outcome (`outcome_<position>`)."""

    outcomes: list[tuple[int, str]]

    def fields_in_order(self):
        return [self[field_name(index)] for index, _ in self.outcomes]

    def scores(self) -> dict[int, int | None]:
        found: dict[int, int | None] = {}
        for index, _ in self.outcomes:
            value = self[field_name(index)].data
            found[index] = int(value) if value and str(value).isdigit() else None
        return found


def confidence_form(
    outcomes: Sequence[tuple[int, str]], saved: Mapping[int, int], *, submitted: bool
) -> ConfidenceForm:
    class Rating(ConfidenceForm):
        pass

    for index, words in outcomes:
        message = f"Choose how confident you are: {words}"
        setattr(
            Rating,
            field_name(index),
            RadioField(
                words,
                choices=CONFIDENCE,
                validators=[InputRequired(message)],
                invalid_choice_message=message,
            ),
        )
    data = {field_name(index): str(score) for index, score in saved.items()}
    form = Rating() if submitted else Rating(formdata=None, data=data)
    form.outcomes = list(outcomes)
    return form


# --- a follow-up ---------------------------------------------------------------------------


class FollowUpForm(Form):
    project_since = RadioField(
        "Have you led or worked on a project since the course?",
        choices=[SelectChoice(choice.value, choice.label) for choice in ProjectSince],
        validators=[
            InputRequired("Say whether you have led or worked on a project since the course")
        ],
        invalid_choice_message="Say whether you have led or worked on a project since the course",
    )
    applied = TextAreaField(
        "What did you apply from the course?",
        description=(
            "For example, a tool, a technique or a way of working, and how it helped. "
            "Needed if you have led or worked on a project."
        ),
        validators=[
            Length(
                max=APPLIED_LENGTH,
                message=f"Say what you applied in {APPLIED_LENGTH:,} characters or fewer",
            )
        ],
    )

    def validate_applied(self, field) -> None:
        led_or_worked = self.project_since.data in (ProjectSince.LED, ProjectSince.WORKED_ON)
        if led_or_worked and not (field.data or "").strip():
            raise ValidationError("Say what you applied from the course on the project")

    def fill_from(self, follow_up) -> None:
        self.project_since.data = follow_up.project_since.value if follow_up.project_since else None
        self.applied.data = follow_up.applied or ""


# --- the admins' forms ---------------------------------------------------------------------

QUESTION_KEY = Regexp(r"^[qd][0-9]{1,9}$", message="That question could not be found")


class QuestionForm(Form):
    """Adding a question (prefix "add"), or changing one (prefix "change"; `question`
    names it)."""

    question = HiddenField(validators=[Optional(), QUESTION_KEY])
    text = StringField(
        "Question",
        description=(
            "For a question to agree or disagree with, write a statement, for example "
            "“The trainer explained things clearly”."
        ),
        validators=[
            InputRequired("Enter the question"),
            Length(
                max=question_sets.TEXT_LENGTH,
                message=f"Enter the question in {question_sets.TEXT_LENGTH} characters or fewer",
            ),
        ],
    )
    kind = RadioField(
        "Kind of answer",
        choices=[SelectChoice(kind.value, kind.label) for kind in QuestionKind],
        default=QuestionKind.SCALE.value,
        validators=[InputRequired("Choose the kind of answer")],
        invalid_choice_message="Choose the kind of answer",
    )


class QuestionButtonForm(Form):
    """Moving a question up or down, or removing it: a button naming the question."""

    question = HiddenField(validators=[InputRequired(), QUESTION_KEY])


YES, NO = "yes", "no"
OWN, DEFAULTS = "own", "defaults"


class SettingsForm(Form):
    anonymous = RadioField(
        "Can the cohort's trainers see who gave each answer to the course survey?",
        choices=[
            SelectChoice(YES, "No, keep the answers anonymous"),
            SelectChoice(NO, "Yes, show each learner's name beside their answers"),
        ],
        validators=[InputRequired("Choose whether the answers are anonymous")],
        invalid_choice_message="Choose whether the answers are anonymous",
        description=(
            "Anonymous answers are shown to trainers only as totals and comments, and only "
            "once at least 3 learners have answered."
        ),
    )
    questions = RadioField(
        "Which questions does the course survey ask?",
        choices=[
            SelectChoice(DEFAULTS, "The default questions"),
            SelectChoice(OWN, "Questions of its own"),
        ],
        validators=[InputRequired("Choose which questions the survey asks")],
        invalid_choice_message="Choose which questions the survey asks",
        description=(
            "A course given questions of its own starts with a copy of the default "
            "questions, which you can then change."
        ),
    )

    def fill_from(self, settings: question_sets.Settings) -> None:
        self.anonymous.data = YES if settings.anonymous else NO
        self.questions.data = OWN if settings.own_questions else DEFAULTS
