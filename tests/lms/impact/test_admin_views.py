"""The admins' survey pages: the default questions (/admin/evaluations/questions) and a
course's settings and questions (/admin/courses/<id>/evaluation). Admins only; each change
its own form; refusals beside their fields (422, nothing saved); an answered question is
versioned, an unanswered one rewritten."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.auth.models import Role
from lms.core.extensions import db
from lms.impact import questions as question_sets
from lms.impact.models import CourseEvaluation, ReactionAnswer, ReactionQuestion
from lms.impact.questions import DEFAULT_QUESTIONS
from tests.helpers import count, events, field_error, sign_in, text_of

DEFAULTS = "/admin/evaluations/questions"


def as_user(app, user):
    client = app.test_client()
    sign_in(client, user.get_id())
    return client


@pytest.fixture
def admin_client(app, admin):
    return as_user(app, admin)


@pytest.fixture
def answered(course, make_closed_cohort, make_completion, make_reaction_response):
    """One response to the defaults (stored by it)."""
    return make_reaction_response(make_completion(make_closed_cohort(course)), [3], "Fine")


def texts() -> list[str]:
    return [question.text for question in question_sets.default_questions()]


@pytest.mark.parametrize("roles", [(), (Role.TRAINER,)])
def test_only_admins(app, make_user, course, roles):
    client = as_user(app, make_user(roles=roles))
    for url in (DEFAULTS, f"/admin/courses/{course.id}/evaluation"):
        assert client.get(url).status_code == 403
        assert client.post(url, data={"action": "add", "add-text": "Hi"}).status_code == 403
    assert count(ReactionQuestion) == 0


def test_the_defaults_page_shows_them_without_storing_them(admin_client, course):
    page = text_of(admin_client.get(DEFAULTS))
    for _, words in DEFAULT_QUESTIONS:
        assert words in page
    assert "Agree or disagree (1 to 5)" in page and "Free text" in page
    assert f"/admin/courses/{course.id}/evaluation" in page  # each course's survey
    assert count(ReactionQuestion) == 0


def test_adding_a_question(admin_client):
    response = admin_client.post(
        DEFAULTS,
        data={"action": "add", "add-text": "The room suited the course", "add-kind": "scale"},
    )
    assert response.status_code == 302 and response.headers["Location"] == DEFAULTS
    assert texts()[-1] == "The room suited the course"
    assert len(texts()) == len(DEFAULT_QUESTIONS) + 1
    assert "The question has been added." in text_of(admin_client.get(DEFAULTS))


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"add-text": "", "add-kind": "scale"}, "add-text", "Enter the question"),
        (
            {"add-text": "x" * 301, "add-kind": "scale"},
            "add-text",
            "Enter the question in 300 characters or fewer",
        ),
        ({"add-text": "Fine words", "add-kind": "choice"}, "add-kind", "Choose the kind of answer"),
        ({"add-text": "Fine words"}, "add-kind", "Choose the kind of answer"),
        (
            {"add-text": "Two\nlines", "add-kind": "text"},
            "add-text",
            "Enter the question on one line",
        ),
    ],
)
def test_a_refused_question_says_why_beside_the_field_and_saves_nothing(
    admin_client, data, field, message
):
    response = admin_client.post(DEFAULTS, data={"action": "add", **data})
    assert response.status_code == 422
    page = text_of(response)
    assert "There is a problem" in page
    assert field_error(page, field) == message
    assert count(ReactionQuestion) == 0  # not even the defaults were stored


def test_changing_an_unanswered_question_rewrites_it(admin_client):
    page = text_of(admin_client.get(f"{DEFAULTS}?change=d1"))
    assert 'id="change"' in page and DEFAULT_QUESTIONS[1][1] in page
    response = admin_client.post(
        DEFAULTS,
        data={
            "action": "change",
            "change-question": "d1",
            "change-text": "The trainer was clear",
            "change-kind": "scale",
        },
    )
    assert response.status_code == 302
    assert texts()[1] == "The trainer was clear"
    assert count(ReactionQuestion) == len(DEFAULT_QUESTIONS)  # rewritten, not added
    assert (
        db.session.scalar(
            select(ReactionQuestion.version).where(ReactionQuestion.text == "The trainer was clear")
        )
        == 1
    )


def test_changing_an_answered_question_adds_version_2_and_keeps_the_first(admin_client, answered):
    old = question_sets.default_questions()[0]
    old_id, old_text = old.id, old.text
    answers_before = count(ReactionAnswer, ReactionAnswer.question_id == old_id)
    response = admin_client.post(
        DEFAULTS,
        data={
            "action": "change",
            "change-question": f"q{old_id}",
            "change-text": "The course did what it said",
            "change-kind": "scale",
        },
    )
    assert response.status_code == 302
    page = text_of(admin_client.get(DEFAULTS))
    assert "its earlier version and its answers are kept" in page
    assert "Version 2" in page
    db.session.expire_all()
    kept = db.session.get(ReactionQuestion, old_id)
    assert kept.text == old_text and kept.retired_at is not None
    assert count(ReactionAnswer, ReactionAnswer.question_id == old_id) == answers_before == 1
    new = question_sets.default_questions()[0]
    assert (new.text, new.version, new.replaces_id) == ("The course did what it said", 2, old_id)


def test_a_change_refused_keeps_the_change_form_open(admin_client, answered):
    question = question_sets.default_questions()[2]
    response = admin_client.post(
        DEFAULTS,
        data={
            "action": "change",
            "change-question": f"q{question.id}",
            "change-text": "",
            "change-kind": "scale",
        },
    )
    assert response.status_code == 422
    page = text_of(response)
    assert field_error(page, "change-text") == "Enter the question"
    assert 'id="change"' in page
    db.session.expire_all()
    assert db.session.get(ReactionQuestion, question.id).text == question.text


def test_removing_and_moving(admin_client, answered):
    first, second, *_ = question_sets.default_questions()
    assert (
        admin_client.post(DEFAULTS, data={"action": "down", "question": f"q{first.id}"}).status_code
        == 302
    )
    assert texts()[:2] == [second.text, first.text]
    assert (
        admin_client.post(DEFAULTS, data={"action": "up", "question": f"q{first.id}"}).status_code
        == 302
    )
    assert texts()[:2] == [first.text, second.text]
    # answered: retired, kept with its answers
    response = admin_client.post(DEFAULTS, data={"action": "remove", "question": f"q{first.id}"})
    assert response.status_code == 302
    assert "it is no longer asked, and its answers are kept" in text_of(admin_client.get(DEFAULTS))
    db.session.expire_all()
    assert db.session.get(ReactionQuestion, first.id).retired_at is not None
    assert first.text not in texts()
    # a question added and removed before anyone answered it: gone
    admin_client.post(DEFAULTS, data={"action": "add", "add-text": "Spare", "add-kind": "text"})
    spare_id = question_sets.default_questions()[-1].id
    admin_client.post(DEFAULTS, data={"action": "remove", "question": f"q{spare_id}"})
    db.session.expire_all()
    assert count(ReactionQuestion, ReactionQuestion.id == spare_id) == 0
    assert [e.action for e in events(entity_type="ReactionQuestion")] == [
        "evaluation.question_moved",
        "evaluation.question_moved",
        "evaluation.question_retired",
        "evaluation.question_added",
        "evaluation.question_removed",
    ]


@pytest.mark.parametrize("key", ["q999", "nonsense", "", "d99"])
def test_a_button_for_a_question_no_longer_there_says_so(admin_client, key):
    response = admin_client.post(DEFAULTS, data={"action": "remove", "question": key})
    assert response.status_code == 422
    assert "That question is no longer asked" in text_of(response)


def test_an_unknown_action_is_a_bad_request(admin_client):
    assert admin_client.post(DEFAULTS, data={"action": "explode"}).status_code == 400


# --- a course's survey -------------------------------------------------------------------------


def test_a_course_is_anonymous_and_asks_the_defaults_until_changed(admin_client, course):
    url = f"/admin/courses/{course.id}/evaluation"
    page = text_of(admin_client.get(url))
    assert 'name="anonymous" type="radio" value="yes" checked' in page
    assert 'name="questions" type="radio" value="defaults" checked' in page
    assert "This course asks the default questions" in page
    # editing its questions needs questions of its own first
    response = admin_client.post(url, data={"action": "add", "add-text": "Hi", "add-kind": "text"})
    assert response.status_code == 422
    assert "Give it questions of its own before changing them" in text_of(response)
    assert count(ReactionQuestion) == 0

    response = admin_client.post(
        url, data={"action": "settings", "anonymous": "no", "questions": "own"}
    )
    assert response.status_code == 302
    row = db.session.get(CourseEvaluation, course.id)
    assert (row.anonymous, row.own_questions) == (False, True)
    own = question_sets.course_questions(course.id)
    assert [q.text for q in own] == [text for _, text in DEFAULT_QUESTIONS]
    page = text_of(admin_client.get(url))
    assert 'name="anonymous" type="radio" value="no" checked' in page
    assert "Its own questions" in page

    response = admin_client.post(
        url, data={"action": "add", "add-text": "The venue was right", "add-kind": "scale"}
    )
    assert response.status_code == 302
    assert question_sets.course_questions(course.id)[-1].text == "The venue was right"
    assert "The venue was right" not in texts()  # the defaults are untouched
    [event] = events("course.evaluation_settings_changed")
    assert event.after == {"anonymous": False, "own_questions": True}


def test_a_course_cannot_touch_another_sets_questions(admin_client, course, make_course):
    other = make_course()
    for each in (course, other):
        admin_client.post(
            f"/admin/courses/{each.id}/evaluation",
            data={"action": "settings", "anonymous": "yes", "questions": "own"},
        )
    theirs = question_sets.course_questions(other.id)[0]
    default = question_sets.default_questions()[0]
    url = f"/admin/courses/{course.id}/evaluation"
    for key in (f"q{theirs.id}", f"q{default.id}", "d0"):
        response = admin_client.post(url, data={"action": "remove", "question": key})
        assert response.status_code == 422, key
    response = admin_client.post(DEFAULTS, data={"action": "remove", "question": f"q{theirs.id}"})
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(ReactionQuestion, theirs.id).retired_at is None
    assert db.session.get(ReactionQuestion, default.id).retired_at is None


def test_a_refused_setting_says_why(admin_client, course):
    url = f"/admin/courses/{course.id}/evaluation"
    response = admin_client.post(url, data={"action": "settings", "anonymous": "maybe"})
    assert response.status_code == 422
    page = text_of(response)
    assert field_error(page, "anonymous") == "Choose whether the answers are anonymous"
    assert field_error(page, "questions") == "Choose which questions the survey asks"
    assert count(CourseEvaluation) == 0


def test_a_missing_course_is_not_found(admin_client):
    assert admin_client.get("/admin/courses/999/evaluation").status_code == 404


def test_the_pages_cost_the_same_statements_with_more_questions_and_courses(
    admin_client, make_course, count_queries, admin
):
    course = make_course()
    question_sets.change_settings(course, anonymous=True, own_questions=True, by=admin)
    db.session.commit()
    urls = (DEFAULTS, f"/admin/courses/{course.id}/evaluation")

    def measure():
        found = {}
        for url in urls:
            admin_client.get(url)
            with count_queries() as counter:
                assert admin_client.get(url).status_code == 200
            found[url] = counter.count
        return found

    few = measure()
    for number in range(8):
        make_course()
        question_sets.add_question(None, "scale", f"Default {number}", by=admin)
        question_sets.add_question(course.id, "text", f"Own {number}", by=admin)
    db.session.commit()
    assert measure() == few
