"""Authoring pages: a course's assessments, a quiz's settings and items, the question bank."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from courses.assessments.models import (
    Assessment,
    AssessmentKind,
    Attempt,
    AttemptQuestion,
    Question,
    QuestionType,
    QuizItem,
)
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.core.extensions import db
from tests.helpers import count, events, field_error, text_of


@pytest.fixture
def as_author(course, make_cohort, trainer, login):
    """The course's trainer (teaching one of its cohorts), logged in."""
    make_cohort(course, trainers=[trainer])
    login(trainer)
    return trainer


QUIZ_FORM = {
    "title": "PM basics",
    "instructions": "Answer every question.",
    "required": "y",
    "opens": "session",
    "opens_after_session": "2",
    "due": "days",
    "due_days_after_last_session": "14",
    "pass_mark_percent": "70",
    "attempts_allowed": "",
    "time_limit_minutes": "30",
    "shuffle_questions": "y",
}


def question_form(**changes) -> dict:
    values = {
        "type": "single",
        "text": "Which stage comes first?",
        "points": "1",
        "category": "Lifecycle",
        "feedback": "",
        "option_1_text": "Initiation",
        "option_1_correct": "y",
        "option_2_text": "Closure",
    }
    return {key: value for key, value in {**values, **changes}.items() if value is not None}


# --- the journey ---------------------------------------------------------------------------


def test_an_author_creates_a_quiz_and_adds_items(client, course, as_author, make_question):
    question = make_question(course, "Which first?", [("Initiation", True), ("Closure", False)])
    for n in range(2):
        make_question(course, f"Risk {n}", category="Risk")

    listing = client.get(f"/teach/courses/{course.code}/assessments")
    assert listing.status_code == 200
    assert "This course has no assessments yet" in text_of(listing)

    assert client.get(f"/teach/courses/{course.code}/assessments/new?kind=quiz").status_code == 200
    response = client.post(
        f"/teach/courses/{course.code}/assessments/new?kind=quiz", data=QUIZ_FORM
    )
    assert response.status_code == 302
    quiz = db.session.scalar(select(Assessment))
    assert (quiz.kind, quiz.title, quiz.opens_after_session) == (
        AssessmentKind.QUIZ,
        "PM basics",
        2,
    )
    assert (quiz.pass_mark_percent, quiz.attempts_allowed, quiz.time_limit_minutes) == (
        70,
        None,
        30,
    )
    assert response.location.endswith(f"/teach/assessments/{quiz.id}")

    page = text_of(client.get(f"/teach/assessments/{quiz.id}"))
    assert "This quiz has no questions yet" in page
    assert "Which first?" in page  # offered from the bank
    assert "Risk (2 questions)" in page

    added = client.post(
        f"/teach/assessments/{quiz.id}/questions", data={"question_id": question.id}
    )
    assert added.status_code == 302
    drawn = client.post(
        f"/teach/assessments/{quiz.id}/draws", data={"category": "Risk", "count": "2"}
    )
    assert drawn.status_code == 302

    page = text_of(client.get(f"/teach/assessments/{quiz.id}"))
    assert "Each attempt asks 3 questions" in page
    assert "2 questions drawn at random from 'Risk'" in page
    items = db.session.scalars(select(QuizItem).order_by(QuizItem.position)).all()
    assert [(i.question_id, i.draw_category) for i in items] == [
        (question.id, None),
        (None, "Risk"),
    ]

    listing = text_of(client.get(f"/teach/courses/{course.code}/assessments"))
    assert "PM basics" in listing and "After session 2" in listing

    removed = client.post(f"/teach/assessments/{quiz.id}/items/{items[0].id}/remove")
    assert removed.status_code == 302
    assert count(QuizItem) == 1
    assert [e.action for e in events() if e.action.startswith("quiz.")] == [
        "quiz.item_added",
        "quiz.item_added",
        "quiz.item_removed",
    ]


def test_an_author_creates_an_assignment_with_a_due_date(client, course, as_author):
    response = client.post(
        f"/teach/courses/{course.code}/assessments/new?kind=assignment",
        data={
            "title": "PID assignment",
            "instructions": "Submit your project initiation document.",
            "opens": "now",
            "due": "date",
            "due_date": "2027-03-03",
            "due_time": "17:00",
            # quiz settings sent anyway are not used
            "attempts_allowed": "5",
        },
    )
    assert response.status_code == 302
    assignment = db.session.scalar(select(Assessment))
    assert assignment.kind == AssessmentKind.ASSIGNMENT
    assert assignment.due_at.isoformat() == "2027-03-03T17:00:00+00:00"  # GMT in March
    assert assignment.attempts_allowed is None
    page = text_of(client.get(f"/teach/assessments/{assignment.id}"))
    assert "3 March 2027 at 17:00" in page
    assert "Add question" not in page


def test_an_author_changes_settings_and_archives(client, course, as_author, make_quiz):
    quiz = make_quiz(course, pass_mark_percent=80)
    form = client.get(f"/teach/assessments/{quiz.id}")
    assert 'value="80"' in text_of(form)
    response = client.post(
        f"/teach/assessments/{quiz.id}", data={**QUIZ_FORM, "pass_mark_percent": "50"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert quiz.pass_mark_percent == 50
    assert client.post(f"/teach/assessments/{quiz.id}/archive").status_code == 302
    db.session.expire_all()
    assert quiz.archived
    assert "This assessment is archived" in text_of(client.get(f"/teach/assessments/{quiz.id}"))


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "Enter a title"),
        ({"pass_mark_percent": "120"}, "pass_mark_percent", "Enter a pass mark from 0 to 100"),
        (
            {"pass_mark_percent": "lots"},
            "pass_mark_percent",
            "Enter the pass mark as a whole number, like 3",
        ),
        (
            {"time_limit_minutes": "0"},
            "time_limit_minutes",
            "Time limit must be from 1 to 600 minutes, or empty for none",
        ),
        ({"opens_after_session": ""}, "opens_after_session", "Enter the session number"),
        ({"opens": "date"}, "opens_date", "Enter the date it opens"),
        ({"opens": "sometime"}, "opens", "Choose when it opens"),
        (
            {"opens": "date", "opens_date": "2027-03-28", "opens_time": "01:30"},
            "opens_time",
            "That time does not exist in the UK because the clocks go forward. "
            "Choose a time after 2am",
        ),
    ],
)
def test_bad_settings_are_shown_beside_the_field_and_nothing_is_saved(
    client, course, as_author, changes, field, message
):
    response = client.post(
        f"/teach/courses/{course.code}/assessments/new?kind=quiz", data={**QUIZ_FORM, **changes}
    )
    assert response.status_code == 422
    assert field_error(text_of(response), field) == message
    assert count(Assessment) == 0


def test_an_unknown_kind_is_not_found(client, course, as_author):
    assert client.get(f"/teach/courses/{course.code}/assessments/new?kind=exam").status_code == 404


def test_a_draw_too_big_is_refused_beside_the_count(
    client, course, as_author, make_quiz, make_question
):
    make_question(course, "Risk 1", category="Risk")
    quiz = make_quiz(course)
    response = client.post(
        f"/teach/assessments/{quiz.id}/draws", data={"category": "Risk", "count": "4"}
    )
    assert response.status_code == 422
    assert field_error(text_of(response), "count") == (
        "'Risk' has 1 question to draw from. Enter 1 or fewer"
    )
    assert count(QuizItem) == 0


def test_a_question_of_another_course_cannot_be_added(
    client, course, as_author, make_quiz, make_question, make_course
):
    elsewhere = make_question(make_course())
    quiz = make_quiz(course)
    for value in (str(elsewhere.id), "999999", "nonsense"):
        response = client.post(
            f"/teach/assessments/{quiz.id}/questions", data={"question_id": value}
        )
        assert response.status_code == 422
        assert field_error(text_of(response), "question_id") in (
            "Choose a question from this course's bank",
            "Choose a question from the bank",
        )
    assert count(QuizItem) == 0


def test_an_item_of_another_quiz_is_not_found(client, course, as_author, make_quiz, make_question):
    question = make_question(course)
    mine, other = make_quiz(course), make_quiz(course, [question], title="Other")
    item = other.items[0]
    assert client.post(f"/teach/assessments/{mine.id}/items/{item.id}/remove").status_code == 404
    assert count(QuizItem) == 1


# --- the bank ------------------------------------------------------------------------------


def test_an_author_writes_questions_of_each_type(client, course, as_author):
    assert client.get(f"/teach/courses/{course.code}/questions/new").status_code == 200
    single = client.post(f"/teach/courses/{course.code}/questions/new", data=question_form())
    assert single.status_code == 302
    multiple = client.post(
        f"/teach/courses/{course.code}/questions/new",
        data=question_form(
            type="multiple",
            text="Which are risks?",
            option_2_correct="y",
            option_4_text="Sunshine",  # a gap in the rows is fine
        ),
    )
    assert multiple.status_code == 302
    true_false = client.post(
        f"/teach/courses/{course.code}/questions/new",
        data=question_form(type="true_false", text="Projects end.", true_is_correct="true"),
    )
    assert true_false.status_code == 302
    questions = db.session.scalars(select(Question).order_by(Question.id)).all()
    assert [(q.type, [(o.text, o.correct) for o in q.options]) for q in questions] == [
        (QuestionType.SINGLE, [("Initiation", True), ("Closure", False)]),
        (QuestionType.MULTIPLE, [("Initiation", True), ("Closure", True), ("Sunshine", False)]),
        (QuestionType.TRUE_FALSE, [("True", True), ("False", False)]),
    ]
    bank = text_of(client.get(f"/teach/courses/{course.code}/questions"))
    assert "Which are risks?" in bank and "Projects end." in bank
    filtered = text_of(client.get(f"/teach/courses/{course.code}/questions?category=Lifecycle"))
    assert "Which stage comes first?" in filtered


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"text": ""}, "text", "Enter the question"),
        ({"points": "0"}, "points", "Points must be a whole number from 1 to 100"),
        ({"option_2_text": None}, "option_2_text", "Enter at least 2 options"),
        (
            {"option_2_correct": "y"},
            "option_1_correct",
            "Tick exactly one correct option for a single choice question",
        ),
        ({"option_3_correct": "y"}, "option_3_text", "Enter the text of option 3"),
        (
            {"type": "true_false"},
            "true_is_correct",
            "Choose whether the correct answer is True or False",
        ),
        ({"type": "essay"}, "type", "Choose the type of question"),
        ({"category": "Risk\nPlanning"}, "category", "Enter the category on one line"),
    ],
)
def test_bad_questions_are_shown_beside_the_field_and_nothing_is_saved(
    client, course, as_author, changes, field, message
):
    response = client.post(
        f"/teach/courses/{course.code}/questions/new", data=question_form(**changes)
    )
    assert response.status_code == 422
    assert field_error(text_of(response), field) == message
    assert count(Question) == 0


def test_editing_an_answered_question_warns_and_makes_a_new_version(
    client, course, as_author, make_question, make_quiz, make_cohort, make_enrolment
):
    question = make_question(course, "Which first?", [("Initiation", True), ("Closure", False)])
    quiz = make_quiz(course, [question])
    page = text_of(client.get(f"/teach/questions/{question.id}"))
    assert "Learners have answered this question" not in page
    attempt = Attempt(
        assessment=quiz,
        enrolment=make_enrolment(make_cohort(course)),
        number=1,
        started_at=utcnow(),
        pass_mark_percent=80,
    )
    attempt.questions = [
        AttemptQuestion(question=question, position=0, option_order=[], selected=[])
    ]
    db.session.add(attempt)
    db.session.commit()

    page = text_of(client.get(f"/teach/questions/{question.id}"))
    assert "Saving your changes will create version 2" in page
    response = client.post(
        f"/teach/questions/{question.id}",
        data=question_form(text="Which stage is first?", option_1_text="Start"),
    )
    assert response.status_code == 302
    new = db.session.scalar(select(Question).where(Question.version == 2))
    assert response.location.endswith(f"/teach/questions/{new.id}")
    db.session.expire_all()
    assert db.session.get(Question, question.id).retired
    assert db.session.get(Question, question.id).text == "Which first?"
    assert db.session.scalar(select(QuizItem.question_id)) == new.id
    old_page = text_of(client.get(f"/teach/questions/{question.id}"))
    assert "Change the current version (version 2)" in old_page


def test_retiring_a_question_in_a_quiz_is_refused_with_a_message(
    client, course, as_author, make_question, make_quiz
):
    question = make_question(course)
    make_quiz(course, [question], title="PM basics")
    response = client.post(f"/teach/questions/{question.id}/retire", follow_redirects=True)
    assert "This question is in 1 quiz: 'PM basics'" in text_of(response)
    db.session.expire_all()
    assert not db.session.get(Question, question.id).retired


# --- who may ---------------------------------------------------------------------------------


def author_urls(course, quiz, question, item) -> list[tuple[str, str]]:
    code = course.code
    return [
        ("get", f"/teach/courses/{code}/assessments"),
        ("get", f"/teach/courses/{code}/assessments/new?kind=quiz"),
        ("post", f"/teach/courses/{code}/assessments/new?kind=quiz"),
        ("get", f"/teach/assessments/{quiz.id}"),
        ("post", f"/teach/assessments/{quiz.id}"),
        ("post", f"/teach/assessments/{quiz.id}/questions"),
        ("post", f"/teach/assessments/{quiz.id}/draws"),
        ("post", f"/teach/assessments/{quiz.id}/items/{item.id}/remove"),
        ("post", f"/teach/assessments/{quiz.id}/items/{item.id}/move"),
        ("post", f"/teach/assessments/{quiz.id}/archive"),
        ("get", f"/teach/courses/{code}/questions"),
        ("get", f"/teach/courses/{code}/questions/new"),
        ("post", f"/teach/courses/{code}/questions/new"),
        ("get", f"/teach/questions/{question.id}"),
        ("post", f"/teach/questions/{question.id}"),
        ("post", f"/teach/questions/{question.id}/retire"),
    ]


@pytest.mark.parametrize("who", ["learner", "other course's trainer", "former trainer"])
def test_everyone_but_authors_gets_not_found(
    client, course, make_course, make_cohort, make_enrolment, make_user, make_question,
    make_quiz, login, who,
):  # fmt: skip
    question = make_question(course)
    quiz = make_quiz(course, [question])
    item = quiz.items[0]
    if who == "learner":
        visitor = make_user()
        make_enrolment(make_cohort(course), visitor)
    elif who == "other course's trainer":
        visitor = make_user(roles=[Role.TRAINER])
        make_cohort(make_course(), trainers=[visitor])
    else:
        visitor = make_user(roles=[Role.TRAINER])
        make_cohort(course, trainers=[visitor])
        visitor.role_grants = []
        db.session.commit()
    login(visitor)
    for method, url in author_urls(course, quiz, question, item):
        response = getattr(client, method)(url, data={"direction": "up"})
        assert response.status_code == 404, (method, url)
    db.session.expire_all()
    assert not quiz.archived
    assert count(QuizItem) == 1
    assert not db.session.get(Question, question.id).retired


def test_an_admin_authors_any_course(client, course, as_admin):
    assert client.get(f"/teach/courses/{course.code}/assessments").status_code == 200
    assert client.get(f"/teach/courses/{course.code}/questions").status_code == 200


def test_an_unknown_course_is_not_found(client, as_admin):
    assert client.get("/teach/courses/NOPE/assessments").status_code == 404


# --- statements ------------------------------------------------------------------------------


def test_the_bank_page_costs_the_same_for_2_questions_as_for_20(
    client, course, as_author, make_question, make_quiz, count_queries
):
    def statements(n: int) -> int:
        questions = [
            make_question(course, f"Question {count(Question) + i}", category=f"C{i % 3}")
            for i in range(n - count(Question))
        ]
        make_quiz(course, questions[:2])
        with count_queries() as counter:
            assert client.get(f"/teach/courses/{course.code}/questions").status_code == 200
        return counter.count

    assert statements(2) == statements(20)


def test_the_quiz_page_costs_the_same_for_2_items_as_for_20(
    client, course, as_author, make_question, make_quiz, count_queries
):
    def statements(n: int) -> int:
        questions = [make_question(course, f"Q{n}-{i}", category=f"C{i % 3}") for i in range(n)]
        quiz = make_quiz(course, questions[:-1], draws=[("C0", 1)])
        with count_queries() as counter:
            assert client.get(f"/teach/assessments/{quiz.id}").status_code == 200
        return counter.count

    assert statements(2) == statements(20)


def test_the_assessments_list_costs_the_same_for_2_as_for_20(
    client, course, as_author, make_quiz, make_assignment, count_queries
):
    def statements(n: int) -> int:
        for i in range(n - count(Assessment)):
            (make_quiz if i % 2 else make_assignment)(course, title=f"A{i}")
        with count_queries() as counter:
            assert client.get(f"/teach/courses/{course.code}/assessments").status_code == 200
        return counter.count

    assert statements(2) == statements(20)
