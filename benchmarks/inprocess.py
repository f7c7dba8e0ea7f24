"""In-process half of a run, in its own process with the server's environment:
`python -m benchmarks.inprocess < request.json` prints one JSON line.

It finds the ids the targets' paths need (SQLAlchemy selects on the models), then
visits every target once with Flask's test client, logged in through the login form as
the target's person, and counts the SQL statements of a second visit (so nothing cached
on a first visit is counted), as tests/conftest.py's `count_queries` does.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event, func, or_, select

from benchmarks.forms import FORMS, csrf_token
from certificates.models import Certificate, CertificateStatus
from courses.assessments.models import Assessment, AssessmentKind, Attempt, Submission
from courses.attendance import expected_enrolments
from courses.cohorts.calendars import issue_feed
from courses.models import (
    CalendarFeed,
    Cohort,
    CohortStatus,
    Enrolment,
    EnrolmentStatus,
    Session,
    cohort_trainer,
)
from lms.app import create_app
from lms.auth.models import User
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.timezones import start_of_local_day, to_local
from lms.cpd.models import CpdEntry, EntrySource
from lms.impact.models import ReactionResponse
from lms.projects.models import (
    CoachingSession,
    Project,
    ProjectMember,
    ProjectRole,
    ProjectUpdate,
    Support,
    SupportStatus,
)

CLOSED = (CohortStatus.CLOSED, CohortStatus.CANCELLED)


def discover(accounts: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """The values of targets.PLACEHOLDERS, and notes on anything unusual."""
    notes = []
    people = {role: db.session.scalar(User.by_email(email)) for role, email in accounts.items()}
    missing = [accounts[role] for role, person in people.items() if person is None]
    if missing:
        raise SystemExit(f"the seeded database has no {', '.join(missing)}")
    session = _trainers_session(people["trainer"], notes)
    cohort = _learners_cohort(people["learner"]) or session.cohort
    words = re.findall(r"[A-Za-z]{5,}", cohort.course.title)
    learner = people["learner"]
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == learner.id))
    if feed is None:
        feed, _ = issue_feed(learner)
        db.session.commit()
        notes.append("the learner had no calendar feed: issued one")
    values = {
        "search": (words[0] if words else cohort.course.title.split()[0]).lower(),
        "course_code": cohort.course.code,
        "learner_cohort_id": str(cohort.id),
        "feed_token": feed.token,
        "session_id": str(session.id),
        "session_cohort_id": str(session.cohort_id),
        **_assessment_values(session.cohort, learner),
        **_certificate_values(learner, people["trainer"], session.cohort, notes),
        **_cpd_values(learner, people["trainer"]),
        **_project_values(learner),
        **_evaluation_values(learner),
    }
    return values, notes


def _assessment_values(cohort: Cohort, learner: User) -> dict[str, str]:
    """The quiz and the assignment of the course of the trainer's cohort today, the
    learner's latest submitted attempt at the quiz, and the latest submission of the
    assignment on that cohort (the learner's, if they sent one)."""
    found = {}
    for kind in AssessmentKind:
        found[kind] = db.session.scalar(
            select(Assessment)
            .where(
                Assessment.course_id == cohort.course_id,
                Assessment.kind == kind,
                Assessment.archived.is_(False),
            )
            .order_by(Assessment.position, Assessment.id)
            .limit(1)
        )
    quiz, assignment = found[AssessmentKind.QUIZ], found[AssessmentKind.ASSIGNMENT]
    attempt = quiz and db.session.scalar(
        select(Attempt)
        .join(Enrolment, Enrolment.id == Attempt.enrolment_id)
        .where(
            Attempt.assessment_id == quiz.id,
            Enrolment.learner_id == learner.id,
            Attempt.submitted_at.is_not(None),
        )
        .order_by(Attempt.submitted_at.desc(), Attempt.id.desc())
        .limit(1)
    )
    submission = assignment and db.session.scalar(
        select(Submission)
        .join(Enrolment, Enrolment.id == Submission.enrolment_id)
        .where(Submission.assessment_id == assignment.id, Enrolment.cohort_id == cohort.id)
        .order_by(Enrolment.learner_id != learner.id, Submission.number.desc(), Submission.id)
        .limit(1)
    )
    if not (attempt and submission):
        raise SystemExit(
            f"the seeded database has no {'submitted attempt' if submission else 'submission'} "
            f"on {cohort.code}, the trainer's cohort today, for the assessment pages: seed it "
            "again (--reseed), or leave them out (--only)"
        )
    return {
        "quiz_id": str(quiz.id),
        "attempt_id": str(attempt.id),
        "assignment_id": str(assignment.id),
        "submission_id": str(submission.id),
    }


def _certificate_values(
    learner: User, trainer: User, todays: Cohort, notes: list[str]
) -> dict[str, str]:
    """The learner's newest current certificate that has not expired (seed-scale draws
    the demo learner's PDFs in full), and the trainer's most recently closed cohort with
    certificates (seed-scale draws all of its PDFs in full too); at a small factor the
    trainer may have none, and their cohort today's ZIP is empty."""
    today = to_local(utcnow()).date()
    certificate = db.session.scalar(
        select(Certificate)
        .where(
            Certificate.learner_id == learner.id,
            Certificate.status == CertificateStatus.VALID,
            or_(Certificate.expires_on.is_(None), Certificate.expires_on >= today),
        )
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
        .limit(1)
    )
    cohort_id = db.session.scalar(
        select(Cohort.id)
        .join(cohort_trainer, cohort_trainer.c.cohort_id == Cohort.id)
        .where(
            cohort_trainer.c.user_id == trainer.id,
            Cohort.status == CohortStatus.CLOSED,
            select(Certificate.id).where(Certificate.cohort_id == Cohort.id).exists(),
        )
        .order_by(Cohort.closed_at.desc(), Cohort.id.desc())
        .limit(1)
    )
    if certificate is None:
        raise SystemExit(
            "the demo learner has no current certificate for the certificate pages: seed the "
            "database again (--reseed)"
        )
    if cohort_id is None:
        notes.append("the trainer has no closed cohort with certificates: the ZIP is empty")
        cohort_id = todays.id
    return {
        "certificate_number": certificate.number,
        "verification_code": certificate.display_code,
        "certificates_cohort_id": str(cohort_id),
    }


def _cpd_values(learner: User, trainer: User) -> dict[str, str]:
    """The learner's latest entry they logged themself (its page and form), and the
    trainer's active report with the most CPD entries, for the team view's page of one
    person (seed-scale makes the trainer line manager of 40, one of them with 500)."""
    entry = db.session.scalar(
        select(CpdEntry.id)
        .where(CpdEntry.learner_id == learner.id, CpdEntry.source == EntrySource.EXTERNAL)
        .order_by(CpdEntry.activity_on.desc(), CpdEntry.id.desc())
        .limit(1)
    )
    if entry is None:
        raise SystemExit("the learner has no CPD entries: seed the database again (--reseed)")
    report = db.session.scalar(
        select(User.id)
        .outerjoin(CpdEntry, CpdEntry.learner_id == User.id)
        .where(User.line_manager_id == trainer.id, User.is_active_account.is_(True))
        .group_by(User.id)
        .order_by(func.count(CpdEntry.id).desc(), User.id)
        .limit(1)
    )
    if report is None:
        raise SystemExit(
            "the trainer has no reports for the CPD team view: seed the database again (--reseed)"
        )
    return {"cpd_report_id": str(report), "cpd_entry_id": str(entry)}


def _project_values(learner: User) -> dict[str, str]:
    """The project the learner leads with the most updates (seed-scale gives her active
    one ten people, several updates, support and coaching), the request for support on it
    she made, coaching first, accepted first, newest first (the project's runners see
    every request on it), and her newest coaching session as coachee (seed-scale leaves
    it unconfirmed, so its page offers to confirm it)."""
    updates = (
        select(func.count(ProjectUpdate.id))
        .where(ProjectUpdate.project_id == Project.id)
        .scalar_subquery()
    )
    project = db.session.scalar(
        select(Project.id)
        .join(ProjectMember, ProjectMember.project_id == Project.id)
        .where(ProjectMember.person_id == learner.id, ProjectMember.role == ProjectRole.LEAD)
        .order_by(updates.desc(), Project.id.desc())
        .limit(1)
    )
    if project is None:
        raise SystemExit("the learner leads no project: seed the database again (--reseed)")
    support = db.session.scalar(
        select(Support.id)
        .where(Support.project_id == project)
        .order_by(
            Support.requested_by_id != learner.id,
            Support.coaching.desc(),
            Support.status != SupportStatus.ACCEPTED,
            Support.created_at.desc(),
            Support.id.desc(),
        )
        .limit(1)
    )
    session = db.session.scalar(
        select(CoachingSession.id)
        .where(CoachingSession.coachee_id == learner.id)
        .order_by(CoachingSession.held_on.desc(), CoachingSession.id.desc())
        .limit(1)
    )
    if support is None or session is None:
        raise SystemExit(
            "the learner's project has no support or she has no coaching session: seed the "
            "database again (--reseed)"
        )
    return {
        "project_id": str(project),
        "support_id": str(support),
        "coaching_session_id": str(session),
    }


def _evaluation_values(learner: User) -> dict[str, str]:
    """The learner's reaction survey still waiting (seed-scale leaves her latest closed
    course unanswered), and the closed cohort with the most answers (the admin reads its
    results: the demo trainer may have no closed cohort in a small trust)."""
    waiting = db.session.scalar(
        select(Enrolment.id)
        .join(Cohort, Cohort.id == Enrolment.cohort_id)
        .where(
            Enrolment.learner_id == learner.id,
            Cohort.status == CohortStatus.CLOSED,
            Enrolment.status == EnrolmentStatus.COMPLETED,
            ~select(ReactionResponse.id)
            .where(ReactionResponse.enrolment_id == Enrolment.id)
            .exists(),
        )
        .order_by(Cohort.closed_at.desc(), Enrolment.id.desc())
        .limit(1)
    )
    answers = (
        select(func.count(ReactionResponse.id))
        .join(Enrolment, Enrolment.id == ReactionResponse.enrolment_id)
        .where(Enrolment.cohort_id == Cohort.id)
        .scalar_subquery()
    )
    cohort = db.session.scalar(
        select(Cohort.id)
        .where(Cohort.status == CohortStatus.CLOSED)
        .order_by(answers.desc(), Cohort.id.desc())
        .limit(1)
    )
    if waiting is None or cohort is None:
        raise SystemExit(
            "the learner has no survey waiting or there is no closed cohort: seed the "
            "database again (--reseed)"
        )
    return {"survey_enrolment_id": str(waiting), "results_cohort_id": str(cohort)}


def _trainers_session(trainer: User, notes: list[str]) -> Session:
    """The trainer's session today with the most learners expected (else the nearest)."""
    sessions = db.session.scalars(
        select(Session)
        .join(Cohort, Cohort.id == Session.cohort_id)
        .join(cohort_trainer, cohort_trainer.c.cohort_id == Cohort.id)
        .where(cohort_trainer.c.user_id == trainer.id)
        .where(Session.cancelled.is_(False), Cohort.status.not_in(CLOSED))
    ).all()
    if not sessions:
        raise SystemExit("the trainer teaches no open session")
    today = start_of_local_day(to_local(utcnow()).date())
    todays = [s for s in sessions if today <= s.starts_at < today + timedelta(days=1)]
    if not todays:
        notes.append("the trainer has no session today: using the nearest")
        return min(sessions, key=lambda s: abs(s.starts_at - utcnow()))
    return max(todays, key=lambda s: (len(expected_enrolments(s)), -s.id))


def _learners_cohort(learner: User) -> Cohort | None:
    return db.session.scalar(
        select(Cohort)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Enrolment.learner_id == learner.id)
        .order_by(Enrolment.status != EnrolmentStatus.CONFIRMED, Enrolment.id)
        .limit(1)
    )


def _referer(path: str) -> dict[str, str]:
    return {"Referer": f"https://localhost{path}"}


class Counter:
    def __init__(self):
        self.count = 0

    def __call__(self, *_):
        self.count += 1


def log_in(app: Flask, email: str | None, password: str) -> FlaskClient:
    """A test client logged in through the form. Flask's test client speaks https when
    PREFERRED_URL_SCHEME says so (production), so its POSTs carry a Referer, as Flask-WTF
    requires over https."""
    client = app.test_client()
    if email is not None:
        token = csrf_token(client.get("/login").get_data(as_text=True))
        fields = {"csrf_token": token, "email": email, "password": password}
        reply = client.post("/login", data=fields, headers=_referer("/login"))
        if reply.status_code != 302:
            raise SystemExit(f"logging in as {email} answered {reply.status_code}")
    return client


def count_statements(engine: Engine, target: dict, client: FlaskClient) -> int:
    """Statements of one request to `target`, after a first visit."""
    path = target["path"]
    if target["method"] == "POST":
        bodies, _ = FORMS[target["form"]](client.get(path).get_data(as_text=True))
        content = {"content_type": "application/x-www-form-urlencoded", "headers": _referer(path)}
        send = [lambda body=body: client.post(path, data=body, **content) for body in bodies]
    else:
        send = [lambda: client.get(path)] * 2
    send[0]()
    counter = Counter()
    event.listen(engine, "before_cursor_execute", counter)
    try:
        status = send[-1]().status_code
    finally:
        event.remove(engine, "before_cursor_execute", counter)
    if status != target["expect"]:
        raise SystemExit(f"{target['name']} ({path}) answered {status} in-process")
    return counter.count


def main() -> None:
    request = json.load(sys.stdin)
    app = create_app()
    with app.app_context():
        values, notes = discover(request["accounts"])
        engine = db.engine
    # Each request outside that context, so each gets its own, as under gunicorn: one
    # shared context would share `g` and the SQLAlchemy session between requests.
    clients: dict[str | None, FlaskClient] = {}
    statements = {}
    for target in request["targets"]:
        who = target["who"]
        if who not in clients:
            email = request["accounts"][who] if who else None
            clients[who] = log_in(app, email, request["password"])
        target = {**target, "path": target["path"].format(**values)}
        statements[target["name"]] = count_statements(engine, target, clients[who])
    facts = {"debug": app.debug, "env": app.config["LMS_ENV"], "testing": app.testing}
    print(json.dumps({"values": values, "notes": notes, "statements": statements, **facts}))


if __name__ == "__main__":
    main()
