"""The course survey (lms/impact/reaction.py): who may answer, answering and changing one's
answers in one transaction, the invitation when a cohort closes (once each), and a
cohort's results from aggregate queries."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from courses.attendance import mark_register
from courses.cohorts.closing import close_cohort, reopen_cohort
from courses.models import CohortStatus, EnrolmentStatus
from lms.auth.models import Role
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from lms.impact import questions as question_sets
from lms.impact import reaction
from lms.impact.models import (
    EvaluationInvitation,
    QuestionKind,
    ReactionAnswer,
    ReactionQuestion,
    ReactionResponse,
)
from lms.impact.questions import DEFAULT_QUESTIONS, Settings
from lms.impact.reaction import ReactionError, ReactionRefused
from tests.helpers import as_sent, count, days, events

ANONYMOUS, NAMED = Settings(anonymous=True), Settings(anonymous=False)


@pytest.fixture
def cohort(make_closed_cohort, course):
    return make_closed_cohort(course, code="PM-CLOSED")


@pytest.fixture
def place(cohort, make_completion, learner):
    return make_completion(cohort, learner)


def answers_for(asked, scores=(4, 4, 4, 4, 4), comment=None) -> dict:
    scale = [q for q in asked if q.kind == QuestionKind.SCALE]
    found = {question_sets.key(q): score for q, score in zip(scale, scores, strict=False)}
    for question in asked:
        if question.kind == QuestionKind.TEXT:
            found[question_sets.key(question)] = comment
    return found


def saved(enrolment) -> dict[str, object]:
    """The enrolment's stored answers, by question words."""
    rows = db.session.execute(
        select(ReactionQuestion.text, ReactionAnswer.score, ReactionAnswer.text)
        .join(ReactionAnswer, ReactionAnswer.question_id == ReactionQuestion.id)
        .join(ReactionResponse, ReactionResponse.id == ReactionAnswer.response_id)
        .where(ReactionResponse.enrolment_id == enrolment.id)
    ).all()
    return {question: score if score is not None else text for question, score, text in rows}


# --- who may answer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cohort_status", "status", "open_"),
    [
        (CohortStatus.CLOSED, EnrolmentStatus.COMPLETED, True),
        (CohortStatus.CLOSED, EnrolmentStatus.NOT_COMPLETED, True),
        (CohortStatus.CLOSED, EnrolmentStatus.WITHDRAWN, False),
        (CohortStatus.CLOSED, EnrolmentStatus.CANCELLED, False),
        (CohortStatus.RUNNING, EnrolmentStatus.CONFIRMED, False),
        (CohortStatus.RUNNING, EnrolmentStatus.COMPLETED, False),  # reopened
    ],
)
def test_the_survey_opens_when_the_cohort_closes_for_those_who_took_part(
    make_cohort, make_enrolment, course, cohort_status, status, open_
):
    enrolment = make_enrolment(make_cohort(course, status=cohort_status), status=status)
    assert reaction.may_answer(enrolment) is open_
    assert (reaction.refusal(enrolment) is None) is open_


# --- answering -------------------------------------------------------------------------------


def test_answering_saves_every_answer_and_stores_the_defaults(place):
    asked = question_sets.asked(place.cohort.course)
    assert all(q.id is None for q in asked)  # the page showed the defaults from code
    response = reaction.submit(
        place, asked, answers_for(asked, (5, 4, 3, 2, 1), "More time"), now=utcnow()
    )
    db.session.commit()
    assert count(ReactionQuestion) == len(DEFAULT_QUESTIONS)
    assert saved(place) == {
        DEFAULT_QUESTIONS[0][1]: 5,
        DEFAULT_QUESTIONS[1][1]: 4,
        DEFAULT_QUESTIONS[2][1]: 3,
        DEFAULT_QUESTIONS[3][1]: 2,
        DEFAULT_QUESTIONS[4][1]: 1,
        DEFAULT_QUESTIONS[5][1]: "More time",
    }
    assert response.enrolment_id == place.id
    assert events() == []  # a learner's answers are not audited: the log would name them


def test_answering_again_changes_the_one_response(place):
    asked = question_sets.stored(question_sets.asked(place.cohort.course))
    first = reaction.submit(place, asked, answers_for(asked, comment="Good"), now=days(-1))
    db.session.commit()
    reaction.submit(place, asked, answers_for(asked, (1, 1, 1, 1, 1), None), now=utcnow())
    db.session.commit()
    assert count(ReactionResponse) == 1
    assert db.session.scalar(select(ReactionResponse.id)) == first.id
    answers = saved(place)
    assert set(answers.values()) == {1}  # the comment, cleared, is gone
    assert count(ReactionAnswer) == 5


def test_a_missing_or_impossible_score_refuses_everything(place):
    asked = question_sets.asked(place.cohort.course)
    answers = answers_for(asked, (5, 0, 6, None), "x" * 2001)
    with pytest.raises(ReactionRefused) as refused:
        reaction.submit(place, asked, answers, now=utcnow())
    keys = [question_sets.key(q) for q in asked]
    assert [problem.field for problem in refused.value.problems] == keys[1:]
    assert refused.value.problems[1].message == f"Choose how much you agree: {asked[2].text}"
    assert refused.value.problems[-1].message == "Your answer must be 2,000 characters or fewer"
    db.session.rollback()
    assert count(ReactionResponse) == 0 and count(ReactionQuestion) == 0


def test_a_survey_not_open_refuses(make_cohort, make_enrolment, course):
    enrolment = make_enrolment(make_cohort(course))
    asked = question_sets.asked(course)
    with pytest.raises(ReactionError, match="once your cohort has closed"):
        reaction.submit(enrolment, asked, answers_for(asked), now=utcnow())


def test_answers_to_questions_no_longer_asked_are_kept(place, admin):
    asked = question_sets.stored(question_sets.asked(place.cohort.course))
    reaction.submit(place, asked, answers_for(asked, (2, 2, 2, 2, 2)), now=days(-1))
    db.session.commit()
    old = asked[0]
    new = question_sets.change_question(old, QuestionKind.SCALE, "Reworded", by=admin)
    db.session.commit()
    asked_now = question_sets.asked(place.cohort.course)
    assert asked_now[0].id == new.id
    reaction.submit(place, asked_now, answers_for(asked_now, (5, 5, 5, 5, 5)), now=utcnow())
    db.session.commit()
    answers = saved(place)
    assert answers[old.text] == 2 and answers["Reworded"] == 5
    # and the form is filled from the answers to the questions asked now
    filled = reaction.answers_by_key(asked_now, reaction.response_of(place.id))
    assert filled[f"q{new.id}"] == 5 and f"q{old.id}" not in filled


def test_questions_changed_since_the_page_was_shown_are_refused(place, admin):
    asked = question_sets.stored(question_sets.asked(place.cohort.course))
    question_sets.remove_question(asked[0], by=admin)  # unanswered: deleted
    db.session.commit()
    with pytest.raises(ReactionError, match="questions have changed"):
        reaction.submit(place, asked, answers_for(asked), now=utcnow())


# --- the invitation --------------------------------------------------------------------------


@pytest.fixture
def closable(make_cohort, make_enrolment, make_user, make_course, trainer):
    """A running cohort whose one session has ended, with two confirmed learners (one
    inactive), a withdrawn one and a waitlisted one."""
    course = make_course(title="Project management", learning_outcomes=["Plan", "Report"])
    start = utcnow().replace(microsecond=0) - timedelta(days=2)
    cohort = make_cohort(
        course,
        code="PM-CLOSING",
        status=CohortStatus.RUNNING,
        sessions=[(start, start + timedelta(hours=3))],
        trainers=[trainer],
    )
    people = {}
    for name, status in (
        ("ann", EnrolmentStatus.CONFIRMED),
        ("ben", EnrolmentStatus.CONFIRMED),
        ("cat", EnrolmentStatus.WITHDRAWN),
        ("dan", EnrolmentStatus.WAITLISTED),
        ("eve", EnrolmentStatus.CONFIRMED),
    ):
        person = make_user(f"{name}@example.nhs.uk", full_name=name.title())
        people[name] = make_enrolment(
            cohort, person, status, requested_at=start - timedelta(days=10)
        )
    people["eve"].learner.is_active_account = False
    db.session.commit()
    return cohort, people


def test_closing_a_cohort_invites_each_learner_who_may_answer_once(closable, trainer, admin):
    """Closing (the signal) invites those who completed or did not, by mail with full
    links; closing again after reopening invites nobody twice."""
    cohort, people = closable
    ann, ben = people["ann"], people["ben"]
    mark_register(
        cohort.sessions[0],
        {ann.id: ("present", None), ben.id: ("absent", None)},
        by=trainer,
        now=utcnow(),
    )
    db.session.commit()
    close_cohort(cohort, by=trainer, now=utcnow())
    db.session.commit()  # the receiver runs after the commit and commits its own work
    messages = {m.recipient: m for m in db.session.scalars(select(OutboxMessage))}
    invited = {r for r in messages if r in ("ann@example.nhs.uk", "ben@example.nhs.uk")}
    assert invited == {"ann@example.nhs.uk", "ben@example.nhs.uk"}
    assert count(EvaluationInvitation) == 2
    assert (ann.status, ben.status) == (EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED)
    text = as_sent(messages["ann@example.nhs.uk"])
    assert (
        messages["ann@example.nhs.uk"].subject == "Tell us what you thought of Project management"
    )
    assert f"http://localhost/evaluations/{ann.id}/reaction" in text
    assert f"http://localhost/evaluations/{ann.id}/confidence/after" in text
    assert text.endswith("See all your evaluations:\nhttp://localhost/evaluations/")
    assert (
        f'href="http://localhost/evaluations/{ann.id}/reaction"'
        in messages["ann@example.nhs.uk"].body_html
    )
    # not completed: the survey, but nothing to rate after the course
    text = as_sent(messages["ben@example.nhs.uk"])
    assert f"http://localhost/evaluations/{ben.id}/reaction" in text
    assert "/confidence/after" not in text

    before = count(OutboxMessage)
    reopen_cohort(cohort, "A register was wrong", by=admin)
    db.session.commit()
    close_cohort(cohort, by=admin, now=utcnow())
    db.session.commit()
    assert count(EvaluationInvitation) == 2
    assert count(OutboxMessage, OutboxMessage.subject.like("Tell us what you thought%")) == 2
    assert count(OutboxMessage) >= before


def test_invite_mails_only_those_it_records(make_closed_cohort, make_completion, make_user, course):
    cohort = make_closed_cohort(course)
    completed = make_completion(cohort, make_user("done@example.nhs.uk"))
    not_completed = make_completion(
        cohort, make_user("nearly@example.nhs.uk"), status=EnrolmentStatus.NOT_COMPLETED
    )
    db.session.add(EvaluationInvitation(enrolment_id=completed.id, reaction_invited_at=utcnow()))
    db.session.commit()
    assert reaction.invite(cohort.id, now=utcnow()) == 1
    assert reaction.invite(cohort.id, now=utcnow()) == 0
    [message] = db.session.scalars(select(OutboxMessage)).all()
    assert message.recipient == "nearly@example.nhs.uk"
    assert f"/evaluations/{not_completed.id}/reaction" in message.body_text
    # a course without learning outcomes: nothing to rate after it
    assert "confidence" not in message.body_text


def test_the_invitation_offers_rating_confidence_after_to_those_who_completed(
    make_closed_cohort, make_completion, make_course
):
    course = make_course(learning_outcomes=["Plan a project"])
    cohort = make_closed_cohort(course)
    done = make_completion(cohort)
    make_completion(cohort, status=EnrolmentStatus.NOT_COMPLETED)
    assert reaction.invite(cohort.id, now=utcnow()) == 2
    links = {
        m.recipient: "/confidence/after" in m.body_text
        for m in db.session.scalars(select(OutboxMessage))
    }
    assert links[done.learner.email] is True and sorted(links.values()) == [False, True]


# --- results ---------------------------------------------------------------------------------


@pytest.fixture
def answered_cohort(cohort, make_completion, make_reaction_response, make_user):
    """Three learners' answers: scores 4, 5 and 5 to every statement; comments."""
    for name, score, comment in (
        ("Zoë Ashworth", 4, "more case studies"),
        ("Yusuf Bello", 5, "A longer lunch"),
        ("Xia Chen", 5, None),
    ):
        email = name.split()[0].lower() + "@example.nhs.uk"
        place = make_completion(cohort, make_user(email, full_name=name))
        make_reaction_response(place, [score], comment)
    return cohort


def test_results_count_average_and_distribute_each_statement(answered_cohort):
    results = reaction.cohort_results(answered_cohort, ANONYMOUS)
    assert results.responses == 3 and results.shown and results.named == []
    first = results.scales[0]
    assert first.question.text == DEFAULT_QUESTIONS[0][1]
    assert (first.count, first.average, first.distribution) == (
        3,
        Decimal("4.67"),
        (0, 0, 0, 1, 2),
    )
    assert first.bars == [(1, 0, 0), (2, 0, 0), (3, 0, 0), (4, 1, 33), (5, 2, 67)]
    assert len(results.scales) == 5
    [comments] = results.texts
    # by their words, whatever the case, never by who or when
    assert comments.answers == ("A longer lunch", "more case studies")


def test_results_of_an_anonymous_course_need_three_responses(
    cohort, make_completion, make_reaction_response
):
    for score in (1, 5):
        make_reaction_response(make_completion(cohort), [score], "Said something")
    results = reaction.cohort_results(cohort, ANONYMOUS)
    assert (results.responses, results.shown) == (2, False)
    assert results.scales == [] and results.texts == [] and results.named == []
    named = reaction.cohort_results(cohort, NAMED)
    assert named.shown and named.scales[0].count == 2 and len(named.named) == 2


def test_a_named_course_lists_each_response_by_name(answered_cohort):
    results = reaction.cohort_results(answered_cohort, NAMED)
    assert [response.name for response in results.named] == [
        "Xia Chen",
        "Yusuf Bello",
        "Zoë Ashworth",
    ]
    first = results.scales[0].question
    assert results.named[2].answers[first.id].score == 4


def test_results_show_earlier_versions_the_cohort_answered(answered_cohort, admin):
    old = question_sets.default_questions()[0]
    new = question_sets.change_question(old, QuestionKind.SCALE, "Reworded", by=admin)
    db.session.commit()
    results = reaction.cohort_results(answered_cohort, ANONYMOUS)
    shown = [(r.question.id, r.count) for r in results.scales]
    assert shown[:2] == [(old.id, 3), (new.id, 0)]


def test_results_of_another_cohort_are_not_these(answered_cohort, make_closed_cohort, course):
    other = make_closed_cohort(course, code="PM-OTHER")
    results = reaction.cohort_results(other, ANONYMOUS)
    assert results.responses == 0 and results.scales == []


def test_results_cost_the_same_statements_for_3_responses_as_for_30(
    cohort, make_completion, make_reaction_response, count_queries, make_user
):
    def measure():
        db.session.expire_all()
        with count_queries() as counter:
            reaction.cohort_results(cohort, NAMED)
        return counter.count

    for _ in range(3):
        make_reaction_response(make_completion(cohort), [3], "Fine")
    few = measure()
    for number in range(27):
        make_reaction_response(make_completion(cohort), [number % 5 + 1], f"Comment {number}")
    assert measure() == few


def test_a_trainer_role_does_not_change_the_results(answered_cohort, make_user):
    """Results depend on the course's setting only, not on who asks."""
    make_user("t@example.nhs.uk", roles=[Role.TRAINER])
    assert reaction.cohort_results(answered_cohort, ANONYMOUS).named == []
