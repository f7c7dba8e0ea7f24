"""Forms for taking a quiz.

An attempt's page has one field per question, named by the question's id (`q_12`), so an
answer always means the same question whatever order the page showed. A field holds the
option ids chosen (radios send one, checkboxes any number). The form checks only that
each value is an id; which questions and options belong to the attempt, and how many may
be chosen, is the attempts service's rule (`save_answers`), so a tampered answer is
refused there, whole, for the page and the browser's background save alike. An answer
naming a question the page did not show is passed on too, for the service to refuse.
"""

from __future__ import annotations

import re

from flask import request
from wtforms import SelectMultipleField

from courses.assessments.attempts import answer_field
from courses.assessments.models import AttemptQuestion
from lms.web.forms import Form

_ANSWER = re.compile(r"q_([0-9]{1,18})")


class StartAttemptForm(Form):
    """The "Start attempt" / "Resume attempt" button: CSRF only."""


class AnswerField(SelectMultipleField):
    """The option ids chosen for one question, in any number; the service checks them."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", int)
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        try:
            self.data = [self.coerce(value) for value in valuelist]
        except (TypeError, ValueError):
            self.data = []
            raise ValueError(self.gettext("Choose one of the options given")) from None


class AnswersForm(Form):
    """Built by `answers_form`, which adds an AnswerField for each of the attempt's
    questions."""

    questions: list[AttemptQuestion]
    sent_names: tuple[str, ...] = ()  # the names of the fields the request sent

    def field_for(self, aq: AttemptQuestion) -> AnswerField:
        return self[answer_field(aq.question_id)]

    def answers(self) -> dict[int, list[int]]:
        """{question id: [option ids]} for every question of the page (an empty list for
        none chosen), and for any other question the request named."""
        answers = {aq.question_id: list(self.field_for(aq).data or []) for aq in self.questions}
        for name in self.sent_names:
            match = _ANSWER.fullmatch(name)
            if match and int(match[1]) not in answers:
                answers[int(match[1])] = []
        return answers


def answers_form(questions: list[AttemptQuestion], *, submitted: bool) -> AnswersForm:
    """The attempt's answers: as posted, or as saved."""

    class Form(AnswersForm):
        pass

    data = {}
    for aq in questions:
        name = answer_field(aq.question_id)
        setattr(Form, name, AnswerField(f"Question {aq.position}"))
        data[name] = list(aq.selected or [])
    form = Form() if submitted else Form(formdata=None, data=data)
    form.questions = questions
    if submitted:
        form.sent_names = tuple(request.form.keys())
    return form
