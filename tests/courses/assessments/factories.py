"""Factories for assessments: questions in a course's bank, quizzes and assignments.

question = make_question(course, "First?", [("Initiation", True), ("Closure", False)])
quiz = make_quiz(course, [question, ...], pass_mark_percent=50)
brief = make_assignment(course, title="PID assignment", due_days_after_last_session=14)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from courses.assessments.models import (
    Assessment,
    AssessmentKind,
    Question,
    QuestionOption,
    QuestionType,
    QuizItem,
)
from courses.models import Course
from lms.core.extensions import db


@pytest.fixture
def make_question(app) -> Callable[..., Question]:
    """`make_question(course, text, [(option, correct), ...], type=None, points=1,
    category="", feedback="")`: a bank question, saved. Without options: True/False with
    True correct. The type follows from the options unless given: several correct ones
    make it multiple choice."""

    def make(
        course: Course,
        text: str = "Is a project temporary?",
        options: Iterable[tuple[str, bool]] | None = None,
        *,
        type: QuestionType | None = None,  # the model's name
        **fields,
    ) -> Question:
        if options is None:
            options = [("True", True), ("False", False)]
            type = type or QuestionType.TRUE_FALSE
        options = list(options)
        if type is None:
            correct = sum(1 for _, right in options if right)
            type = QuestionType.MULTIPLE if correct > 1 else QuestionType.SINGLE
        question = Question(course=course, type=type, text=text, **fields)
        question.options = [
            QuestionOption(text=option, correct=right, position=position)
            for position, (option, right) in enumerate(options)
        ]
        db.session.add(question)
        db.session.flush()
        question.family_id = question.id
        db.session.commit()
        return question

    return make


@pytest.fixture
def make_quiz(app) -> Callable[..., Assessment]:
    """`make_quiz(course, questions, draws=[(category, n)], **fields)`: a quiz whose items
    are the questions in order, then the draws; required, pass mark 80% unless given."""

    def make(
        course: Course,
        questions: Iterable[Question] = (),
        *,
        draws: Iterable[tuple[str, int]] = (),
        **fields,
    ) -> Assessment:
        fields.setdefault("title", "PM basics")
        quiz = Assessment(course=course, kind=AssessmentKind.QUIZ, **fields)
        items = [QuizItem(question=question) for question in questions]
        items += [QuizItem(draw_category=category, draw_count=n) for category, n in draws]
        for position, item in enumerate(items):
            item.position = position
        quiz.items = items
        db.session.add(quiz)
        db.session.commit()
        return quiz

    return make


@pytest.fixture
def make_assignment(app) -> Callable[..., Assessment]:
    """`make_assignment(course, **fields)`: a required assignment with a brief."""

    def make(course: Course, **fields) -> Assessment:
        fields.setdefault("title", "PID assignment")
        fields.setdefault("instructions", "Submit your project initiation document.")
        assignment = Assessment(course=course, kind=AssessmentKind.ASSIGNMENT, **fields)
        db.session.add(assignment)
        db.session.commit()
        return assignment

    return make
