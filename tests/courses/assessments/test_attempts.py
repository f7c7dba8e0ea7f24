"""Taking a quiz: courses/assessments/attempts.py, the services without the web."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from courses.assessments import attempts
from courses.assessments.attempts import (
    GRACE,
    AlreadySubmitted,
    AnswerNotInAttempt,
    BankTooSmall,
    NoAttemptsLeft,
    NotConfirmed,
    OneAnswerOnly,
    OptionNotOfQuestion,
    QuizHasNoQuestions,
    QuizNotAvailable,
    QuizNotOpen,
    TimeUp,
    finish_expired,
    save_answers,
    start_attempt,
    submit_attempt,
)
from courses.assessments.models import Attempt, AttemptQuestion, QuestionType
from courses.models import CohortStatus, EnrolmentStatus
from lms.core.extensions import db
from tests.helpers import NOW, count, days, events, span


@pytest.fixture
def cohort(make_cohort, course):
    return make_cohort(
        course, status=CohortStatus.RUNNING, sessions=[span(days(-7)), span(days(7))]
    )


@pytest.fixture
def enrolment(make_enrolment, cohort):
    return make_enrolment(cohort)


@pytest.fixture
def questions(make_question, course):
    """A single-choice, a multiple-choice and a true/false question: 1, 2 and 1 points."""
    return [
        make_question(
            course,
            "Which comes first?",
            [("Initiation", True), ("Closure", False), ("Delivery", False)],
        ),
        make_question(
            course,
            "Which are project documents?",
            [("PID", True), ("Payslip", False), ("Risk log", True), ("Rota", False)],
            points=2,
        ),
        make_question(course, "A project is temporary."),
    ]


@pytest.fixture
def quiz(make_quiz, course, questions):
    return make_quiz(course, questions, pass_mark_percent=75)


def options(question, *, correct: bool) -> list[int]:
    return [option.id for option in question.options if option.correct is correct]


def right_answers(questions) -> dict[int, list[int]]:
    return {question.id: options(question, correct=True) for question in questions}


def saved(attempt) -> dict[int, list[int]]:
    db.session.expire_all()
    rows = db.session.scalars(
        select(AttemptQuestion).where(AttemptQuestion.attempt_id == attempt.id)
    )
    return {row.question_id: row.selected for row in rows}


# --- starting --------------------------------------------------------------------------------


def test_an_attempt_asks_the_quiz_questions_in_order(quiz, enrolment, questions):
    attempt = start_attempt(quiz, enrolment, now=NOW)
    db.session.commit()

    assert attempt.number == 1
    assert attempt.started_at == NOW
    assert attempt.deadline_at is None
    assert attempt.pass_mark_percent == 75
    assert [aq.question_id for aq in attempt.questions] == [q.id for q in questions]
    assert [aq.position for aq in attempt.questions] == [1, 2, 3]
    assert attempt.questions[0].option_order == [o.id for o in questions[0].options]
    assert all(aq.selected == [] for aq in attempt.questions)


def test_starting_again_resumes_the_attempt_in_progress(quiz, enrolment, questions):
    first = start_attempt(quiz, enrolment, now=NOW)
    save_answers(first, {questions[0].id: options(questions[0], correct=False)[:1]}, now=NOW)
    db.session.commit()

    again = start_attempt(quiz, enrolment, now=NOW + timedelta(minutes=5))

    assert again.id == first.id
    assert count(Attempt) == 1
    assert saved(again)[questions[0].id] == options(questions[0], correct=False)[:1]


def test_a_time_limit_sets_the_deadline(make_quiz, course, questions, enrolment):
    quiz = make_quiz(course, questions, time_limit_minutes=20)
    attempt = start_attempt(quiz, enrolment, now=NOW)
    assert attempt.deadline_at == NOW + timedelta(minutes=20)


@pytest.mark.parametrize(
    "status",
    [EnrolmentStatus.WAITLISTED, EnrolmentStatus.CANCELLED, EnrolmentStatus.PENDING_APPROVAL],
)
def test_only_a_confirmed_enrolment_starts(quiz, make_enrolment, cohort, status):
    enrolment = make_enrolment(cohort, status=status)
    with pytest.raises(NotConfirmed):
        start_attempt(quiz, enrolment, now=NOW)
    assert count(Attempt) == 0


def test_a_quiz_not_open_for_the_cohort_cannot_start(make_quiz, course, questions, enrolment):
    quiz = make_quiz(course, questions, opens_at=NOW + timedelta(days=1))
    with pytest.raises(QuizNotOpen, match="not open yet"):
        start_attempt(quiz, enrolment, now=NOW)
    after_second = make_quiz(course, questions, title="After session 2", opens_after_session=2)
    with pytest.raises(QuizNotOpen):
        start_attempt(after_second, enrolment, now=NOW)


def test_an_archived_or_empty_quiz_cannot_start(make_quiz, course, questions, enrolment):
    with pytest.raises(QuizNotAvailable):
        start_attempt(make_quiz(course, questions, archived=True), enrolment, now=NOW)
    with pytest.raises(QuizHasNoQuestions):
        start_attempt(make_quiz(course, [], title="Empty"), enrolment, now=NOW)


def test_the_attempt_count_is_enforced(make_quiz, course, questions, enrolment):
    quiz = make_quiz(course, questions, attempts_allowed=1)
    attempt = start_attempt(quiz, enrolment, now=NOW)
    submit_attempt(attempt, {}, now=NOW, by=enrolment.learner)
    db.session.commit()

    with pytest.raises(NoAttemptsLeft, match="used your 1 attempt"):
        start_attempt(quiz, enrolment, now=NOW)
    assert count(Attempt) == 1


def test_an_attempt_in_progress_counts_towards_the_limit(make_quiz, course, questions, enrolment):
    quiz = make_quiz(course, questions, attempts_allowed=2, time_limit_minutes=10)
    start_attempt(quiz, enrolment, now=NOW)
    # The first ran out of time: starting finishes it, then starts the second and last.
    second = start_attempt(quiz, enrolment, now=NOW + timedelta(minutes=11))
    db.session.commit()
    assert second.number == 2
    first = db.session.scalar(select(Attempt).where(Attempt.number == 1))
    assert first.timed_out and first.submitted_at == NOW + timedelta(minutes=10)
    submit_attempt(second, {}, now=NOW + timedelta(minutes=12), by=enrolment.learner)
    with pytest.raises(NoAttemptsLeft):
        start_attempt(quiz, enrolment, now=NOW + timedelta(minutes=13))


# --- draws and shuffling ----------------------------------------------------------------------


def test_a_draw_picks_questions_from_its_bank_category(make_question, make_quiz, course, enrolment):
    fixed = make_question(course, "Fixed", category="Risk")
    risk = [make_question(course, f"Risk {n}", category="Risk") for n in range(5)]
    make_question(course, "Old risk", category="Risk", retired=True)
    make_question(course, "Planning", category="Planning")
    quiz = make_quiz(course, [fixed], draws=[("Risk", 3)])

    attempt = start_attempt(quiz, enrolment, now=NOW, rng=random.Random(7))

    ids = [aq.question_id for aq in attempt.questions]
    assert ids[0] == fixed.id
    assert len(ids) == 4 and len(set(ids)) == 4
    assert set(ids[1:]) <= {q.id for q in risk}


def test_a_draw_from_too_small_a_bank_is_refused(make_question, make_quiz, course, enrolment):
    make_question(course, "Risk 1", category="Risk")
    quiz = make_quiz(course, draws=[("Risk", 2)])
    with pytest.raises(BankTooSmall, match="'Risk'"):
        start_attempt(quiz, enrolment, now=NOW)
    assert count(Attempt) == 0


def test_shuffling_does_not_break_marking(make_quiz, course, questions, enrolment):
    quiz = make_quiz(course, questions, shuffle_questions=True, shuffle_options=True)
    attempt = start_attempt(quiz, enrolment, now=NOW, rng=random.Random(3))
    shown = [aq.question_id for aq in attempt.questions]
    orders = {aq.question_id: aq.option_order for aq in attempt.questions}
    assert sorted(shown) == sorted(q.id for q in questions)
    assert shown != [q.id for q in questions] or any(
        orders[q.id] != [o.id for o in q.options] for q in questions
    ), "the seed should have shuffled something"

    # Answer by option id, whatever the order shown.
    submit_attempt(attempt, right_answers(questions), now=NOW, by=enrolment.learner)
    db.session.commit()

    assert attempt.score == attempt.max_score == Decimal("4")
    assert attempt.percent == Decimal("100.00")
    assert attempt.passed is True


def test_true_false_options_keep_their_order_when_shuffled(
    make_question, make_quiz, course, enrolment
):
    question = make_question(course, "True?")
    quiz = make_quiz(course, [question], shuffle_options=True)
    for seed in range(5):
        attempt = start_attempt(quiz, enrolment, now=NOW, rng=random.Random(seed))
        assert attempt.questions[0].option_order == [o.id for o in question.options]
        db.session.rollback()


# --- saving answers ---------------------------------------------------------------------------


def test_answers_save_and_replace(quiz, enrolment, questions):
    attempt = start_attempt(quiz, enrolment, now=NOW)
    single, multiple, _ = questions
    save_answers(attempt, {single.id: options(single, correct=False)[:1]}, now=NOW)
    save_answers(attempt, {multiple.id: [multiple.options[2].id, multiple.options[0].id]}, now=NOW)
    db.session.commit()

    answers = saved(attempt)
    assert answers[single.id] == options(single, correct=False)[:1]
    assert answers[multiple.id] == [multiple.options[0].id, multiple.options[2].id]  # as shown

    save_answers(attempt, {multiple.id: []}, now=NOW)
    db.session.commit()
    assert saved(attempt)[multiple.id] == []


@pytest.fixture
def answered(quiz, enrolment, questions):
    """An attempt with a saved answer to each question."""
    attempt = start_attempt(quiz, enrolment, now=NOW)
    save_answers(attempt, right_answers(questions), now=NOW)
    db.session.commit()
    return attempt


@pytest.mark.parametrize(
    "case",
    range(4),
    ids=[
        "question-of-another-attempt",
        "option-of-another-question",
        "two-on-single",
        "true-and-false",
    ],
)
def test_tampered_answers_are_refused_and_change_nothing(
    case, answered, questions, make_question, make_quiz, make_enrolment, cohort, course
):
    single, multiple, true_false = questions
    other = make_question(course, "In someone else's quiz")
    other_attempt = start_attempt(
        make_quiz(course, [other], title="Other"), make_enrolment(cohort), now=NOW
    )
    db.session.commit()
    before = saved(answered)
    answered = db.session.get(Attempt, answered.id)
    cases = [
        (
            {
                single.id: options(single, correct=False)[:1],
                other_attempt.questions[0].question_id: [],
            },
            AnswerNotInAttempt,
        ),
        ({single.id: [true_false.options[0].id], multiple.id: []}, OptionNotOfQuestion),
        ({multiple.id: [], single.id: [o.id for o in single.options[:2]]}, OneAnswerOnly),
        ({true_false.id: [o.id for o in true_false.options]}, OneAnswerOnly),
    ]
    sent, error = cases[case]

    with pytest.raises(error):
        save_answers(answered, sent, now=NOW)
    db.session.rollback()
    assert saved(answered) == before

    answered = db.session.get(Attempt, answered.id)
    with pytest.raises(error):
        submit_attempt(answered, sent, now=NOW, by=answered.enrolment.learner)
    db.session.rollback()
    assert saved(answered) == before
    assert db.session.get(Attempt, answered.id).submitted_at is None


def test_saving_after_the_deadline_is_refused(make_quiz, course, questions, enrolment):
    quiz = make_quiz(course, questions, time_limit_minutes=30)
    attempt = start_attempt(quiz, enrolment, now=NOW)
    db.session.commit()
    with pytest.raises(TimeUp, match="Time is up"):
        save_answers(attempt, right_answers(questions), now=NOW + timedelta(minutes=31))
    db.session.rollback()
    assert all(answer == [] for answer in saved(attempt).values())


def test_answers_sent_within_the_grace_count_as_sent_at_the_deadline(
    make_quiz, course, questions, enrolment
):
    quiz = make_quiz(course, questions, time_limit_minutes=30)
    attempt = start_attempt(quiz, enrolment, now=NOW)
    db.session.commit()
    deadline = NOW + timedelta(minutes=30)
    save_answers(attempt, right_answers(questions), now=deadline + GRACE)
    submit_attempt(attempt, right_answers(questions), now=deadline + GRACE, by=enrolment.learner)
    db.session.commit()
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert (attempt.submitted_at, attempt.timed_out) == (deadline, False)
    assert attempt.score == attempt.max_score


def test_finish_expired_leaves_an_attempt_within_its_grace(make_quiz, course, questions, enrolment):
    quiz = make_quiz(course, questions, time_limit_minutes=30)
    attempt = start_attempt(quiz, enrolment, now=NOW - timedelta(minutes=30) - GRACE)
    db.session.commit()
    assert finish_expired(NOW) == 0
    assert finish_expired(NOW + timedelta(seconds=1)) == 1
    assert attempt.timed_out is True


# --- submitting -----------------------------------------------------------------------------------


def test_submitting_marks_the_attempt(quiz, enrolment, questions):
    attempt = start_attempt(quiz, enrolment, now=NOW)
    single, multiple, true_false = questions
    answers = right_answers(questions)
    answers[multiple.id] = answers[multiple.id][:1]  # half right is wrong
    submit_attempt(attempt, answers, now=NOW + timedelta(minutes=3), by=enrolment.learner)
    db.session.commit()
    db.session.expire_all()

    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.submitted_at == NOW + timedelta(minutes=3)
    assert attempt.timed_out is False
    assert (attempt.score, attempt.max_score) == (Decimal("2"), Decimal("4"))
    assert attempt.percent == Decimal("50.00")
    assert attempt.passed is False
    points = {aq.question_id: aq.points_awarded for aq in attempt.questions}
    assert points == {
        single.id: Decimal("1"),
        multiple.id: Decimal("0"),
        true_false.id: Decimal("1"),
    }
    [event] = events("attempt.submitted")
    assert event.actor_id == enrolment.learner.id
    assert event.after["score"] == "2" and event.after["passed"] is False


def test_a_second_submission_is_refused_and_the_score_stays(quiz, enrolment, questions):
    attempt = start_attempt(quiz, enrolment, now=NOW)
    submit_attempt(attempt, right_answers(questions), now=NOW, by=enrolment.learner)
    db.session.commit()

    attempt = db.session.get(Attempt, attempt.id)
    with pytest.raises(AlreadySubmitted, match="already been submitted"):
        submit_attempt(attempt, {questions[0].id: []}, now=NOW, by=enrolment.learner)
    db.session.rollback()
    with pytest.raises(AlreadySubmitted):
        save_answers(db.session.get(Attempt, attempt.id), {questions[0].id: []}, now=NOW)
    db.session.rollback()

    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.score == Decimal("4") and attempt.passed is True
    assert saved(attempt) == right_answers(questions)
    assert len(events("attempt.submitted")) == 1


def test_a_racing_submission_that_read_the_attempt_before_it_was_submitted_is_refused(
    quiz, enrolment, questions
):
    attempt = start_attempt(quiz, enrolment, now=NOW)
    db.session.commit()
    stale = db.session.get(Attempt, attempt.id)
    attempts.load_questions(stale)
    # Another request submits it behind this session's back.
    db.session.execute(
        Attempt.__table__.update()
        .where(Attempt.id == attempt.id)
        .values(submitted_at=NOW, score=0, max_score=4, percent=0, passed=False)
    )
    assert stale.submitted_at is None  # this request still thinks it is open

    with pytest.raises(AlreadySubmitted):
        submit_attempt(stale, right_answers(questions), now=NOW, by=enrolment.learner)
    db.session.rollback()
    assert events("attempt.submitted") == []


def test_submitting_after_the_deadline_marks_the_answers_saved_in_time(
    make_quiz, course, questions, enrolment
):
    quiz = make_quiz(course, questions, time_limit_minutes=30)
    attempt = start_attempt(quiz, enrolment, now=NOW)
    single, multiple, _ = questions
    save_answers(
        attempt, {single.id: options(single, correct=True)}, now=NOW + timedelta(minutes=29)
    )
    db.session.commit()

    late = NOW + timedelta(minutes=45)
    submit_attempt(attempt, right_answers(questions), now=late, by=enrolment.learner)
    db.session.commit()
    db.session.expire_all()

    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.timed_out is True
    assert attempt.submitted_at == NOW + timedelta(minutes=30)
    assert attempt.score == Decimal("1")  # only the answer saved in time
    assert saved(attempt)[multiple.id] == []


def test_finish_expired_finishes_only_attempts_past_their_deadline(
    make_quiz, course, questions, cohort, make_enrolment
):
    timed = make_quiz(course, questions, time_limit_minutes=10, title="Timed")
    untimed = make_quiz(course, questions, title="Untimed")
    ann, bo, cy = (make_enrolment(cohort) for _ in range(3))
    expired = start_attempt(timed, ann, now=NOW - timedelta(hours=1))
    save_answers(
        expired,
        {questions[2].id: options(questions[2], correct=True)},
        now=NOW - timedelta(hours=1),
    )
    running = start_attempt(timed, bo, now=NOW - timedelta(minutes=5))
    open_ended = start_attempt(untimed, cy, now=NOW - timedelta(days=3))
    other = start_attempt(timed, cy, now=NOW - timedelta(hours=2))
    db.session.commit()

    assert finish_expired(NOW, enrolment_ids=[ann.id]) == 1
    db.session.commit()
    assert finish_expired(NOW, enrolment_ids=[]) == 0
    assert finish_expired(NOW) == 1  # cy's timed attempt; ann's is done
    db.session.commit()
    assert finish_expired(NOW) == 0

    db.session.expire_all()
    expired, running, open_ended, other = (
        db.session.get(Attempt, a.id) for a in (expired, running, open_ended, other)
    )
    assert expired.timed_out and expired.submitted_at == NOW - timedelta(minutes=50)
    assert expired.score == Decimal("1")
    assert other.timed_out and other.score == Decimal("0")
    assert running.submitted_at is None and open_ended.submitted_at is None
    assert [e.actor_id for e in events("attempt.submitted")] == [None, None]


def test_a_learner_no_longer_confirmed_cannot_change_an_attempt(quiz, enrolment, questions):
    attempt = start_attempt(quiz, enrolment, now=NOW)
    enrolment.status = EnrolmentStatus.WITHDRAWN
    db.session.commit()
    with pytest.raises(attempts.PlaceNoLongerConfirmed):
        save_answers(attempt, right_answers(questions), now=NOW)
    with pytest.raises(attempts.PlaceNoLongerConfirmed):
        submit_attempt(attempt, None, now=NOW, by=enrolment.learner)
    with pytest.raises(NotConfirmed):
        start_attempt(quiz, enrolment, now=NOW)


def test_the_question_type_decides_how_many_options_may_be_chosen(quiz, enrolment, questions):
    attempt = start_attempt(quiz, enrolment, now=NOW)
    multiple = questions[1]
    assert multiple.type == QuestionType.MULTIPLE
    save_answers(attempt, {multiple.id: [o.id for o in multiple.options]}, now=NOW)
    assert saved(attempt)[multiple.id] == [o.id for o in multiple.options]


def test_the_tick_command_finishes_attempts_whose_time_ran_out(
    app, make_quiz, course, questions, enrolment
):
    quiz = make_quiz(course, questions, time_limit_minutes=10)
    attempt = start_attempt(quiz, enrolment, now=NOW - timedelta(hours=1))
    db.session.commit()

    first = app.test_cli_runner().invoke(args=["lms", "tick"])
    second = app.test_cli_runner().invoke(args=["lms", "tick"])

    assert first.exit_code == 0, first.output
    assert "Finished 1 quiz attempt(s) whose time ran out." in first.output
    assert "Finished 0 quiz attempt(s) whose time ran out." in second.output
    db.session.expire_all()
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.timed_out and attempt.submitted_at == NOW - timedelta(minutes=50)
