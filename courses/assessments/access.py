"""Who may use an assessment's pages: one loader and decorator per kind of object.

- **Authors** build a course's assessments and question bank: admins, and people
  holding the trainer role who teach any cohort of the course (`may_author`).
  `course_author(load=...)` guards those views.
- **Learners** take an assessment through their own enrolment on a cohort of its
  course: confirmed (taking it), or completed / not completed (seeing their results).
  `learner_enrolment` finds it; an attempt or submission is only ever its learner's.
- **Markers** are the managers of the submission's cohort (`courses.cohorts.access`).

Like `cohort_manager`, each decorator logs the visitor in, loads the object named by the
URL argument, passes it to the view as a keyword and answers 404 for anyone not
allowed, so an object's existence is not revealed. The rules are declared as data
(`ObjectRule`), so the access-matrix test calls every such route as an outsider.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user
from sqlalchemy import exists, select
from sqlalchemy.orm import joinedload, selectinload

from courses.assessments.models import Assessment, Attempt, Question, Submission
from courses.cohorts.access import MANAGER, may_manage
from courses.models import Cohort, Course, Enrolment, EnrolmentStatus, cohort_trainer
from lms.auth.access import ObjectRule, declare_object_rule, login_required
from lms.auth.models import User
from lms.core.extensions import db

AUTHOR = "admin, or trainer of a cohort of this course"
LEARNER = "the learner themself"
MARKER_OR_LEARNER = "the learner themself, or admin or trainer of their cohort"

# The enrolments through which a learner sees an assessment: taking it while confirmed,
# and their results afterwards.
TAKING = (EnrolmentStatus.CONFIRMED,)
SEEING = (EnrolmentStatus.CONFIRMED, EnrolmentStatus.COMPLETED, EnrolmentStatus.NOT_COMPLETED)


def may_author(user: User, course: Course) -> bool:
    """Admins author every course's assessments; someone holding the trainer role
    authors those of the courses they teach a cohort of."""
    if user.is_admin:
        return True
    if not user.is_trainer:
        return False
    return bool(
        db.session.scalar(
            select(
                exists()
                .where(cohort_trainer.c.user_id == user.id)
                .where(cohort_trainer.c.cohort_id == Cohort.id)
                .where(Cohort.course_id == course.id)
            )
        )
    )


def learner_enrolment(user: User, course_id: int) -> Enrolment | None:
    """The learner's enrolment through which they take (or took) the course's
    assessments: their latest that is confirmed, completed or not completed; with its
    cohort, the cohort's sessions and course."""
    return db.session.scalar(
        select(Enrolment)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(
            Enrolment.learner_id == user.id,
            Cohort.course_id == course_id,
            Enrolment.status.in_(SEEING),
        )
        .order_by(
            (Enrolment.status == EnrolmentStatus.CONFIRMED).desc(), Enrolment.requested_at.desc()
        )
        .limit(1)
        .options(
            joinedload(Enrolment.cohort).options(
                selectinload(Cohort.sessions), joinedload(Cohort.course)
            )
        )
    )


# --- loaders: each returns the object or answers 404 ---------------------------------------


def _found(value):
    if value is None:
        abort(404)
    return value


def authored_course(code: str) -> Course:
    course = _found(db.session.scalar(select(Course).where(Course.code == code)))
    if not may_author(current_user, course):
        abort(404)
    return course


def authored_assessment(assessment_id: int) -> Assessment:
    assessment = _found(
        db.session.scalar(
            select(Assessment)
            .where(Assessment.id == assessment_id)
            .options(joinedload(Assessment.course))
        )
    )
    if not may_author(current_user, assessment.course):
        abort(404)
    return assessment


def authored_question(question_id: int) -> Question:
    question = _found(
        db.session.scalar(
            select(Question)
            .where(Question.id == question_id)
            .options(joinedload(Question.course), selectinload(Question.options))
        )
    )
    if not may_author(current_user, question.course):
        abort(404)
    return question


def own_attempt(attempt_id: int) -> Attempt:
    """The current user's own attempt, with its assessment and enrolment's cohort."""
    attempt = _found(
        db.session.scalar(
            select(Attempt)
            .where(Attempt.id == attempt_id)
            .options(
                joinedload(Attempt.assessment),
                joinedload(Attempt.enrolment)
                .joinedload(Enrolment.cohort)
                .options(selectinload(Cohort.sessions), joinedload(Cohort.course)),
            )
        )
    )
    if attempt.enrolment.learner_id != current_user.id:
        abort(404)
    return attempt


def may_see_submission(user: User, submission: Submission) -> bool:
    """The learner who sent it, the trainers of their cohort, and admins."""
    return submission.enrolment.learner_id == user.id or may_manage(
        user, submission.enrolment.cohort
    )


def seen_submission(submission_id: int) -> Submission:
    submission = _found(
        db.session.scalar(
            select(Submission)
            .where(Submission.id == submission_id)
            .options(
                joinedload(Submission.assessment),
                joinedload(Submission.file),
                joinedload(Submission.enrolment)
                .joinedload(Enrolment.cohort)
                .options(selectinload(Cohort.trainers), joinedload(Cohort.course)),
            )
        )
    )
    if not may_see_submission(current_user, submission):
        abort(404)
    return submission


def marked_submission(submission_id: int) -> Submission:
    """A submission, for the managers of its cohort only (marking)."""
    submission = seen_submission(submission_id)
    if not may_manage(current_user, submission.enrolment.cohort):
        abort(404)
    return submission


# URL argument -> (the view's keyword, the loader, the rule's words)
_LOADERS: dict[str, tuple[str, Callable, str]] = {
    "course_code": ("course", authored_course, AUTHOR),
    "assessment_id": ("assessment", authored_assessment, AUTHOR),
    "question_id": ("question", authored_question, AUTHOR),
}


def _guard(load: str, keyword: str, loader: Callable, rule: str) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            kwargs[keyword] = loader(kwargs[load])
            return view(*args, **kwargs)

        return declare_object_rule(login_required(guarded), ObjectRule(rule, load))

    return decorator


def course_author(*, load: str) -> Callable[[Callable], Callable]:
    """Admins, and trainers of a cohort of the course that the URL argument `load`
    (course_code, assessment_id or question_id) leads to; 404 for anyone else."""
    if load not in _LOADERS:
        raise ValueError(f"course_author loads one of {sorted(_LOADERS)}, not {load!r}")
    return _guard(load, *_LOADERS[load])


def attempt_owner(view: Callable) -> Callable:
    """The learner whose attempt the URL's attempt_id names; 404 for anyone else."""
    return _guard("attempt_id", "attempt", own_attempt, LEARNER)(view)


def submission_viewer(view: Callable) -> Callable:
    """The learner who sent the submission (submission_id), the trainers of their cohort
    and admins; 404 for anyone else."""
    return _guard("submission_id", "submission", seen_submission, MARKER_OR_LEARNER)(view)


def submission_marker(view: Callable) -> Callable:
    """Admins and trainers of the cohort of the submission (submission_id); 404 else."""
    return _guard("submission_id", "submission", marked_submission, MANAGER)(view)
