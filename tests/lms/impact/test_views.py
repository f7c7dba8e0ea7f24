"""A learner's evaluation pages (/evaluations/): their own only (anyone else's is 404),
not open yet (409, saying when), the forms filled in to change an answer, refusals beside
their fields (422, nothing saved), and statement counts that do not grow."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from courses.models import EnrolmentStatus
from lms.auth.models import Role
from lms.core.extensions import db
from lms.impact import questions as question_sets
from lms.impact import waiting
from lms.impact.models import (
    ConfidenceRating,
    FollowUp,
    Phase,
    ProjectSince,
    ReactionAnswer,
    ReactionResponse,
)
from lms.impact.questions import DEFAULT_QUESTIONS
from tests.helpers import count, days, field_error, sign_in, text_of

OUTCOMES = ["Plan a project", "Manage risks"]


def as_user(app, user):
    client = app.test_client()
    sign_in(client, user.get_id())
    return client


def checked(page: str, name: str) -> str | None:
    """The value of the radio named `name` that the page has checked."""
    match = re.search(rf'name="{name}" type="radio" value="([^"]*)" checked', page)
    return match.group(1) if match else None


@pytest.fixture
def pm(make_course):
    return make_course(code="PM", title="Project management", learning_outcomes=OUTCOMES)


@pytest.fixture
def closed(pm, make_closed_cohort):
    return make_closed_cohort(pm, code="PM-CLOSED")


@pytest.fixture
def place(closed, make_completion, learner):
    """The learner's completed place on the closed cohort."""
    return make_completion(closed, learner)


@pytest.fixture
def someone_elses(closed, make_completion, make_user):
    return make_completion(closed, make_user("other@example.nhs.uk", full_name="Olu Other"))


def survey_answers(scores=(5, 4, 3, 2, 1), comment="More examples") -> dict:
    keys = [question_sets.key(q) for q in question_sets.default_questions()]
    data = dict(zip(keys, [str(score) for score in scores], strict=False))
    data[keys[-1]] = comment
    return data


# --- the list --------------------------------------------------------------------------------


def test_the_list_shows_the_learners_own_evaluations_waiting_and_done(
    app,
    learner,
    pm,
    closed,
    place,
    someone_elses,
    make_cohort,
    make_enrolment,
    make_follow_up,
    make_reaction_response,
):
    upcoming = make_enrolment(make_cohort(pm, code="PM-NEXT"), learner)
    follow_up = make_follow_up(place, 3)
    theirs = make_follow_up(someone_elses, 3)
    make_reaction_response(someone_elses, [5])
    page = text_of(as_user(app, learner).get("/evaluations/"))
    waiting_part = page.split('id="done"')[0]
    assert f"/evaluations/{place.id}/reaction" in waiting_part
    assert f"/evaluations/{place.id}/confidence/after" in waiting_part
    assert f"/evaluations/{upcoming.id}/confidence/before" in waiting_part
    assert f"/evaluations/follow-ups/{follow_up.id}" in waiting_part
    assert "Tell us what you thought of the course" in waiting_part
    assert "Rate your confidence before the course" in waiting_part
    assert "Tell us what you have done 3 months on" in waiting_part
    # nothing of anyone else's
    assert f"/evaluations/{someone_elses.id}/" not in page
    assert f"/evaluations/follow-ups/{theirs.id}" not in page
    assert "Nothing is waiting for you" not in page
    assert waiting.waiting_count(learner.id) == 4
    assert waiting.waiting_count(someone_elses.learner_id) == 2  # their after-rating, follow-up


def test_done_moves_down_the_list_and_out_of_the_count(
    app, learner, place, make_reaction_response, make_confidence, make_follow_up
):
    make_reaction_response(place, [4])
    make_confidence(place, Phase.AFTER, [4, 4])
    answered = make_follow_up(place, 3, project_since=ProjectSince.NEITHER)
    page = text_of(as_user(app, learner).get("/evaluations/"))
    waiting_part, done_part = page.split('id="done"')
    assert "Nothing is waiting for you" in waiting_part
    assert f"/evaluations/{place.id}/reaction" in done_part
    assert f"/evaluations/{place.id}/confidence/after" in done_part
    assert f"/evaluations/follow-ups/{answered.id}" in done_part
    assert "What you thought of the course" in done_part
    assert "Your confidence after the course" in done_part
    assert "What you had done 3 months on" in done_part
    assert waiting.waiting_count(learner.id) == 0


def test_old_courses_do_not_count_as_waiting(app, learner, pm, make_closed_cohort, make_completion):
    old = make_completion(make_closed_cohort(pm, closed_at=days(-400)), learner)
    assert waiting.waiting_count(learner.id) == 0
    page = text_of(as_user(app, learner).get("/evaluations/"))
    assert f"/evaluations/{old.id}/" not in page
    # but its survey still opens, from the invitation's link
    assert as_user(app, learner).get(f"/evaluations/{old.id}/reaction").status_code == 200


def test_the_count_is_one_statement(app, learner, place, count_queries):
    learner_id = learner.id
    with count_queries() as counter:
        assert waiting.waiting_count(learner_id) == 2
    assert counter.count == 1


def test_the_list_costs_the_same_statements_with_more_evaluations(
    app,
    learner,
    pm,
    make_closed_cohort,
    make_completion,
    make_follow_up,
    make_reaction_response,
    count_queries,
):
    client = as_user(app, learner)

    def measure():
        client.get("/evaluations/")  # warm
        with count_queries() as counter:
            assert client.get("/evaluations/").status_code == 200
        return counter.count

    make_follow_up(make_completion(make_closed_cohort(pm), learner))
    few = measure()
    for _ in range(6):
        place = make_completion(make_closed_cohort(pm), learner)
        make_follow_up(place)
        make_reaction_response(place, [3])
    assert measure() == few


# --- the course survey -----------------------------------------------------------------------


def test_a_learner_answers_the_survey_and_can_change_their_answers(app, learner, place):
    client = as_user(app, learner)
    page = client.get(f"/evaluations/{place.id}/reaction")
    assert page.status_code == 200
    html = text_of(page)
    assert "Tell us what you thought of the course" in html
    for _, words in DEFAULT_QUESTIONS:
        assert words in html
    assert "Strongly disagree" in html and "Strongly agree" in html
    assert "Your answers are anonymous" in html
    assert count(ReactionResponse) == 0  # showing the page stored nothing

    sent = survey_answers()
    response = client.post(f"/evaluations/{place.id}/reaction", data=sent)
    assert response.status_code == 302 and response.headers["Location"] == "/evaluations/"
    assert count(ReactionResponse) == 1 and count(ReactionAnswer) == 6

    # the form comes back filled in
    asked = question_sets.default_questions()
    again = text_of(client.get(f"/evaluations/{place.id}/reaction"))
    assert checked(again, question_sets.key(asked[0])) == "5"
    assert checked(again, question_sets.key(asked[4])) == "1"
    assert "More examples</textarea>" in again
    assert "Save your answers" in again

    changed = {
        **survey_answers(),
        question_sets.key(asked[0]): "2",
        question_sets.key(asked[5]): "",
    }
    assert client.post(f"/evaluations/{place.id}/reaction", data=changed).status_code == 302
    db.session.expire_all()
    assert count(ReactionResponse) == 1 and count(ReactionAnswer) == 5
    first = db.session.scalar(
        select(ReactionAnswer.score).where(ReactionAnswer.question_id == asked[0].id)
    )
    assert first == 2


def test_a_missing_answer_is_shown_beside_its_question_and_nothing_is_saved(app, learner, place):
    client = as_user(app, learner)
    keys = [question_sets.key(q) for q in question_sets.default_questions()]
    sent = survey_answers()
    del sent[keys[1]]
    sent[keys[2]] = "9"
    sent[keys[-1]] = "x" * 2001
    response = client.post(f"/evaluations/{place.id}/reaction", data=sent)
    assert response.status_code == 422
    page = text_of(response)
    assert "There is a problem" in page
    assert field_error(page, keys[1]) == f"Choose how much you agree: {DEFAULT_QUESTIONS[1][1]}"
    assert field_error(page, keys[2]) == f"Choose how much you agree: {DEFAULT_QUESTIONS[2][1]}"
    assert field_error(page, keys[-1]) == "Your answer must be 2,000 characters or fewer"
    assert field_error(page, keys[0]) is None
    assert checked(page, keys[0]) == "5"  # what was sent is kept
    assert count(ReactionResponse) == 0 and count(ReactionAnswer) == 0


def test_answers_to_questions_no_longer_asked_are_refused_with_a_message(
    app, learner, place, admin
):
    client = as_user(app, learner)
    shown = survey_answers()  # the defaults from code: d0, d1, ...
    question_sets.ensure_defaults()  # stored meanwhile, then one changed
    question_sets.change_question(
        question_sets.default_questions()[0], "scale", "Reworded", by=admin
    )
    db.session.commit()
    response = client.post(f"/evaluations/{place.id}/reaction", data=shown)
    assert response.status_code == 422
    assert "The questions have changed since you opened this page" in text_of(response)
    assert count(ReactionResponse) == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_someone_elses_survey_is_not_found(app, learner, someone_elses, admin, method):
    for person in (learner, admin):
        response = getattr(as_user(app, person), method)(
            f"/evaluations/{someone_elses.id}/reaction", data=survey_answers()
        )
        assert response.status_code == 404
    assert count(ReactionResponse) == 0


def test_a_survey_not_open_yet_says_when_it_will_be(app, learner, pm, make_cohort, make_enrolment):
    running = make_enrolment(make_cohort(pm), learner)
    client = as_user(app, learner)
    response = client.get(f"/evaluations/{running.id}/reaction")
    assert response.status_code == 409
    assert "once your cohort has closed" in text_of(response)
    assert client.post(f"/evaluations/{running.id}/reaction", data={}).status_code == 409
    assert count(ReactionResponse) == 0


def test_a_missing_enrolment_is_not_found(app, learner):
    assert as_user(app, learner).get("/evaluations/999/reaction").status_code == 404


# --- confidence ------------------------------------------------------------------------------


def test_a_learner_rates_their_confidence_before_and_changes_it(
    app, learner, pm, make_cohort, make_enrolment
):
    confirmed = make_enrolment(make_cohort(pm), learner)
    client = as_user(app, learner)
    page = text_of(client.get(f"/evaluations/{confirmed.id}/confidence/before"))
    assert "Plan a project" in page and "Manage risks" in page
    assert "Not at all confident" in page and "Completely confident" in page
    sent = {"outcome_0": "2", "outcome_1": "3"}
    response = client.post(f"/evaluations/{confirmed.id}/confidence/before", data=sent)
    assert response.status_code == 302
    assert count(ConfidenceRating) == 2
    again = text_of(client.get(f"/evaluations/{confirmed.id}/confidence/before"))
    assert checked(again, "outcome_0") == "2" and checked(again, "outcome_1") == "3"
    client.post(
        f"/evaluations/{confirmed.id}/confidence/before", data={"outcome_0": "4", "outcome_1": "3"}
    )
    assert count(ConfidenceRating) == 2
    assert (
        db.session.scalar(select(ConfidenceRating.score).where(ConfidenceRating.outcome_index == 0))
        == 4
    )
    # after the course: not yet
    response = client.get(f"/evaluations/{confirmed.id}/confidence/after")
    assert response.status_code == 409
    assert "once you have completed it" in text_of(response)


def test_a_missing_rating_is_shown_beside_its_outcome(app, learner, place):
    response = as_user(app, learner).post(
        f"/evaluations/{place.id}/confidence/after", data={"outcome_1": "7"}
    )
    assert response.status_code == 422
    page = text_of(response)
    assert field_error(page, "outcome_0") == "Choose how confident you are: Plan a project"
    assert field_error(page, "outcome_1") == "Choose how confident you are: Manage risks"
    assert count(ConfidenceRating) == 0


@pytest.mark.parametrize("phase", ["during", "BEFORE", "1", "after-ish"])
def test_any_other_phase_is_not_found(app, learner, place, phase):
    assert (
        as_user(app, learner).get(f"/evaluations/{place.id}/confidence/{phase}").status_code == 404
    )


def test_someone_elses_confidence_is_not_found(app, learner, someone_elses):
    client = as_user(app, learner)
    url = f"/evaluations/{someone_elses.id}/confidence/after"
    assert client.get(url).status_code == 404
    assert client.post(url, data={"outcome_0": "5", "outcome_1": "5"}).status_code == 404
    assert count(ConfidenceRating) == 0


# --- follow-ups ------------------------------------------------------------------------------


def test_a_learner_answers_a_follow_up_with_a_link_to_register_a_project(
    app, learner, place, make_follow_up
):
    follow_up = make_follow_up(place, 6)
    client = as_user(app, learner)
    page = text_of(client.get(f"/evaluations/follow-ups/{follow_up.id}"))
    assert "6 months on: what have you done since the course?" in page
    assert 'href="/projects/new"' in page
    response = client.post(
        f"/evaluations/follow-ups/{follow_up.id}",
        data={"project_since": "worked_on", "applied": "A RAID log"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(FollowUp, follow_up.id)
    assert (saved.project_since, saved.applied) == (ProjectSince.WORKED_ON, "A RAID log")
    assert saved.answered_at is not None
    again = text_of(client.get(f"/evaluations/follow-ups/{follow_up.id}"))
    assert checked(again, "project_since") == "worked_on"
    assert "A RAID log</textarea>" in again


@pytest.mark.parametrize(
    ("sent", "errors"),
    [
        ({}, {"project_since": "Say whether you have led or worked on a project since the course"}),
        (
            {"project_since": "led", "applied": ""},
            {"applied": "Say what you applied from the course on the project"},
        ),
        (
            {"project_since": "sometimes", "applied": "x"},
            {"project_since": "Say whether you have led or worked on a project since the course"},
        ),
        (
            {"project_since": "neither", "applied": "x" * 2001},
            {"applied": "Say what you applied in 2,000 characters or fewer"},
        ),
    ],
)
def test_a_follow_up_refused_says_why_beside_the_field(
    app, learner, place, make_follow_up, sent, errors
):
    follow_up = make_follow_up(place, 3)
    response = as_user(app, learner).post(f"/evaluations/follow-ups/{follow_up.id}", data=sent)
    assert response.status_code == 422
    page = text_of(response)
    for name, message in errors.items():
        assert field_error(page, name) == message
    db.session.expire_all()
    assert db.session.get(FollowUp, follow_up.id).answered_at is None


def test_someone_elses_follow_up_is_not_found(
    app, learner, someone_elses, make_follow_up, make_user
):
    theirs = make_follow_up(someone_elses, 3)
    admin = make_user("boss@example.nhs.uk", roles=[Role.ADMIN])
    for person in (learner, admin):
        client = as_user(app, person)
        assert client.get(f"/evaluations/follow-ups/{theirs.id}").status_code == 404
        response = client.post(
            f"/evaluations/follow-ups/{theirs.id}", data={"project_since": "neither"}
        )
        assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(FollowUp, theirs.id).answered_at is None


def test_every_page_asks_to_log_in_first(client, place, make_follow_up):
    follow_up = make_follow_up(place)
    for url in (
        "/evaluations/",
        f"/evaluations/{place.id}/reaction",
        f"/evaluations/{place.id}/confidence/after",
        f"/evaluations/follow-ups/{follow_up.id}",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_the_pages_cost_the_same_statements_with_more_answers(
    app,
    learner,
    place,
    closed,
    make_completion,
    make_reaction_response,
    make_confidence,
    make_follow_up,
    count_queries,
):
    follow_up = make_follow_up(place)
    make_reaction_response(place, [4], "Good")
    make_confidence(place, Phase.AFTER, [3, 3])
    client = as_user(app, learner)
    urls = (
        f"/evaluations/{place.id}/reaction",
        f"/evaluations/{place.id}/confidence/after",
        f"/evaluations/follow-ups/{follow_up.id}",
    )

    def measure():
        found = {}
        for url in urls:
            client.get(url)
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            found[url] = counter.count
        return found

    few = measure()
    for _ in range(10):
        other = make_completion(closed)
        make_reaction_response(other, [2], "Fine")
        make_confidence(other, Phase.AFTER, [5, 5])
        make_follow_up(other)
    assert measure() == few


def test_a_not_completed_place_has_no_rating_after(app, learner, closed, make_completion):
    nearly = make_completion(closed, learner, status=EnrolmentStatus.NOT_COMPLETED)
    client = as_user(app, learner)
    assert client.get(f"/evaluations/{nearly.id}/reaction").status_code == 200
    assert client.get(f"/evaluations/{nearly.id}/confidence/after").status_code == 409
    page = text_of(client.get("/evaluations/"))
    assert f"/evaluations/{nearly.id}/reaction" in page
    assert f"/evaluations/{nearly.id}/confidence" not in page
