"""Building assessments: courses/assessments/authoring.py (settings, a quiz's items)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from courses.assessments.authoring import (
    AssessmentDetails,
    AuthoringError,
    add_draw_item,
    add_question_item,
    archive_assessment,
    assessments_to_author,
    create_assessment,
    move_item,
    question_counts,
    remove_item,
    update_assessment,
)
from courses.assessments.models import Assessment, AssessmentKind, QuizItem
from lms.auth.models import Role
from lms.core.extensions import db
from tests.helpers import days, events

QUIZ = AssessmentKind.QUIZ
ASSIGNMENT = AssessmentKind.ASSIGNMENT


@pytest.fixture
def author(make_user):
    return make_user(roles=[Role.ADMIN])


def quiz_details(**changes) -> AssessmentDetails:
    values = {"kind": QUIZ, "title": "PM basics", "instructions": "Answer every question."}
    return AssessmentDetails(**{**values, **changes})


def items_of(quiz: Assessment) -> list[QuizItem]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(QuizItem).where(QuizItem.assessment_id == quiz.id).order_by(QuizItem.position)
        )
    )


# --- settings ------------------------------------------------------------------------------


def test_create_a_quiz(course, author):
    quiz = create_assessment(
        course,
        quiz_details(
            title="  PM basics ",
            required=False,
            opens_after_session=2,
            due_days_after_last_session=14,
            pass_mark_percent=70,
            attempts_allowed=3,
            time_limit_minutes=30,
            shuffle_questions=True,
            shuffle_options=True,
        ),
        by=author,
    )
    db.session.commit()
    assert (quiz.kind, quiz.title, quiz.required) == (QUIZ, "PM basics", False)
    assert (quiz.opens_after_session, quiz.due_days_after_last_session) == (2, 14)
    assert (quiz.pass_mark_percent, quiz.attempts_allowed, quiz.time_limit_minutes) == (70, 3, 30)
    assert quiz.shuffle_questions and quiz.shuffle_options
    (event,) = events("assessment.created")
    assert event.after["title"] == "PM basics"


def test_create_an_assignment_ignores_quiz_settings(course, author):
    assignment = create_assessment(
        course,
        AssessmentDetails(
            kind=ASSIGNMENT,
            title="PID assignment",
            instructions="Submit your project initiation document.",
            due_at=days(30),
            attempts_allowed=2,
            time_limit_minutes=10,
            shuffle_questions=True,
        ),
        by=author,
    )
    assert assignment.instructions == "Submit your project initiation document."
    assert assignment.due_at == days(30)
    assert assignment.attempts_allowed is None
    assert assignment.time_limit_minutes is None
    assert not assignment.shuffle_questions


def test_new_assessments_go_after_the_others(course, author):
    first = create_assessment(course, quiz_details(title="First"), by=author)
    second = create_assessment(course, quiz_details(title="Second"), by=author)
    assert second.position > first.position
    assert assessments_to_author(course) == [first, second]


@pytest.mark.parametrize(
    ("details", "message", "field"),
    [
        (quiz_details(title=" "), "Enter a title", "title"),
        (quiz_details(title="x" * 201), "Title must be 200 characters or fewer", "title"),
        (
            AssessmentDetails(kind=ASSIGNMENT, title="PID", instructions=""),
            "Enter the brief: what the learner must submit",
            "instructions",
        ),
        (
            quiz_details(opens_at=days(1), opens_after_session=1),
            "Choose a date or a session for it to open, not both",
            "opens_after_session",
        ),
        (
            quiz_details(opens_after_session=0),
            "Enter a session number from 1 to 100",
            "opens_after_session",
        ),
        (
            quiz_details(due_at=days(3), due_days_after_last_session=2),
            "Choose a due date or a number of days after the last session, not both",
            "due_days_after_last_session",
        ),
        (
            quiz_details(due_days_after_last_session=-1),
            "Enter a number of days from 0 to 365",
            "due_days_after_last_session",
        ),
        (
            quiz_details(opens_at=days(3), due_at=days(2)),
            "The due date must be after the date it opens",
            "due_date",
        ),
        (
            quiz_details(pass_mark_percent=101),
            "Enter a pass mark from 0 to 100",
            "pass_mark_percent",
        ),
        (
            quiz_details(pass_mark_percent=-1),
            "Enter a pass mark from 0 to 100",
            "pass_mark_percent",
        ),
        (
            quiz_details(attempts_allowed=0),
            "Attempts allowed must be from 1 to 100, or empty for unlimited",
            "attempts_allowed",
        ),
        (
            quiz_details(time_limit_minutes=0),
            "Time limit must be from 1 to 600 minutes, or empty for none",
            "time_limit_minutes",
        ),
        (
            quiz_details(time_limit_minutes=601),
            "Time limit must be from 1 to 600 minutes, or empty for none",
            "time_limit_minutes",
        ),
    ],
)
def test_each_setting_rule_refuses_beside_its_field(course, author, details, message, field):
    with pytest.raises(AuthoringError) as error:
        create_assessment(course, details, by=author)
    assert (str(error.value), error.value.field) == (message, field)
    assert db.session.scalar(select(Assessment)) is None


def test_boundary_settings_are_accepted(course, author):
    quiz = create_assessment(
        course,
        quiz_details(pass_mark_percent=0, attempts_allowed=1, time_limit_minutes=600),
        by=author,
    )
    assert (quiz.pass_mark_percent, quiz.attempts_allowed, quiz.time_limit_minutes) == (0, 1, 600)
    full = create_assessment(course, quiz_details(pass_mark_percent=100), by=author)
    assert full.pass_mark_percent == 100


def test_update_records_only_what_changed(course, author, make_quiz):
    quiz = make_quiz(course, title="PM basics", pass_mark_percent=80)
    update_assessment(quiz, quiz_details(pass_mark_percent=60, instructions=""), by=author)
    db.session.commit()
    assert quiz.pass_mark_percent == 60
    (event,) = events("assessment.updated")
    assert event.before == {"pass_mark_percent": 80}
    assert event.after == {"pass_mark_percent": 60}


def test_update_cannot_change_the_kind(course, author, make_quiz):
    quiz = make_quiz(course)
    with pytest.raises(AuthoringError, match="A quiz cannot become an assignment"):
        update_assessment(
            quiz, AssessmentDetails(kind=ASSIGNMENT, title="X", instructions="Y"), by=author
        )


def test_archive(course, author, make_quiz):
    quiz = make_quiz(course)
    archive_assessment(quiz, by=author)
    db.session.commit()
    assert quiz.archived
    assert events("assessment.archived")[0].after == {"archived": True}
    with pytest.raises(AuthoringError, match="already archived"):
        archive_assessment(quiz, by=author)
    with pytest.raises(AuthoringError, match="archived, so it cannot be changed"):
        update_assessment(quiz, quiz_details(), by=author)


def test_a_due_date_must_be_timezone_aware(course, author):
    naive = (days(3) + timedelta(hours=1)).replace(tzinfo=None)
    with pytest.raises(AuthoringError) as error:
        create_assessment(course, quiz_details(due_at=naive), by=author)
    assert error.value.field == "due_date"


# --- items ---------------------------------------------------------------------------------


def test_add_a_bank_question(course, author, make_quiz, make_question):
    question = make_question(course, "Which first?", [("Initiation", True), ("Closure", False)])
    quiz = make_quiz(course)
    item = add_question_item(quiz, question, by=author)
    db.session.commit()
    assert [(i.id, i.question_id, i.position) for i in items_of(quiz)] == [
        (item.id, question.id, 0)
    ]
    (event,) = events("quiz.item_added")
    assert event.after["question_id"] == question.id


@pytest.mark.parametrize("problem", ["other course", "retired", "twice", "assignment"])
def test_a_question_item_must_be_a_current_question_of_the_course_once(
    course, author, make_course, make_quiz, make_question, make_assignment, problem
):
    question = make_question(course)
    quiz = make_quiz(course, [question])
    if problem == "other course":
        question = make_question(make_course())
    elif problem == "retired":
        question = make_question(course, "Old")
        question.retired = True
        db.session.commit()
    elif problem == "assignment":
        quiz = make_assignment(course)
    with pytest.raises(AuthoringError) as error:
        add_question_item(quiz, question, by=author)
    expected = {
        "other course": "Choose a question from this course's bank",
        "retired": "Choose a question from this course's bank",
        "twice": "This quiz already asks that question",
        "assignment": "Only a quiz has questions",
    }[problem]
    assert str(error.value) == expected
    assert len(items_of(quiz)) == (0 if problem == "assignment" else 1)


def test_add_a_draw(course, author, make_quiz, make_question):
    for n in range(3):
        make_question(course, f"Risk {n}", category="Risk")
    quiz = make_quiz(course)
    item = add_draw_item(quiz, "Risk", 3, by=author)
    db.session.commit()
    assert (item.draw_category, item.draw_count, item.question_id) == ("Risk", 3, None)
    assert question_counts([quiz.id]) == {quiz.id: 3}


@pytest.mark.parametrize(
    ("category", "count", "message", "field"),
    [
        ("", 1, "Choose a category to draw questions from", "category"),
        ("Planning", 1, "Choose a category from this course's bank", "category"),
        ("Risk", 0, "Enter how many questions to draw, 1 or more", "count"),
        ("Risk", 3, "'Risk' has 2 questions to draw from. Enter 2 or fewer", "count"),
    ],
)
def test_a_draw_needs_a_bank_category_with_enough_questions(
    course, author, make_quiz, make_question, make_course, category, count, message, field
):
    make_question(course, "Risk 1", category="Risk")
    make_question(course, "Risk 2", category="Risk")
    retired = make_question(course, "Risk 3", category="Risk")
    retired.retired = True
    make_question(make_course(), "Elsewhere", category="Planning")
    db.session.commit()
    quiz = make_quiz(course)
    with pytest.raises(AuthoringError) as error:
        add_draw_item(quiz, category, count, by=author)
    assert (str(error.value), error.value.field) == (message, field)
    assert items_of(quiz) == []


def test_a_draw_counts_only_questions_the_quiz_does_not_ask_anyway(
    course, author, make_quiz, make_question
):
    asked = make_question(course, "Risk 1", category="Risk")
    make_question(course, "Risk 2", category="Risk")
    quiz = make_quiz(course, [asked])
    with pytest.raises(AuthoringError) as error:
        add_draw_item(quiz, "Risk", 2, by=author)
    assert str(error.value) == (
        "'Risk' has 1 question to draw from besides the 1 this quiz asks anyway. Enter 1 or fewer"
    )
    add_draw_item(quiz, "Risk", 1, by=author)


def test_a_draw_from_a_category_the_quiz_asks_in_full_says_so(
    course, author, make_quiz, make_question
):
    asked = make_question(course, "Risk 1", category="Risk")
    quiz = make_quiz(course, [asked])
    with pytest.raises(AuthoringError) as error:
        add_draw_item(quiz, "Risk", 1, by=author)
    assert (str(error.value), error.value.field) == (
        "This quiz already asks every question in 'Risk': add questions to the category, "
        "or choose another",
        "count",
    )


def test_adding_a_question_that_a_draw_needs_is_refused(course, author, make_quiz, make_question):
    first = make_question(course, "Risk 1", category="Risk")
    make_question(course, "Risk 2", category="Risk")
    quiz = make_quiz(course, draws=[("Risk", 2)], title="Risk quiz")
    with pytest.raises(AuthoringError, match="Quiz 'Risk quiz' draws 2 from 'Risk'"):
        add_question_item(quiz, first, by=author)


def test_remove_an_item_and_the_rest_move_up(course, author, make_quiz, make_question):
    questions = [make_question(course, f"Q{n}") for n in range(3)]
    quiz = make_quiz(course, questions)
    middle = items_of(quiz)[1]
    remove_item(quiz, middle, by=author)
    db.session.commit()
    assert [(i.question_id, i.position) for i in items_of(quiz)] == [
        (questions[0].id, 0),
        (questions[2].id, 1),
    ]
    (event,) = events("quiz.item_removed")
    assert event.before["question_id"] == questions[1].id


def test_an_item_of_another_quiz_cannot_be_removed(course, author, make_quiz, make_question):
    question = make_question(course)
    quiz, other = make_quiz(course, [question]), make_quiz(course, [question], title="Other")
    with pytest.raises(AuthoringError, match="not part of this quiz"):
        remove_item(quiz, items_of(other)[0], by=author)


def test_move_an_item(course, author, make_quiz, make_question):
    a, b, c = (make_question(course, text) for text in "ABC")
    quiz = make_quiz(course, [a, b, c])
    move_item(quiz, items_of(quiz)[2], "up", by=author)
    db.session.commit()
    assert [i.question_id for i in items_of(quiz)] == [a.id, c.id, b.id]
    move_item(quiz, items_of(quiz)[0], "up", by=author)  # already first: nothing moves
    db.session.commit()
    assert [i.question_id for i in items_of(quiz)] == [a.id, c.id, b.id]
