"""The survey's questions (lms/impact/questions.py): the defaults (from code until first
needed, then stored once), a course's own, and editing them: an answered question is
versioned, never rewritten."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.core.extensions import db
from lms.impact import questions as question_sets
from lms.impact.models import (
    CourseEvaluation,
    QuestionKind,
    ReactionAnswer,
    ReactionQuestion,
)
from lms.impact.questions import DEFAULT_QUESTIONS, QuestionError, QuestionsRefused
from tests.helpers import count, events

SCALE, TEXT = QuestionKind.SCALE, QuestionKind.TEXT


def words(questions) -> list[str]:
    return [question.text for question in questions]


@pytest.fixture
def answered(make_closed_cohort, make_completion, make_reaction_response, course):
    """A response to the defaults from a learner of a closed cohort of the course."""
    enrolment = make_completion(make_closed_cohort(course))
    return make_reaction_response(enrolment, [4, 5, 3, 2, 1], "More examples")


# --- the defaults ----------------------------------------------------------------------------


def test_the_defaults_are_read_from_code_until_something_needs_them_stored(app, course):
    shown = question_sets.asked(course)
    assert [(q.kind, q.text) for q in shown] == list(DEFAULT_QUESTIONS)
    assert [question_sets.key(q) for q in shown] == [f"d{n}" for n in range(len(shown))]
    assert count(ReactionQuestion) == 0  # reading wrote nothing

    question_sets.ensure_defaults()
    question_sets.ensure_defaults()
    db.session.commit()
    stored = question_sets.asked(course)
    assert count(ReactionQuestion) == len(DEFAULT_QUESTIONS)
    assert [(q.kind, q.text, q.course_id, q.version) for q in stored] == [
        (kind, text, None, 1) for kind, text in DEFAULT_QUESTIONS
    ]
    assert [question_sets.key(q) for q in stored] == [f"q{q.id}" for q in stored]


def test_the_defaults_are_sensible():
    kinds = [kind for kind, _ in DEFAULT_QUESTIONS]
    assert 4 <= kinds.count(SCALE) <= 5 and kinds.count(TEXT) == 1
    assert "The course met its stated learning outcomes" in words(
        question_sets._defaults_from_code()
    )


def test_stored_turns_the_defaults_a_page_showed_into_rows(app, course):
    shown = question_sets.asked(course)
    rows = question_sets.stored(shown)
    assert [q.id for q in rows] == sorted(q.id for q in rows) and None not in rows
    assert words(rows) == words(shown)
    assert question_sets.stored(rows) == rows  # already stored: the same


def test_retiring_every_default_asks_nothing_rather_than_the_code(app, course, admin):
    question_sets.ensure_defaults()
    for question in question_sets.default_questions():
        question_sets.remove_question(question, by=admin)
    db.session.commit()
    assert question_sets.asked(course) == []


# --- a course's own questions ----------------------------------------------------------------


def test_a_course_asks_the_defaults_until_it_is_given_its_own(app, course, admin):
    assert question_sets.settings_of(course.id) == question_sets.Settings(
        anonymous=True, own_questions=False
    )
    question_sets.change_settings(course, anonymous=True, own_questions=True, by=admin)
    db.session.commit()
    own = question_sets.asked(course)
    assert [(q.kind, q.text, q.course_id) for q in own] == [
        (kind, text, course.id) for kind, text in DEFAULT_QUESTIONS
    ]
    # a change to the course's questions leaves the defaults as they were
    question_sets.add_question(course.id, SCALE, "The venue suited the course", by=admin)
    db.session.commit()
    assert words(question_sets.asked(course))[-1] == "The venue suited the course"
    assert len(question_sets.default_questions()) == len(DEFAULT_QUESTIONS)
    # back to the defaults: its own are kept (not asked); again its own: not copied twice
    question_sets.change_settings(course, anonymous=False, own_questions=False, by=admin)
    db.session.commit()
    assert words(question_sets.asked(course)) == [text for _, text in DEFAULT_QUESTIONS]
    question_sets.change_settings(course, anonymous=False, own_questions=True, by=admin)
    db.session.commit()
    assert len(question_sets.asked(course)) == len(DEFAULT_QUESTIONS) + 1
    row = db.session.get(CourseEvaluation, course.id)
    assert (row.anonymous, row.own_questions) == (False, True)
    assert [e.action for e in events("course.evaluation_settings_changed")] == [
        "course.evaluation_settings_changed"
    ] * 3


def test_another_courses_changes_are_not_this_ones(app, make_course, admin):
    mine, theirs = make_course(), make_course()
    question_sets.change_settings(theirs, anonymous=True, own_questions=True, by=admin)
    question_sets.add_question(theirs.id, TEXT, "Anything else?", by=admin)
    db.session.commit()
    assert words(question_sets.asked(mine)) == [text for _, text in DEFAULT_QUESTIONS]


# --- editing ---------------------------------------------------------------------------------


def test_changing_an_unanswered_question_rewrites_it(app, admin):
    question_sets.ensure_defaults()
    first = question_sets.default_questions()[0]
    changed = question_sets.change_question(first, TEXT, "What did you enjoy most?", by=admin)
    db.session.commit()
    assert changed is first
    assert (first.id, first.kind, first.text, first.version, first.retired_at) == (
        first.id,
        TEXT,
        "What did you enjoy most?",
        1,
        None,
    )
    assert count(ReactionQuestion) == len(DEFAULT_QUESTIONS)
    [event] = events("evaluation.question_changed")
    assert event.before["text"] == DEFAULT_QUESTIONS[0][1]


def test_changing_an_answered_question_keeps_it_and_its_answers_and_adds_version_2(answered, admin):
    """Acceptance: a question used in answered surveys is versioned, never rewritten."""
    old = question_sets.default_questions()[1]
    old_text = old.text
    old_answers = db.session.execute(
        select(ReactionAnswer.id, ReactionAnswer.score).where(ReactionAnswer.question_id == old.id)
    ).all()
    assert old_answers  # it has been answered

    new = question_sets.change_question(old, SCALE, "The trainer was clear and helpful", by=admin)
    db.session.commit()
    db.session.expire_all()
    old = db.session.get(ReactionQuestion, old.id)
    assert old.text == old_text and old.version == 1 and old.retired_at is not None
    assert (new.text, new.version, new.replaces_id, new.position, new.course_id) == (
        "The trainer was clear and helpful",
        2,
        old.id,
        old.position,
        None,
    )
    assert new.retired_at is None
    # the answers still point at the words they answered
    assert (
        db.session.execute(
            select(ReactionAnswer.id, ReactionAnswer.score).where(
                ReactionAnswer.question_id == old.id
            )
        ).all()
        == old_answers
    )
    # the new version is asked in the old one's place
    asked = question_sets.default_questions()
    assert asked[1].id == new.id and old.id not in [q.id for q in asked]
    [event] = events("evaluation.question_versioned")
    assert event.after["replaces_id"] == old.id

    # changing version 2 (unanswered) rewrites version 2, not the first
    again = question_sets.change_question(new, SCALE, "The trainer was clear", by=admin)
    assert again.id == new.id and again.version == 2
    assert db.session.get(ReactionQuestion, old.id).text == old_text


def test_changing_nothing_changes_nothing(answered, admin):
    question = question_sets.default_questions()[0]
    same = question_sets.change_question(question, question.kind, question.text, by=admin)
    assert same is question and question.retired_at is None
    assert events("evaluation.question_versioned") == []


def test_removing_an_answered_question_retires_it_and_an_unanswered_one_goes(answered, admin):
    answered_one = question_sets.default_questions()[0]
    assert question_sets.remove_question(answered_one, by=admin) is True
    unanswered = question_sets.add_question(None, TEXT, "Anything else?", by=admin)
    db.session.commit()
    assert question_sets.remove_question(unanswered, by=admin) is False
    db.session.commit()
    assert db.session.get(ReactionQuestion, unanswered.id) is None
    assert db.session.get(ReactionQuestion, answered_one.id).retired_at is not None
    assert count(ReactionAnswer, ReactionAnswer.question_id == answered_one.id) == 1
    assert answered_one.id not in [q.id for q in question_sets.default_questions()]
    with pytest.raises(QuestionError, match="retired already"):
        question_sets.remove_question(answered_one, by=admin)
    with pytest.raises(QuestionError, match="cannot be changed"):
        question_sets.change_question(answered_one, SCALE, "New words", by=admin)


def test_moving_a_question_up_and_down(app, admin):
    question_sets.ensure_defaults()
    first, second, *_ = question_sets.default_questions()
    question_sets.move_question(second, True, by=admin)
    db.session.commit()
    assert words(question_sets.default_questions())[:2] == [second.text, first.text]
    question_sets.move_question(second, True, by=admin)  # at the top already: nothing moves
    question_sets.move_question(second, False, by=admin)
    db.session.commit()
    now = question_sets.default_questions()
    assert words(now)[:2] == [first.text, second.text]
    assert [q.position for q in now] == list(range(len(now)))
    last = now[-1]
    question_sets.move_question(last, False, by=admin)
    assert question_sets.default_questions()[-1].id == last.id


def test_adding_puts_the_question_last(app, admin):
    added = question_sets.add_question(None, "text", "  Anything   else? ", by=admin)
    db.session.commit()
    asked = question_sets.default_questions()
    assert asked[-1].id == added.id and added.text == "Anything else?"
    assert len(asked) == len(DEFAULT_QUESTIONS) + 1  # the defaults were stored first
    [event] = events("evaluation.question_added")
    assert event.after["text"] == "Anything else?"


def test_a_survey_has_a_limit(app, admin):
    for number in range(question_sets.MOST_QUESTIONS - len(DEFAULT_QUESTIONS)):
        question_sets.add_question(None, SCALE, f"Statement {number}", by=admin)
    with pytest.raises(QuestionError, match="20 questions at most"):
        question_sets.add_question(None, SCALE, "One too many", by=admin)


@pytest.mark.parametrize(
    ("kind", "text", "fields"),
    [
        ("scale", "", ["text"]),
        ("scale", "   ", ["text"]),
        ("scale", "x" * 301, ["text"]),
        ("choice", "Fine words", ["kind"]),
        (None, None, ["kind", "text"]),
    ],
)
def test_a_question_needs_words_and_a_kind(app, admin, kind, text, fields):
    with pytest.raises(QuestionsRefused) as refused:
        question_sets.add_question(None, kind, text, by=admin)
    assert [problem.field for problem in refused.value.problems] == fields


def test_keys_find_questions_of_their_own_set_only(app, admin, make_course):
    course = make_course()
    assert question_sets.find("d2", None).text == DEFAULT_QUESTIONS[2][1]  # stored now
    default = question_sets.default_questions()[0]
    assert question_sets.find(f"q{default.id}", None) is default
    assert question_sets.find(f"q{default.id}", course.id) is None
    assert question_sets.find("d0", course.id) is None
    for nonsense in ("", "q", "x1", "q-1", "q1.5", "d99", "q99999", "q" + "9" * 12):
        assert question_sets.find(nonsense, None) is None, nonsense
    question_sets.remove_question(default, by=admin)
    assert question_sets.find(f"q{default.id}", None) is None
