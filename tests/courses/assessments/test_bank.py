"""The question bank: courses/assessments/bank.py (rules for each type, versions, retiring)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from courses.assessments.bank import (
    QuestionDetails,
    QuestionError,
    bank_categories,
    bank_questions,
    create_question,
    retire_question,
    update_question,
)
from courses.assessments.models import (
    Attempt,
    AttemptQuestion,
    Question,
    QuestionType,
    QuizItem,
)
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.core.extensions import db
from tests.helpers import events

SINGLE = QuestionType.SINGLE
MULTIPLE = QuestionType.MULTIPLE
TRUE_FALSE = QuestionType.TRUE_FALSE


@pytest.fixture
def author(make_user):
    return make_user(roles=[Role.ADMIN])


def single(**changes) -> QuestionDetails:
    values = {
        "type": SINGLE,
        "text": "Which stage comes first?",
        "points": 2,
        "category": "Lifecycle",
        "feedback": "Initiation starts every project.",
        "options": [
            ("Initiation", True, "Yes."),
            ("Closure", False, "That is the end."),
            ("", False, ""),  # a blank row, ignored
        ],
    }
    return QuestionDetails(**{**values, **changes})


def refused(error: pytest.ExceptionInfo) -> tuple[str, str | None]:
    return str(error.value), error.value.field


# --- creating ----------------------------------------------------------------------------


def test_a_new_question_is_the_first_version_of_its_own_family(course, author):
    question = create_question(course, single(), by=author)
    db.session.commit()
    assert question.family_id == question.id
    assert question.version == 1
    assert not question.retired
    assert [(o.text, o.correct, o.feedback) for o in question.options] == [
        ("Initiation", True, "Yes."),
        ("Closure", False, "That is the end."),
    ]
    assert [o.position for o in question.options] == [0, 1]
    (event,) = events("question.created")
    assert event.after["text"] == "Which stage comes first?"
    assert event.entity_id == str(question.id)


def test_true_or_false_always_has_the_options_true_and_false(course, author):
    question = create_question(
        course,
        QuestionDetails(
            type=TRUE_FALSE,
            text="A project is temporary.",
            options=[("Maybe", True, "")],  # ignored for true or false
            true_is_correct=False,
        ),
        by=author,
    )
    assert [(o.text, o.correct) for o in question.options] == [("True", False), ("False", True)]


@pytest.mark.parametrize(
    ("details", "message", "field"),
    [
        (single(text="  "), "Enter the question", "text"),
        (single(points=0), "Points must be a whole number from 1 to 100", "points"),
        (single(points=101), "Points must be a whole number from 1 to 100", "points"),
        (single(category="x" * 101), "Category must be 100 characters or fewer", "category"),
        (
            single(options=[("Only one", True, "")]),
            "Enter at least 2 options",
            "option_2_text",
        ),
        (
            single(options=[("A", True, ""), ("B", True, "")]),
            "Tick exactly one correct option for a single choice question",
            "option_1_correct",
        ),
        (
            single(options=[("A", False, ""), ("B", False, "")]),
            "Tick exactly one correct option for a single choice question",
            "option_1_correct",
        ),
        (
            single(type=MULTIPLE, options=[("A", False, ""), ("B", False, "")]),
            "Tick at least one correct option for a multiple choice question",
            "option_1_correct",
        ),
        (
            single(options=[("A", True, ""), ("", True, ""), ("B", False, "")]),
            "Enter the text of option 2",
            "option_2_text",
        ),
        (
            single(options=[("Risk", True, ""), ("risk ", False, "")]),
            "Option 2 is the same as another option. Give each option different text",
            "option_2_text",
        ),
        (
            single(type=TRUE_FALSE, options=[]),
            "Choose whether the correct answer is True or False",
            "true_is_correct",
        ),
    ],
)
def test_each_rule_refuses_with_a_plain_message_beside_its_field(
    course, author, details, message, field
):
    with pytest.raises(QuestionError) as error:
        create_question(course, details, by=author)
    assert refused(error) == (message, field)


def test_multiple_choice_may_have_several_correct_options(course, author):
    question = create_question(
        course,
        single(type=MULTIPLE, options=[("A", True, ""), ("B", True, ""), ("C", False, "")]),
        by=author,
    )
    assert [o.correct for o in question.options] == [True, True, False]


def test_text_is_tidied(course, author):
    question = create_question(
        course, single(text="  Which?\r\n  ", category="  Life \n cycle "), by=author
    )
    assert question.text == "Which?"
    assert question.category == "Life cycle"


# --- changing ----------------------------------------------------------------------------


def start_attempt(quiz, question, make_cohort, make_enrolment) -> AttemptQuestion:
    """An attempt (not submitted) that asked `question`."""
    enrolment = make_enrolment(make_cohort(quiz.course))
    attempt = Attempt(
        assessment=quiz,
        enrolment=enrolment,
        number=1,
        started_at=utcnow(),
        pass_mark_percent=quiz.pass_mark_percent,
    )
    asked = AttemptQuestion(
        question=question,
        position=0,
        option_order=[o.id for o in question.options],
        selected=[question.options[0].id],
    )
    attempt.questions = [asked]
    db.session.add(attempt)
    db.session.commit()
    return asked


def test_a_question_no_attempt_has_asked_is_changed_in_place(course, author):
    question = create_question(course, single(), by=author)
    db.session.commit()
    changed = update_question(
        question,
        single(text="Which stage is first?", options=[("Start", False, ""), ("Go", True, "")]),
        by=author,
    )
    db.session.commit()
    assert changed is question
    assert question.version == 1
    assert question.text == "Which stage is first?"
    assert [(o.text, o.correct) for o in question.options] == [("Start", False), ("Go", True)]
    assert db.session.scalar(select(Question).where(Question.id != question.id)) is None
    (event,) = events("question.updated")
    assert event.before["text"] == "Which stage comes first?"
    assert event.after["text"] == "Which stage is first?"


def test_a_question_an_attempt_asked_is_never_changed_a_new_version_replaces_it(
    course, author, make_quiz, make_cohort, make_enrolment
):
    question = create_question(course, single(), by=author)
    db.session.commit()
    quiz = make_quiz(course, [question])
    other_quiz = make_quiz(course, [question], title="Refresher")
    asked = start_attempt(quiz, question, make_cohort, make_enrolment)
    old_options = [(o.id, o.text, o.correct) for o in question.options]

    new = update_question(
        question,
        single(
            text="Which stage is first?", points=5, options=[("Go", True, ""), ("X", False, "")]
        ),
        by=author,
    )
    db.session.commit()
    db.session.expire_all()

    old = db.session.get(Question, question.id)
    assert new.id != old.id
    assert (new.family_id, new.version, new.course_id) == (old.id, 2, course.id)
    assert not new.retired
    assert old.retired
    # The old version is exactly as the attempt saw it.
    assert (old.text, old.points) == ("Which stage comes first?", 2)
    assert [(o.id, o.text, o.correct) for o in old.options] == old_options
    asked = db.session.get(AttemptQuestion, asked.id)
    assert asked.question_id == old.id
    assert asked.selected == [old_options[0][0]]
    # Every quiz now asks the new version.
    items = db.session.scalars(
        select(QuizItem).where(QuizItem.assessment_id.in_([quiz.id, other_quiz.id]))
    ).all()
    assert {item.question_id for item in items} == {new.id}
    # The bank shows only the new version.
    assert list(db.session.scalars(bank_questions(course))) == [new]
    (event,) = events("question.updated")
    assert event.entity_id == str(new.id)
    assert event.after["version"] == 2
    assert event.after["replaces_question_id"] == old.id


def test_a_replaced_version_cannot_be_changed(
    course, author, make_quiz, make_cohort, make_enrolment
):
    question = create_question(course, single(), by=author)
    db.session.commit()
    start_attempt(make_quiz(course, [question]), question, make_cohort, make_enrolment)
    update_question(question, single(text="Second"), by=author)
    db.session.commit()
    with pytest.raises(QuestionError, match="has been replaced or retired"):
        update_question(question, single(text="Third"), by=author)


def test_a_second_change_after_more_attempts_makes_version_three(
    course, author, make_quiz, make_cohort, make_enrolment
):
    question = create_question(course, single(), by=author)
    db.session.commit()
    quiz = make_quiz(course, [question])
    start_attempt(quiz, question, make_cohort, make_enrolment)
    second = update_question(question, single(text="Second"), by=author)
    db.session.commit()
    start_attempt(quiz, second, make_cohort, make_enrolment)
    third = update_question(second, single(text="Third"), by=author)
    db.session.commit()
    assert (third.family_id, third.version) == (question.id, 3)
    assert [q.text for q in db.session.scalars(bank_questions(course))] == ["Third"]


def test_a_bad_change_to_an_asked_question_leaves_everything_as_it_was(
    course, author, make_quiz, make_cohort, make_enrolment
):
    question = create_question(course, single(), by=author)
    db.session.commit()
    start_attempt(make_quiz(course, [question]), question, make_cohort, make_enrolment)
    with pytest.raises(QuestionError):
        update_question(question, single(options=[("A", True, "")]), by=author)
    assert not question.retired
    assert db.session.scalar(select(Question).where(Question.id != question.id)) is None


# --- retiring ----------------------------------------------------------------------------


def test_retiring_takes_a_question_out_of_the_bank(course, author):
    question = create_question(course, single(), by=author)
    keep = create_question(course, single(text="Another"), by=author)
    db.session.commit()
    retire_question(question, by=author)
    db.session.commit()
    assert list(db.session.scalars(bank_questions(course))) == [keep]
    assert events("question.retired")[0].entity_id == str(question.id)


def test_retiring_a_question_a_quiz_asks_is_refused(course, author, make_quiz):
    question = create_question(course, single(), by=author)
    db.session.commit()
    make_quiz(course, [question], title="PM basics")
    with pytest.raises(QuestionError) as error:
        retire_question(question, by=author)
    assert str(error.value) == (
        "This question is in 1 quiz: 'PM basics'. Remove it from them first, then retire it"
    )
    assert not question.retired


def test_retiring_is_refused_when_a_quiz_could_no_longer_draw_enough(course, author, make_quiz):
    first = create_question(course, single(category="Risk"), by=author)
    create_question(course, single(text="Second", category="Risk"), by=author)
    db.session.commit()
    make_quiz(course, draws=[("Risk", 2)], title="Risk quiz")
    with pytest.raises(QuestionError, match="Quiz 'Risk quiz' draws 2 from 'Risk'"):
        retire_question(first, by=author)


def test_moving_a_question_out_of_a_drawn_category_is_refused(course, author, make_quiz):
    first = create_question(course, single(category="Risk"), by=author)
    db.session.commit()
    make_quiz(course, draws=[("Risk", 1)], title="Risk quiz")
    with pytest.raises(QuestionError) as error:
        update_question(first, single(category="Planning"), by=author)
    assert error.value.field == "category"


# --- reading -------------------------------------------------------------------------------


def test_bank_lists_current_questions_by_category_and_counts_them(course, author, make_course):
    b = create_question(course, single(text="B", category="Risk"), by=author)
    a = create_question(course, single(text="A", category="Planning"), by=author)
    c = create_question(course, single(text="C", category="Risk"), by=author)
    create_question(course, single(text="None", category=""), by=author)
    gone = create_question(course, single(text="Gone", category="Risk"), by=author)
    create_question(make_course(), single(text="Elsewhere", category="Risk"), by=author)
    retire_question(gone, by=author)
    db.session.commit()
    assert [q.text for q in db.session.scalars(bank_questions(course))] == [
        "None",
        "A",
        "B",
        "C",
    ]
    assert list(db.session.scalars(bank_questions(course, "Risk"))) == [b, c]
    assert a in db.session.scalars(bank_questions(course, "Planning")).all()
    assert bank_categories(course) == [("Planning", 1), ("Risk", 2)]
