"""Taking a quiz through the pages: courses/assessments/views.py, through the test client."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from courses.assessments import attempts
from courses.assessments.models import Attempt, AttemptQuestion
from courses.models import CohortStatus, EnrolmentStatus
from lms.core.extensions import db
from tests.helpers import NOW, PASSWORD, count, days, span, text_of

# Distinctive words that only the correct options and the feedback carry: none may reach
# the browser before the attempt is submitted.
SECRETS = (
    "RIGHT-OPTION-FEEDBACK",
    "WRONG-OPTION-FEEDBACK",
    "QUESTION-FEEDBACK",
)


@pytest.fixture
def cohort(make_cohort, course, trainer):
    return make_cohort(
        course,
        status=CohortStatus.RUNNING,
        trainers=[trainer],
        sessions=[span(days(-7)), span(days(7))],
    )


@pytest.fixture
def enrolment(make_enrolment, cohort, learner):
    return make_enrolment(cohort, learner)


def with_feedback(question):
    for number, option in enumerate(question.options):
        tag = "RIGHT" if option.correct else "WRONG"
        option.feedback = f"{tag}-OPTION-FEEDBACK {question.id}.{number}"
    question.feedback = f"QUESTION-FEEDBACK {question.id}"
    db.session.commit()
    return question


@pytest.fixture
def questions(make_question, course):
    """Single choice (1 point), multiple choice (2 points), true/false (1 point)."""
    made = [
        make_question(
            course,
            "Which stage comes first?",
            [("Initiation", True), ("Closure", False), ("Delivery", False)],
        ),
        make_question(
            course,
            "Which are project documents?",
            [("PID", True), ("Payslip", False), ("Risk log", True)],
            points=2,
        ),
        make_question(course, "A project is temporary."),
    ]
    return [with_feedback(question) for question in made]


@pytest.fixture
def quiz(make_quiz, course, questions):
    return make_quiz(course, questions, pass_mark_percent=75, attempts_allowed=3)


def right(question) -> list[int]:
    return [option.id for option in question.options if option.correct]


def wrong(question) -> list[int]:
    return [option.id for option in question.options if not option.correct][:1]


def form_of(answers: dict[int, list[int]]) -> dict[str, list[str]]:
    return {f"q_{qid}": [str(option) for option in options] for qid, options in answers.items()}


def saved(attempt_id: int) -> dict[int, list[int]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt_id)
    )
    return {row.question_id: row.selected for row in rows}


def start(client, quiz) -> int:
    response = client.post(f"/assessments/{quiz.id}/attempts")
    assert response.status_code == 302, text_of(response)[:2000]
    match = re.fullmatch(r".*/attempts/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match[1])


JSON = {"Accept": "application/json"}


# --- the quiz page -------------------------------------------------------------------------


def test_the_quiz_page_shows_its_rules_and_a_start_button(client, login, learner, enrolment, quiz):
    login(learner)
    page = text_of(client.get(f"/assessments/{quiz.id}"))
    assert "PM basics" in page
    assert "75%" in page
    assert "0 of 3" in page
    assert "Start attempt" in page
    assert "You have not attempted this quiz yet" in page


def test_starting_twice_resumes_with_the_saved_answers_chosen(
    client, login, learner, enrolment, quiz, questions
):
    login(learner)
    attempt_id = start(client, quiz)
    single = questions[0]
    response = client.post(
        f"/attempts/{attempt_id}/answers", data=form_of({single.id: wrong(single)})
    )
    assert response.status_code == 302
    assert "Your answers were saved at" in text_of(client.get(response.headers["Location"]))
    assert "Resume attempt" in text_of(client.get(f"/assessments/{quiz.id}"))

    assert start(client, quiz) == attempt_id
    assert count(Attempt) == 1
    page = text_of(client.get(f"/attempts/{attempt_id}"))
    [chosen] = re.findall(rf'<input[^>]*name="q_{single.id}"[^>]*\bchecked\b[^>]*>', page)
    assert f'value="{wrong(single)[0]}"' in chosen


@pytest.mark.parametrize(
    "status", [EnrolmentStatus.WAITLISTED, EnrolmentStatus.CANCELLED, EnrolmentStatus.REJECTED]
)
def test_a_learner_without_a_confirmed_place_cannot_start(
    client, login, learner, make_enrolment, cohort, quiz, status
):
    make_enrolment(cohort, learner, status=status)
    login(learner)
    assert client.get(f"/assessments/{quiz.id}").status_code == 404
    assert client.post(f"/assessments/{quiz.id}/attempts").status_code == 404
    assert count(Attempt) == 0


def test_a_completed_learner_sees_the_page_but_cannot_start(
    client, login, learner, make_enrolment, cohort, quiz
):
    make_enrolment(cohort, learner, status=EnrolmentStatus.COMPLETED)
    login(learner)
    page = text_of(client.get(f"/assessments/{quiz.id}"))
    assert "You need a confirmed place on this course" in page
    assert "Start attempt" not in page
    response = client.post(f"/assessments/{quiz.id}/attempts")
    assert response.status_code == 302
    assert count(Attempt) == 0
    assert "You need a confirmed place" in text_of(client.get(response.headers["Location"]))


def test_the_attempt_count_is_enforced_by_the_server(
    client, login, learner, enrolment, make_quiz, course, questions
):
    quiz = make_quiz(course, questions, attempts_allowed=1)
    login(learner)
    attempt_id = start(client, quiz)
    assert client.post(f"/attempts/{attempt_id}/submit", data={}).status_code == 302
    page = text_of(client.get(f"/assessments/{quiz.id}"))
    assert "Start" not in re.sub(r"<[^>]+>", "", page.split("<h2>Your attempts</h2>")[0])

    response = client.post(f"/assessments/{quiz.id}/attempts")
    assert response.status_code == 302
    assert "You have used your 1 attempt at this quiz" in text_of(
        client.get(response.headers["Location"])
    )
    assert count(Attempt) == 1


def test_a_quiz_not_yet_open_says_when_it_opens(
    client, login, learner, enrolment, make_quiz, course, questions
):
    quiz = make_quiz(course, questions, opens_after_session=3)  # the cohort has 2 sessions
    login(learner)
    page = text_of(client.get(f"/assessments/{quiz.id}"))
    assert "Opens after session 3" in page
    assert "Start attempt" not in page
    client.post(f"/assessments/{quiz.id}/attempts")
    assert count(Attempt) == 0


def test_an_archived_quiz_is_not_found_for_learners(
    client, login, learner, enrolment, make_quiz, course, questions
):
    quiz = make_quiz(course, questions, archived=True)
    login(learner)
    assert client.get(f"/assessments/{quiz.id}").status_code == 404
    assert client.post(f"/assessments/{quiz.id}/attempts").status_code == 404


def test_outsiders_get_404(client, login, make_user, quiz, enrolment):
    login(make_user())
    assert client.get(f"/assessments/{quiz.id}").status_code == 404
    assert client.post(f"/assessments/{quiz.id}/attempts").status_code == 404
    assert client.get("/assessments/999999").status_code == 404


def test_an_author_sees_a_preview_without_answers(client, login, trainer, cohort, quiz, questions):
    login(trainer)
    response = client.get(f"/assessments/{quiz.id}")
    assert response.status_code == 200
    page = text_of(response)
    assert "3 questions" in page
    assert "Unlimited" not in page and "3" in page
    assert "Start attempt" not in page
    for secret in SECRETS:
        assert secret not in page
    assert client.post(f"/assessments/{quiz.id}/attempts").status_code == 404


def test_an_assignment_has_its_own_page(client, login, learner, enrolment, make_assignment, course):
    assignment = make_assignment(course)
    login(learner)
    response = client.get(f"/assessments/{assignment.id}")
    assert response.status_code == 200
    assert "PID assignment" in text_of(response)


# --- correct answers never reach the browser before submission -----------------------------


def assert_tells_nothing(body: str, questions) -> None:
    for secret in SECRETS:
        assert secret not in body
    assert not re.search(r"correct", body, re.IGNORECASE), re.findall(r".{60}correct.{60}", body)


def test_correct_answers_are_absent_before_submission(
    client, login, learner, enrolment, quiz, questions
):
    login(learner)
    attempt_id = start(client, quiz)

    page = text_of(client.get(f"/attempts/{attempt_id}"))
    assert "Which stage comes first?" in page and "Payslip" in page
    assert_tells_nothing(page, questions)

    saved_json = client.post(
        f"/attempts/{attempt_id}/answers",
        data=form_of({q.id: right(q) for q in questions}),
        headers=JSON,
    )
    assert saved_json.status_code == 200
    assert saved_json.get_json()["saved"] is True
    assert_tells_nothing(saved_json.get_data(as_text=True), questions)

    refused_json = client.post(
        f"/attempts/{attempt_id}/answers", data={"q_999999": "1"}, headers=JSON
    )
    assert refused_json.status_code == 422
    assert_tells_nothing(refused_json.get_data(as_text=True), questions)

    # Saved answers pre-selected on the page still say nothing about which are right.
    page = text_of(client.get(f"/attempts/{attempt_id}"))
    assert_tells_nothing(page, questions)
    quiz_page = text_of(client.get(f"/assessments/{quiz.id}"))
    assert_tells_nothing(quiz_page, questions)


# --- saving ----------------------------------------------------------------------------------


def test_saving_in_the_background_answers_json(client, login, learner, enrolment, quiz, questions):
    login(learner)
    attempt_id = start(client, quiz)
    multiple = questions[1]
    response = client.post(
        f"/attempts/{attempt_id}/answers",
        data=form_of({multiple.id: right(multiple)}),
        headers=JSON,
    )
    reply = response.get_json()
    assert reply["saved"] is True
    assert re.fullmatch(r"\d\d:\d\d", reply["saved_at_words"])
    assert saved(attempt_id)[multiple.id] == right(multiple)


@pytest.mark.parametrize("as_json", [False, True], ids=["form", "json"])
@pytest.mark.parametrize(
    "tamper",
    ["other-attempt's-question", "other-question's-option", "two-on-single", "not-a-number"],
)
def test_tampered_answers_are_refused_and_change_nothing(
    client,
    login,
    learner,
    enrolment,
    quiz,
    questions,
    make_question,
    make_quiz,
    course,
    cohort,
    make_enrolment,
    tamper,
    as_json,
):
    single, multiple, true_false = questions
    other = make_question(course, "Someone else's question")
    other_attempt = attempts.start_attempt(
        make_quiz(course, [other], title="Other"), make_enrolment(cohort), now=NOW
    )
    db.session.commit()
    login(learner)
    attempt_id = start(client, quiz)
    first = {single.id: wrong(single), multiple.id: right(multiple)}
    client.post(f"/attempts/{attempt_id}/answers", data=form_of(first))
    assert saved(attempt_id)[single.id] == wrong(single)

    sent = form_of({single.id: right(single), multiple.id: []})
    if tamper == "other-attempt's-question":
        sent[f"q_{other_attempt.questions[0].question_id}"] = [str(other.options[0].id)]
    elif tamper == "other-question's-option":
        sent[f"q_{single.id}"] = [str(true_false.options[0].id)]
    elif tamper == "two-on-single":
        sent[f"q_{single.id}"] = [str(option.id) for option in single.options[:2]]
    else:
        sent[f"q_{single.id}"] = ["1; DROP TABLE attempt"]

    for action in ("answers", "submit"):
        response = client.post(
            f"/attempts/{attempt_id}/{action}", data=sent, headers=JSON if as_json else {}
        )
        assert response.status_code == 422, (action, text_of(response)[:500])
        if as_json:
            assert response.get_json()["saved"] is False
            assert response.get_json()["error"]
        else:
            page = text_of(response)
            assert "There is a problem" in page
            # The page shows the answers as saved, not as sent.
            [chosen] = re.findall(rf'<input[^>]*name="q_{single.id}"[^>]*\bchecked\b[^>]*>', page)
            assert f'value="{wrong(single)[0]}"' in chosen
        after = saved(attempt_id)
        assert after[single.id] == wrong(single)
        assert after[multiple.id] == right(multiple)
        assert db.session.get(Attempt, attempt_id).submitted_at is None
    assert saved(other_attempt.id)[other.id] == []


# --- submitting ------------------------------------------------------------------------------


def test_submitting_shows_the_score_and_feedback_but_not_the_answers_while_attempts_remain(
    client, login, learner, enrolment, quiz, questions
):
    single, multiple, true_false = questions
    login(learner)
    attempt_id = start(client, quiz)
    answers = {single.id: wrong(single), multiple.id: right(multiple), true_false.id: []}
    response = client.post(f"/attempts/{attempt_id}/submit", data=form_of(answers))
    assert response.status_code == 302

    page = text_of(client.get(response.headers["Location"]))
    assert "Your answers have been submitted and marked" in page
    assert "Not passed" in page
    assert "50% (2 of 4 marks)" in page
    assert f"QUESTION-FEEDBACK {single.id}" in page
    assert "WRONG-OPTION-FEEDBACK" in page  # the option chosen
    assert f"RIGHT-OPTION-FEEDBACK {multiple.id}" in page
    assert f"RIGHT-OPTION-FEEDBACK {single.id}" not in page  # not chosen
    assert "Not answered" in page
    assert "A right answer" not in page
    assert "shown once you have passed this quiz or used all your attempts" in page


def test_the_right_answers_show_once_passed(client, login, learner, enrolment, quiz, questions):
    login(learner)
    attempt_id = start(client, quiz)
    response = client.post(
        f"/attempts/{attempt_id}/submit", data=form_of({q.id: right(q) for q in questions})
    )
    page = text_of(client.get(response.headers["Location"]))
    assert "Passed" in page and "Not passed" not in page
    assert "100% (4 of 4 marks)" in page
    assert page.count("A right answer") == 4


def test_the_right_answers_show_once_no_attempts_are_left(
    client, login, learner, enrolment, make_quiz, course, questions
):
    quiz = make_quiz(course, questions, attempts_allowed=1)
    login(learner)
    attempt_id = start(client, quiz)
    client.post(f"/attempts/{attempt_id}/submit", data={})
    page = text_of(client.get(f"/attempts/{attempt_id}"))
    assert "Not passed" in page
    assert page.count("A right answer") == 4


def test_no_answers_are_shown_while_another_attempt_is_in_progress(
    client, login, learner, enrolment, quiz, questions
):
    login(learner)
    first = start(client, quiz)
    client.post(f"/attempts/{first}/submit", data=form_of({q.id: right(q) for q in questions}))
    start(client, quiz)  # passed, yet trying again
    page = text_of(client.get(f"/attempts/{first}"))
    assert "Passed" in page
    assert "A right answer" not in page


def test_a_second_submission_is_refused_and_the_score_stays(
    client, login, learner, enrolment, quiz, questions
):
    login(learner)
    attempt_id = start(client, quiz)
    client.post(f"/attempts/{attempt_id}/submit", data=form_of({q.id: right(q) for q in questions}))

    again = client.post(
        f"/attempts/{attempt_id}/submit", data=form_of({q.id: wrong(q) for q in questions})
    )
    assert again.status_code == 302
    assert "This attempt has already been submitted" in text_of(
        client.get(again.headers["Location"])
    )
    late_save = client.post(
        f"/attempts/{attempt_id}/answers", data=form_of({questions[0].id: []}), headers=JSON
    )
    assert late_save.status_code == 422
    assert late_save.get_json()["error"] == "This attempt has already been submitted"

    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.score == Decimal("4") and attempt.passed is True
    assert saved(attempt_id) == {q.id: right(q) for q in questions}


def test_the_time_limit_is_enforced_by_the_server(
    client, login, learner, enrolment, make_quiz, course, questions
):
    quiz = make_quiz(course, questions, time_limit_minutes=15)
    single, multiple, _ = questions
    login(learner)
    attempt_id = start(client, quiz)
    page = text_of(client.get(f"/attempts/{attempt_id}"))
    assert "You have until" in page and "minutes left" in page
    client.post(f"/attempts/{attempt_id}/answers", data=form_of({single.id: right(single)}))

    # The deadline passes (the clock is the server's: move the attempt back in time).
    attempt = db.session.get(Attempt, attempt_id)
    db.session.execute(
        update(Attempt)
        .where(Attempt.id == attempt_id)
        .values(deadline_at=attempt.deadline_at - timedelta(minutes=30))
    )
    db.session.commit()

    page = text_of(client.get(f"/attempts/{attempt_id}"))
    assert "Time is up" in page
    refused = client.post(
        f"/attempts/{attempt_id}/answers",
        data=form_of({multiple.id: right(multiple)}),
        headers=JSON,
    )
    assert refused.status_code == 422
    assert "Time is up" in refused.get_json()["error"]

    response = client.post(
        f"/attempts/{attempt_id}/submit", data=form_of({q.id: right(q) for q in questions})
    )
    assert response.status_code == 302
    page = text_of(client.get(response.headers["Location"]))
    assert "so the answers sent after then were not saved" in page
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt_id)
    assert attempt.timed_out is True
    assert attempt.submitted_at == attempt.deadline_at
    assert attempt.score == Decimal("1")  # only the answer saved in time
    assert saved(attempt_id)[multiple.id] == []


def test_another_learners_attempt_is_not_found(
    client, login, learner, make_user, make_enrolment, cohort, enrolment, quiz, questions
):
    login(learner)
    attempt_id = start(client, quiz)
    client.post("/logout")
    someone = make_user()
    make_enrolment(cohort, someone)
    login(someone)
    answers = form_of({questions[0].id: right(questions[0])})
    assert client.get(f"/attempts/{attempt_id}").status_code == 404
    assert client.post(f"/attempts/{attempt_id}/answers", data=answers).status_code == 404
    assert client.post(f"/attempts/{attempt_id}/submit", data=answers).status_code == 404
    assert saved(attempt_id)[questions[0].id] == []
    assert db.session.get(Attempt, attempt_id).submitted_at is None


def test_an_admin_cannot_open_a_learners_attempt(client, login, admin, learner, enrolment, quiz):
    attempt = attempts.start_attempt(quiz, enrolment, now=NOW)
    db.session.commit()
    login(admin)
    assert client.get(f"/attempts/{attempt.id}").status_code == 404


def test_the_background_save_needs_the_csrf_token(make_app, learner, enrolment, quiz, questions):
    attempt = attempts.start_attempt(quiz, enrolment, now=NOW)
    db.session.commit()
    browser = make_app(WTF_CSRF_ENABLED=True).test_client()
    login_page = browser.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page)[1]
    form = {"email": learner.email, "password": PASSWORD, "csrf_token": token}
    assert browser.post("/login", data=form).status_code == 302
    answers = form_of({questions[0].id: right(questions[0])})

    refused = browser.post(f"/attempts/{attempt.id}/answers", data=answers, headers=JSON)
    assert refused.status_code == 400
    assert saved(attempt.id)[questions[0].id] == []

    page = browser.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
    response = browser.post(
        f"/attempts/{attempt.id}/answers",
        data=answers,
        headers={**JSON, "X-CSRFToken": token},
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert saved(attempt.id)[questions[0].id] == right(questions[0])


def test_the_page_loads_its_script_from_our_own_files(client, login, learner, enrolment, quiz):
    login(learner)
    attempt_id = start(client, quiz)
    page = text_of(client.get(f"/attempts/{attempt_id}"))
    assert '<script type="module" src="/static/js/attempt.js">' in page
    assert 'id="attempt-form"' in page


# --- statements do not grow with the data ------------------------------------------------------


def test_the_attempt_page_costs_the_same_for_2_and_20_questions(
    client, login, learner, enrolment, make_question, make_quiz, course, count_queries
):
    login(learner)

    def measure(number: int) -> tuple[int, int]:
        made = [
            make_question(course, f"Q{number}.{n}", [("A", True), ("B", False), ("C", False)])
            for n in range(number)
        ]
        quiz = make_quiz(course, made, title=f"Quiz of {number}")
        attempt_id = start(client, quiz)
        client.get(f"/attempts/{attempt_id}")  # warm-up
        with count_queries() as taking:
            assert client.get(f"/attempts/{attempt_id}").status_code == 200
        client.post(
            f"/attempts/{attempt_id}/submit", data=form_of({q.id: [q.options[0].id] for q in made})
        )
        with count_queries() as result:
            assert client.get(f"/attempts/{attempt_id}").status_code == 200
        return taking.count, result.count

    assert measure(2) == measure(20)


def test_the_quiz_page_costs_the_same_for_1_and_10_previous_attempts(
    client, login, learner, enrolment, make_quiz, course, questions, count_queries
):
    login(learner)

    def measure(attempts_made: int) -> int:
        quiz = make_quiz(course, questions, title=f"Quiz {attempts_made}")
        for _ in range(attempts_made):
            attempt_id = start(client, quiz)
            client.post(f"/attempts/{attempt_id}/submit", data={})
        client.get(f"/assessments/{quiz.id}")  # warm-up
        with count_queries() as counter:
            assert client.get(f"/assessments/{quiz.id}").status_code == 200
        return counter.count

    assert measure(1) == measure(10)


def test_saving_costs_the_same_for_2_and_20_questions(
    client, login, learner, enrolment, make_question, make_quiz, course, count_queries
):
    login(learner)

    def measure(number: int) -> int:
        made = [make_question(course, f"S{number}.{n}") for n in range(number)]
        quiz = make_quiz(course, made, title=f"Save {number}")
        attempt_id = start(client, quiz)
        answers = form_of({q.id: [q.options[0].id] for q in made})
        with count_queries() as counter:
            response = client.post(f"/attempts/{attempt_id}/answers", data=answers, headers=JSON)
            assert response.status_code == 200
        return counter.count

    few, many = measure(2), measure(20)
    assert many <= few + 1, (few, many)  # the ORM may split a batch of updates once


def test_json_replies_are_json(client, login, learner, enrolment, quiz, questions):
    login(learner)
    attempt_id = start(client, quiz)
    response = client.post(f"/attempts/{attempt_id}/answers", data={}, headers=JSON)
    assert response.mimetype == "application/json"
    assert json.loads(response.get_data(as_text=True))["saved"] is True
