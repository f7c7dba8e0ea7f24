"""A cohort's evaluation results (/teach/cohorts/<id>/evaluations): for its trainers and
admins only; anonymous results never show who answered (nothing on the whole page links
an answer to a person), need three responses, and order comments by their words; a named
course lists each learner's answers."""

from __future__ import annotations

import re

import pytest

from lms.auth.models import Role
from lms.core.extensions import db
from lms.impact import questions as question_sets
from lms.impact.models import Phase
from lms.impact.questions import DEFAULT_QUESTIONS
from tests.helpers import sign_in, text_of

PEOPLE = (
    ("Zoë Ashworth", "zoe.ashworth@example.nhs.uk", 4, "more case studies"),
    ("Yusuf Bello", "yusuf.bello@example.nhs.uk", 5, "A longer lunch"),
    ("Xia Chen", "xia.chen@example.nhs.uk", 2, "Better coffee"),
)


def as_user(app, user):
    client = app.test_client()
    sign_in(client, user.get_id())
    return client


def visible_text(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


@pytest.fixture
def pm(make_course):
    return make_course(
        code="PM", title="Project management", learning_outcomes=["Plan a project", "Report"]
    )


@pytest.fixture
def cohort(pm, make_closed_cohort, trainer):
    return make_closed_cohort(pm, code="PM-CLOSED", trainers=[trainer])


@pytest.fixture
def answered(cohort, make_completion, make_reaction_response, make_confidence, make_user):
    """Three learners' answers and ratings; returns their enrolments."""
    places = []
    for name, email, score, comment in PEOPLE:
        place = make_completion(cohort, make_user(email, full_name=name))
        make_reaction_response(place, [score], comment)
        make_confidence(place, Phase.BEFORE, [2, 3])
        make_confidence(place, Phase.AFTER, [4, 4])
        places.append(place)
    return places


def url(cohort) -> str:
    return f"/teach/cohorts/{cohort.id}/evaluations"


def test_anonymous_results_never_show_who_answered(app, trainer, cohort, answered):
    """Acceptance: the whole page, markup and all, holds no name, email or id of anyone
    who answered, and the comments are ordered by their words."""
    response = as_user(app, trainer).get(url(cohort))
    assert response.status_code == 200
    page = text_of(response)
    for name, email, _, _ in PEOPLE:
        assert name not in page and email not in page
        assert name.split()[0] not in page and name.split()[-1] not in page
    for place in answered:
        assert f"/evaluations/{place.id}" not in page
        assert f"enrolment_id={place.id}" not in page and f"enrolment-{place.id}" not in page
        assert f"learner/{place.learner_id}" not in page
    assert "3 learners have answered the course survey" in page
    text = visible_text(page)
    # the comments, by their words (not by who answered, nor when)
    assert (
        text.index("A longer lunch") < text.index("Better coffee") < text.index("more case studies")
    )
    # the first statement: 2, 4 and 5 -> 3.67
    [first] = [
        row for row in re.findall(r"<tr\b.*?</tr>", page, re.S) if DEFAULT_QUESTIONS[0][1] in row
    ]
    assert visible_text(first).split()[-7:] == ["3", "3.67", "0", "1", "0", "1", "1"]
    # confidence: 2 -> 4 and 3 -> 4 for each of the three
    assert "+2.00" in text and "+1.00" in text


def test_fewer_than_three_anonymous_responses_show_only_how_many(
    app, trainer, cohort, make_completion, make_reaction_response, make_user
):
    for name, email, score, comment in PEOPLE[:2]:
        make_reaction_response(
            make_completion(cohort, make_user(email, full_name=name)), [score], comment
        )
    page = text_of(as_user(app, trainer).get(url(cohort)))
    assert "2 learners have answered the course survey" in page
    assert "shown once at least 3 learners have answered" in page
    for _, _, _, comment in PEOPLE[:2]:
        assert comment not in page
    assert DEFAULT_QUESTIONS[0][1] not in page
    for name, email, _, _ in PEOPLE:
        assert name not in page and email not in page


def test_a_named_course_lists_each_learners_answers(app, trainer, cohort, answered, pm, admin):
    question_sets.change_settings(pm, anonymous=False, own_questions=False, by=admin)
    db.session.commit()
    page = text_of(as_user(app, trainer).get(url(cohort)))
    assert "Each learner's answers" in page
    for name, _, _, comment in PEOPLE:
        assert name in page and comment in page
    text = visible_text(page)
    assert text.index("Xia Chen") < text.index("Yusuf Bello") < text.index("Zoë Ashworth")


def test_results_with_no_answers(app, trainer, cohort):
    page = text_of(as_user(app, trainer).get(url(cohort)))
    assert "0 learners have answered the course survey" in page


@pytest.mark.parametrize("who", ["trainer", "admin"])
def test_the_cohorts_trainers_and_admins_see_it(app, cohort, answered, trainer, admin, who):
    person = {"trainer": trainer, "admin": admin}[who]
    assert as_user(app, person).get(url(cohort)).status_code == 200


def test_anyone_else_gets_not_found(app, cohort, answered, make_user, make_closed_cohort, pm):
    other_trainer = make_user("other.trainer@example.nhs.uk", roles=[Role.TRAINER])
    make_closed_cohort(pm, trainers=[other_trainer])
    former = make_user("former@example.nhs.uk")
    cohort.trainers.append(former)  # on the list, without the trainer role
    db.session.commit()
    for person in (other_trainer, former, answered[0].learner):
        assert as_user(app, person).get(url(cohort)).status_code == 404, person.email
    assert as_user(app, other_trainer).get("/teach/cohorts/999/evaluations").status_code == 404


def test_the_page_costs_the_same_statements_with_more_answers(
    app,
    trainer,
    cohort,
    answered,
    make_completion,
    make_reaction_response,
    make_confidence,
    count_queries,
    pm,
    admin,
):
    question_sets.change_settings(pm, anonymous=False, own_questions=False, by=admin)
    db.session.commit()
    client = as_user(app, trainer)

    def measure():
        client.get(url(cohort))
        with count_queries() as counter:
            assert client.get(url(cohort)).status_code == 200
        return counter.count

    few = measure()
    for number in range(12):
        place = make_completion(cohort)
        make_reaction_response(place, [number % 5 + 1], f"Comment {number}")
        make_confidence(place, Phase.BEFORE, [1, 2])
        make_confidence(place, Phase.AFTER, [3, 3])
    assert measure() == few
