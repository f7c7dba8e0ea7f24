"""The assessment pages of a 100-learner cohort with a 20-question quiz issue the same
number of SQL statements as those of a 5-learner cohort with a 5-question quiz.

One test builds both cohorts in bulk (one commit each) and visits, as the learner, the
quiz page, an attempt in progress and a submitted one; as the trainer, the marking list,
a submission's marking page, the gradebook and its CSV, the close preview, the quiz's
authoring page and the question bank. Closing itself (a fixed number of statements for
any size of cohort) is measured in tests/courses/cohorts/test_closing.py; the whole-app
check of every GET page is tests/test_statement_counts.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest

from courses.assessments import attempts
from courses.assessments.models import (
    Assessment,
    Attempt,
    Question,
    QuestionOption,
    QuestionType,
    Submission,
    SubmissionFile,
    SubmissionStatus,
)
from courses.models import Cohort, CohortStatus, Enrolment, EnrolmentStatus
from lms.auth.models import User
from lms.core.db import utcnow
from lms.core.extensions import db
from tests.courses.test_completion import A, P, mark
from tests.helpers import MONTH_AGO, days, sign_in, span

PASSED, SUBMITTED = SubmissionStatus.PASSED, SubmissionStatus.SUBMITTED


@dataclass
class Built:
    cohort: Cohort
    quiz: Assessment
    assignment: Assessment
    learner: User  # took the quiz through the service: one attempt submitted, one not
    submitted: Attempt
    in_progress: Attempt
    submission: Submission  # a learner's, with a file


def _question(course, number: int) -> Question:
    question = Question(
        course=course,
        type=QuestionType.MULTIPLE if number % 3 == 0 else QuestionType.SINGLE,
        text=f"Question {number}",
        category=f"Topic {number % 4}",
        feedback="Because.",
    )
    question.options = [
        QuestionOption(text=text, correct=right, position=position, feedback="Noted.")
        for position, (text, right) in enumerate(
            [("Right", True), ("Also right", number % 3 == 0), ("Wrong", False)]
        )
    ]
    return question


def _file(number: int) -> SubmissionFile:
    return SubmissionFile(
        filename=f"pid-{number}.pdf",
        media_type="application/pdf",
        size=5,
        sha256="0" * 64,
        content=b"%PDF-",
    )


@pytest.fixture
def build(make_course, make_cohort, make_quiz, make_assignment, trainer, password_hash):
    """`build(learners, questions)`: a course of its own with a quiz of that many
    questions and an assignment, and a cohort of that many learners (taught by the
    trainer), each with attendance marks, a scored attempt and, for most, a submission
    with a file. Its first learner has taken the quiz through the service."""

    def make(learners: int, questions: int) -> Built:
        course = make_course(min_attendance_percent=80)
        asked = [_question(course, number) for number in range(questions)]
        db.session.add_all(asked)
        db.session.flush()
        for question in asked:
            question.family_id = question.id
        quiz = make_quiz(course, asked, title="PM basics", position=1, attempts_allowed=5)
        assignment = make_assignment(course, title="PID assignment", position=2)
        cohort = make_cohort(
            course,
            status=CohortStatus.RUNNING,
            capacity=200,
            trainers=[trainer],
            sessions=[span(days(-10 + 2 * k)) for k in range(5)],
        )
        places = []
        for number in range(learners):
            place = Enrolment(
                cohort=cohort,
                learner=User(
                    email=f"c{cohort.id}.learner{number}@example.nhs.uk",
                    full_name=f"Learner {number} of {cohort.code}",
                    password_hash=password_hash,
                ),
                status=EnrolmentStatus.CONFIRMED,
                requested_at=MONTH_AGO,
                confirmed_at=MONTH_AGO,
            )
            db.session.add(place)
            places.append(place)
            mark(place, [P, P, P, P, A if number % 3 else P], commit=False)
            if number:
                percent = Decimal(40 + number % 60)
                db.session.add(
                    Attempt(
                        assessment=quiz,
                        enrolment=place,
                        number=1,
                        started_at=days(-2),
                        submitted_at=days(-2),
                        score=percent,
                        max_score=Decimal(100),
                        percent=percent,
                        passed=percent >= quiz.pass_mark_percent,
                        pass_mark_percent=quiz.pass_mark_percent,
                    )
                )
            if number % 4:
                db.session.add(
                    Submission(
                        assessment=assignment,
                        enrolment=place,
                        number=1,
                        text="My PID",
                        submitted_at=days(-1),
                        status=(PASSED, SUBMITTED)[number % 2],
                        file=_file(number),
                    )
                )
        db.session.commit()

        first = places[0]
        submitted = attempts.start_attempt(quiz, first, now=utcnow())
        attempts.submit_attempt(
            submitted,
            {aq.question_id: [aq.option_order[0]] for aq in submitted.questions},
            now=utcnow(),
            by=first.learner,
        )
        db.session.commit()
        in_progress = attempts.start_attempt(quiz, first, now=utcnow())
        db.session.commit()
        submission = db.session.scalars(
            db.select(Submission).where(Submission.enrolment_id == places[1].id)
        ).one()
        return Built(cohort, quiz, assignment, first.learner, submitted, in_progress, submission)

    return make


def _pages(built: Built) -> dict[str, tuple[str, str]]:
    """page -> (who visits, address)."""
    cohort, quiz = built.cohort, built.quiz
    return {
        "quiz": ("learner", f"/assessments/{quiz.id}"),
        "attempt in progress": ("learner", f"/attempts/{built.in_progress.id}"),
        "attempt submitted": ("learner", f"/attempts/{built.submitted.id}"),
        "assignment": ("learner", f"/assessments/{built.assignment.id}"),
        "marking list": (
            "trainer",
            f"/teach/cohorts/{cohort.id}/assessments/{built.assignment.id}/marking",
        ),
        "marking a submission": ("trainer", f"/teach/submissions/{built.submission.id}"),
        "gradebook": ("trainer", f"/teach/cohorts/{cohort.id}/gradebook"),
        "gradebook CSV": ("trainer", f"/teach/cohorts/{cohort.id}/gradebook.csv"),
        "close preview": ("trainer", f"/teach/cohorts/{cohort.id}/close"),
        "quiz authoring": ("trainer", f"/teach/assessments/{quiz.id}"),
        "question bank": ("trainer", f"/teach/courses/{quiz.course.code}/questions"),
    }


def test_100_learners_and_20_questions_cost_what_5_and_5_cost(app, build, trainer, count_queries):
    def measure(learners: int, questions: int) -> dict[str, tuple[int, int]]:
        built = build(learners, questions)
        clients = {}
        for who, person in (("learner", built.learner), ("trainer", trainer)):
            clients[who] = app.test_client()
            sign_in(clients[who], person.get_id())
        measured, shown = {}, {}
        for page, (who, address) in _pages(built).items():
            clients[who].get(address)  # warm-up: nothing cached on a first visit is counted
            with count_queries() as counter:
                response = clients[who].get(address)
            measured[page] = (response.status_code, counter.count)
            shown[page] = response.get_data(as_text=True)
        # the pages show the data measured: every question, every learner
        last = f"Question {questions - 1}"
        assert last in shown["attempt in progress"] and last in shown["attempt submitted"]
        assert last in shown["quiz authoring"]
        assert len(shown["gradebook CSV"].splitlines()) == 1 + learners
        listed = {
            page: sum(f"Learner {n} of" in shown[page] for n in range(learners))
            for page in ("gradebook", "marking list", "close preview")
        }
        paged = min(learners, 50)  # the gradebook and marking list show 50 a page
        assert listed == {"gradebook": paged, "marking list": paged, "close preview": learners}
        return measured

    few = measure(5, 5)
    assert {page for page, (status, _) in few.items() if status != 200} == set(), few
    many = measure(100, 20)
    grown = {page: (few[page], many[page]) for page in few if few[page] != many[page]}
    assert grown == {}, f"pages whose statements grew: {grown}"
