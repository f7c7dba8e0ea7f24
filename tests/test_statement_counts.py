"""Every GET page costs the same number of SQL statements with little data and with more.

Each GET endpoint of the app has an entry here: who visits it and at which address. A
new GET endpoint without an entry fails `test_every_get_page_has_an_entry`, as the
access matrix does for access rules. The pages are measured on a small world, the world
is grown (more people, courses, cohorts, enrolments, marks, requests, audit events,
quiz attempts, submissions with files, bank questions, quiz items and assessments), and
they are measured again: a page that gained a query per row fails. The assessment pages
at the scale of a 100-learner cohort are measured in
tests/courses/assessments/test_statement_counts_at_scale.py.

File downloads (the attendance CSV, the sign-in sheet, a submission's file, the
gradebook CSV, a certificate's PDF and badge, a cohort's certificates as a ZIP) are pages
here too: they must not grow either.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from hashlib import sha256
from itertools import count

import pytest
from sqlalchemy import func, select

from certificates import issue
from courses.assessments import attempts, submissions
from courses.assessments.models import (
    Assessment,
    AssessmentKind,
    Attempt,
    Question,
    QuestionOption,
    QuestionType,
    QuizItem,
    Submission,
    SubmissionFile,
)
from courses.assessments.uploads import Upload
from courses.cohorts.calendars import issue_feed
from courses.models import (
    AttendanceMethod,
    AttendanceRecord,
    AttendanceStatus,
    CohortStatus,
    EnrolmentStatus,
)
from lms.audit import audit
from lms.audit.audit import AuditEvent
from lms.auth import accounts
from lms.auth.models import Role
from lms.core import outbox
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.cpd import record as cpd_record
from lms.cpd.categories import ensure_default_categories
from lms.cpd.models import CpdCategory, CpdEntry, CpdEvidence, EntrySource
from lms.cpd.record import EntryDetails
from lms.impact.models import Phase, ProjectSince
from lms.people import views as people_views
from lms.projects.models import (
    Answer,
    CoachingSession,
    Project,
    ProjectMember,
    ProjectRole,
    ProjectStatus,
    ProjectUpdate,
    Rag,
    Support,
    SupportStatus,
)
from tests.helpers import sign_in

# Served from files, never from the database.
NOT_PAGES = {"static", "assets.asset", "assets.frontend"}


@dataclass
class World:
    admin: object
    trainer: object
    manager: object
    learner: object
    course: object
    cohort: object
    held: object  # a session that has been held
    feed_token: str
    reset_token: str
    category: object
    quiz: object  # on the course, with questions and draws from the bank
    question: object  # one of the quiz's questions
    attempt: object  # the learner's submitted attempt at the quiz
    assignment: object
    submission: object  # the learner's submission of the assignment, with a file
    learner_enrolment: object  # the learner's place on the cohort
    certificate: object  # the learner's, from a closed cohort of the course
    cpd_entry: object  # an external entry in the learner's CPD record, with evidence
    cpd_category: object
    project: object  # led by the learner, who completed the course before it started
    support: object  # accepted coaching for it: the trainer coaches the learner
    coaching_session: object  # one of its sessions, confirmed
    follow_up: object  # the learner's 3-month follow-up of the certificate's course, answered
    attempts_made: int = 1  # by the learner, at the quiz


# endpoint -> (who visits: an attribute of World, or None for anyone; the address)
PAGES: dict[str, tuple[str | None, Callable[[World], str]]] = {
    "health.healthz": (None, lambda w: "/healthz"),
    "health.readyz": (None, lambda w: "/readyz"),
    "auth.login": (None, lambda w: "/login"),
    "auth.request_reset": (None, lambda w: "/account/reset"),
    "auth.reset_password": (None, lambda w: f"/account/reset/{w.reset_token}"),
    "auth.change_password": ("learner", lambda w: "/account/password"),
    "home.index": ("manager", lambda w: "/"),
    "catalogue.index": ("learner", lambda w: "/courses/?q=course"),
    "catalogue.course": ("learner", lambda w: f"/courses/{w.course.code}"),
    "cohorts.show": ("learner", lambda w: f"/cohorts/{w.cohort.id}"),
    "cohorts.calendar": ("learner", lambda w: f"/cohorts/{w.cohort.id}/calendar.ics"),
    "cohorts.feed": (None, lambda w: f"/calendar/{w.feed_token}.ics"),
    "cohorts.feed_settings": ("learner", lambda w: "/calendar/"),
    "approvals.index": ("manager", lambda w: "/approvals/"),
    "checkin.check_in": ("learner", lambda w: "/check-in"),
    "checkin.screen": ("trainer", lambda w: f"/teach/sessions/{w.held.id}/check-in"),
    "checkin.screen_json": ("trainer", lambda w: f"/teach/sessions/{w.held.id}/check-in.json"),
    "attendance.index": ("trainer", lambda w: "/teach/"),
    "attendance.register": ("trainer", lambda w: f"/teach/sessions/{w.held.id}/register"),
    "attendance.cohort_grid": ("trainer", lambda w: f"/teach/cohorts/{w.cohort.id}/attendance"),
    "attendance.cohort_grid_csv": (
        "trainer",
        lambda w: f"/teach/cohorts/{w.cohort.id}/attendance.csv",
    ),
    "signin_sheet.download": (
        "trainer",
        lambda w: f"/teach/sessions/{w.held.id}/sign-in-sheet.pdf",
    ),
    "cohort_admin.index": ("admin", lambda w: "/admin/cohorts/"),
    "cohort_admin.create": ("admin", lambda w: "/admin/cohorts/new"),
    "cohort_admin.show": ("admin", lambda w: f"/admin/cohorts/{w.cohort.id}"),
    "cohort_admin.add_session": ("admin", lambda w: f"/admin/cohorts/{w.cohort.id}/sessions/new"),
    "cohort_admin.edit_session": (
        "admin",
        lambda w: f"/admin/cohorts/{w.cohort.id}/sessions/{w.held.id}",
    ),
    "course_admin.index": ("admin", lambda w: "/admin/courses/"),
    "course_admin.create": ("admin", lambda w: "/admin/courses/new"),
    "course_admin.edit": ("admin", lambda w: f"/admin/courses/{w.course.id}"),
    "course_admin.categories": ("admin", lambda w: "/admin/courses/categories"),
    "course_admin.rename_category": (
        "admin",
        lambda w: f"/admin/courses/categories/{w.category.id}",
    ),
    "people.index": ("admin", lambda w: "/admin/users/"),
    "people.create": ("admin", lambda w: "/admin/users/new"),
    "people.edit": ("admin", lambda w: f"/admin/users/{w.learner.id}"),
    "people_import.index": ("admin", lambda w: "/admin/import/"),
    "audit.index": ("admin", lambda w: "/admin/audit/"),
    "mail.index": ("admin", lambda w: "/admin/mail/"),
    "reports.attendance": ("admin", lambda w: "/reports/attendance"),
    "reports.dashboard": ("admin", lambda w: "/reports/?year=2026"),
    "reports.dashboard_xlsx": ("admin", lambda w: "/reports/dashboard.xlsx"),
    "reports.dashboard_csv": ("admin", lambda w: "/reports/dashboard/funnel.csv"),
    "reports.board_pdf": ("admin", lambda w: "/reports/board.pdf"),
    "impact_reports.impact": ("admin", lambda w: "/reports/impact"),
    "impact_reports.impact_xlsx": ("admin", lambda w: "/reports/impact.xlsx"),
    "impact_reports.impact_csv": ("admin", lambda w: "/reports/impact/project-outcomes.csv"),
    "evaluations.index": ("learner", lambda w: "/evaluations/"),
    "evaluations.reaction": (
        "learner",
        lambda w: f"/evaluations/{w.certificate.enrolment_id}/reaction",
    ),
    "evaluations.confidence": (
        "learner",
        lambda w: f"/evaluations/{w.certificate.enrolment_id}/confidence/after",
    ),
    "evaluations.follow_up": ("learner", lambda w: f"/evaluations/follow-ups/{w.follow_up.id}"),
    "evaluation_admin.default_questions": ("admin", lambda w: "/admin/evaluations/questions"),
    "evaluation_admin.course_evaluation": (
        "admin",
        lambda w: f"/admin/courses/{w.course.id}/evaluation",
    ),
    "evaluation_results.results": (
        "trainer",
        lambda w: f"/teach/cohorts/{w.certificate.cohort_id}/evaluations",
    ),
    # assessments: authoring (the course's trainer), taking (the learner), marking
    "assessment_authoring.index": (
        "trainer",
        lambda w: f"/teach/courses/{w.course.code}/assessments",
    ),
    "assessment_authoring.create": (
        "trainer",
        lambda w: f"/teach/courses/{w.course.code}/assessments/new?kind=quiz",
    ),
    "assessment_authoring.show": ("trainer", lambda w: f"/teach/assessments/{w.quiz.id}"),
    "assessment_authoring.questions": (
        "trainer",
        lambda w: f"/teach/courses/{w.course.code}/questions",
    ),
    "assessment_authoring.create_question": (
        "trainer",
        lambda w: f"/teach/courses/{w.course.code}/questions/new",
    ),
    "assessment_authoring.edit_question": (
        "trainer",
        lambda w: f"/teach/questions/{w.question.id}",
    ),
    "assessments.show": ("learner", lambda w: f"/assessments/{w.quiz.id}"),
    "assessments.attempt": ("learner", lambda w: f"/attempts/{w.attempt.id}"),
    "assignments.download": ("learner", lambda w: f"/submissions/{w.submission.id}/file"),
    "assignments.marking": (
        "trainer",
        lambda w: f"/teach/cohorts/{w.cohort.id}/assessments/{w.assignment.id}/marking",
    ),
    "assignments.mark": ("trainer", lambda w: f"/teach/submissions/{w.submission.id}"),
    "gradebook.show": ("trainer", lambda w: f"/teach/cohorts/{w.cohort.id}/gradebook"),
    "gradebook.download": ("trainer", lambda w: f"/teach/cohorts/{w.cohort.id}/gradebook.csv"),
    "cohort_closing.close": ("trainer", lambda w: f"/teach/cohorts/{w.cohort.id}/close"),
    # certificates: the learner's, a cohort's (its trainer), verification and badges
    "certificates.index": ("learner", lambda w: "/certificates/"),
    "certificates.show": ("learner", lambda w: f"/certificates/{w.certificate.number}"),
    "certificates.download": ("learner", lambda w: f"/certificates/{w.certificate.number}.pdf"),
    "certificates.cohort": (
        "trainer",
        lambda w: f"/teach/cohorts/{w.certificate.cohort_id}/certificates",
    ),
    "certificates.cohort_zip": (
        "trainer",
        lambda w: f"/teach/cohorts/{w.certificate.cohort_id}/certificates.zip",
    ),
    "verification.start": (None, lambda w: "/verify"),
    "verification.certificate": (None, lambda w: f"/verify/{w.certificate.display_code}"),
    "badges.issuer": (None, lambda w: "/badges/issuer"),
    "badges.keys": (None, lambda w: "/badges/keys.json"),
    "badges.public_signed": (None, lambda w: f"/verify/{w.certificate.display_code}/badge.jwt"),
    "badges.credential": (
        "learner",
        lambda w: f"/certificates/{w.certificate.number}/badge.json",
    ),
    "badges.signed": ("learner", lambda w: f"/certificates/{w.certificate.number}/badge.jwt"),
    "certificate_admin.index": ("admin", lambda w: "/admin/certificates/?q=person&shown=current"),
    # the CPD record: the learner's, its entries and settings; the admins' categories
    "cpd.index": ("learner", lambda w: "/cpd/"),
    "cpd.show": ("learner", lambda w: f"/cpd/entries/{w.cpd_entry.id}"),
    "cpd.add": ("learner", lambda w: "/cpd/entries/new"),
    "cpd.edit": ("learner", lambda w: f"/cpd/entries/{w.cpd_entry.id}/edit"),
    "cpd.delete": ("learner", lambda w: f"/cpd/entries/{w.cpd_entry.id}/delete"),
    "cpd.evidence": ("learner", lambda w: f"/cpd/entries/{w.cpd_entry.id}/evidence"),
    "cpd.settings": ("learner", lambda w: "/cpd/settings"),
    "cpd_export.pdf": ("learner", lambda w: "/cpd/export.pdf"),
    "cpd_export.csv": ("learner", lambda w: "/cpd/export.csv"),
    "cpd_import.upload": ("learner", lambda w: "/cpd/import"),
    "cpd_import.template": ("learner", lambda w: "/cpd/import/template.csv"),
    "cpd_team.index": ("manager", lambda w: "/cpd/team"),
    "cpd_team.download": ("admin", lambda w: "/cpd/team.csv"),
    "cpd_team.person": ("manager", lambda w: f"/cpd/team/{w.learner.id}"),
    "cpd.categories": ("admin", lambda w: "/admin/cpd/categories"),
    "projects.index": ("learner", lambda w: "/projects/?supported=yes&trainee_led=yes"),
    "projects.show": ("learner", lambda w: f"/projects/{w.project.id}"),
    "projects.new": ("learner", lambda w: "/projects/new"),
    "projects.edit": ("learner", lambda w: f"/projects/{w.project.id}/edit"),
    "projects.people": ("learner", lambda w: f"/projects/{w.project.id}/people"),
    "projects.add_update": ("learner", lambda w: f"/projects/{w.project.id}/updates/new"),
    "projects.close": ("learner", lambda w: f"/projects/{w.project.id}/close"),
    "projects.merge": ("admin", lambda w: f"/projects/{w.project.id}/merge"),
    "support.new": ("learner", lambda w: f"/projects/{w.project.id}/support/new"),
    "support.index": ("admin", lambda w: "/support/"),
    "support.show": ("admin", lambda w: f"/support/{w.support.id}"),
    "coaching.index": ("trainer", lambda w: "/coaching/"),
    "coaching.support": ("learner", lambda w: f"/coaching/{w.support.id}"),
    "coaching.new_session": ("trainer", lambda w: f"/coaching/{w.support.id}/sessions/new"),
    "coaching.session": ("learner", lambda w: f"/coaching/sessions/{w.coaching_session.id}"),
    "coaching.edit_session": (
        "trainer",
        lambda w: f"/coaching/sessions/{w.coaching_session.id}/edit",
    ),
    "coaching.delete_session": (
        "trainer",
        lambda w: f"/coaching/sessions/{w.coaching_session.id}/delete",
    ),
    "project_import.upload": ("admin", lambda w: "/admin/projects/import"),
    "project_import.template": ("admin", lambda w: "/admin/projects/import/template.csv"),
    "cpd.change_category": ("admin", lambda w: f"/admin/cpd/categories/{w.cpd_category.id}"),
}


def test_every_get_page_has_an_entry(app):
    get_endpoints = {
        rule.endpoint for rule in app.url_map.iter_rules() if "GET" in (rule.methods or ())
    }
    assert get_endpoints - NOT_PAGES - PAGES.keys() == set()
    assert PAGES.keys() - get_endpoints == set()


def _bank_question(course, text: str, category: str = "") -> Question:
    """A single-choice question in the course's bank (as `make_question`, without its
    commit)."""
    question = Question(course=course, type=QuestionType.SINGLE, text=text, category=category)
    question.options = [
        QuestionOption(text=option, correct=right, position=position)
        for position, (option, right) in enumerate([("Yes", True), ("No", False), ("Maybe", False)])
    ]
    db.session.add(question)
    db.session.flush()
    question.family_id = question.id
    return question


def _scored_attempt(world: World, enrolment, number: int) -> Attempt:
    """A submitted attempt at the world's quiz, scored without its questions (as the
    gradebook and closing read it)."""
    attempt = Attempt(
        assessment=world.quiz,
        enrolment=enrolment,
        number=number,
        started_at=world.held.starts_at,
        submitted_at=world.held.ends_at,
        score=Decimal(number % 4),
        max_score=Decimal(4),
        percent=Decimal(25 * (number % 4)),
        passed=False,
        pass_mark_percent=world.quiz.pass_mark_percent,
    )
    db.session.add(attempt)
    return attempt


def _pdf(name: str) -> SubmissionFile:
    content = b"%PDF-1.4 " + name.encode()
    return SubmissionFile(
        filename=name,
        media_type="application/pdf",
        size=len(content),
        sha256=sha256(content).hexdigest(),
        content=content,
    )


def _evidence(name: str) -> CpdEvidence:
    content = b"%PDF-1.4 " + name.encode()
    return CpdEvidence(
        filename=name,
        media_type="application/pdf",
        size=len(content),
        sha256=sha256(content).hexdigest(),
        content=content,
    )


def _update(project, author, day) -> ProjectUpdate:
    return ProjectUpdate(
        project_id=project.id,
        author_id=author.id,
        reported_on=day,
        rag=Rag.AMBER,
        milestones_met=Answer.PARTLY,
        on_time=Answer.YES,
        on_budget=Answer.NO,
        benefits_realised=Answer.TOO_EARLY,
        narrative="On track",
    )


def _grow_projects(world: World, learner, number: int) -> None:
    """Another project led by a grown learner (who completed a course before it started),
    with the world's learner on it, an update and accepted support; and, on the world's
    project, one more person, update, support request and confirmed coaching session."""
    today = local_today()
    project = Project(
        title=f"Grown project {number}",
        ppm_reference=f"PPM-G{number}",
        starts_on=today + timedelta(days=30),
        status=ProjectStatus.ACTIVE,
    )
    project.members = [
        ProjectMember(person_id=learner.id, role=ProjectRole.LEAD),
        ProjectMember(person_id=world.learner.id, role=ProjectRole.MEMBER),
    ]
    db.session.add(project)
    db.session.flush()
    db.session.add(_update(project, learner, today))
    db.session.add(_update(world.project, world.learner, today))
    world.project.members.append(ProjectMember(person_id=learner.id, role=ProjectRole.MEMBER))
    for target, asker in ((project, learner), (world.project, world.learner)):
        db.session.add(
            Support(
                project_id=target.id,
                requested_by_id=asker.id,
                coaching=True,
                need="Grown",
                status=SupportStatus.ACCEPTED,
                responsible_id=world.trainer.id,
                starts_on=today,
            )
        )
    db.session.add(
        CoachingSession(
            support_id=world.support.id,
            coach_id=world.trainer.id,
            coachee_id=world.learner.id,
            held_on=today,
            minutes=45,
            topic=f"Grown topic {number}",
            notes="Private",
            confirmed_at=world.held.ends_at,
        )
    )


@pytest.fixture
def grow(
    make_user,
    make_course,
    make_cohort,
    make_enrolment,
    make_reaction_response,
    make_confidence,
    make_follow_up,
):
    """`grow(world, n)` adds n of everything the pages list."""

    numbers = count(1)
    positions = count(100)

    def add(world: World, n: int) -> None:
        for _ in range(n):
            learner = make_user(line_manager=world.manager)
            enrolment = make_enrolment(
                world.cohort, learner, confirmed_at=world.held.starts_at - timedelta(days=2)
            )
            # their attempts at the quiz and submission of the assignment (with a file)
            _scored_attempt(world, enrolment, 1)
            _scored_attempt(world, enrolment, 2)
            db.session.add(
                Submission(
                    assessment=world.assignment,
                    enrolment=enrolment,
                    number=1,
                    text="My PID",
                    submitted_at=world.held.ends_at,
                    file=_pdf(f"pid-{enrolment.id}.pdf"),
                )
            )
            # another earlier attempt of the world's learner, a question in the bank
            # and an item in the quiz
            world.attempts_made += 1
            _scored_attempt(world, world.learner_enrolment, world.attempts_made)
            question = _bank_question(world.course, f"Grown question {next(numbers)}", "Risk")
            db.session.add(
                QuizItem(assessment=world.quiz, question=question, position=next(positions))
            )
            # and another assessment of the course: a column more in the gradebook
            number = next(numbers)
            db.session.add(
                Assessment(
                    course=world.course,
                    kind=AssessmentKind.QUIZ if number % 2 else AssessmentKind.ASSIGNMENT,
                    title=f"Grown assessment {number}",
                    required=bool(number % 3),
                    position=next(positions),
                )
            )
            db.session.add(
                AttendanceRecord(
                    session=world.held,
                    enrolment=enrolment,
                    status=AttendanceStatus.PRESENT,
                    method=AttendanceMethod.REGISTER,
                    marked_by=world.trainer,
                    marked_at=world.held.ends_at,
                )
            )
            other_course = make_course(category=world.category)
            other = make_cohort(other_course, trainers=[world.trainer])
            make_enrolment(other, learner)
            make_enrolment(
                make_cohort(make_course(requires_approval=True)),
                make_user(line_manager=world.manager),
                status=EnrolmentStatus.PENDING_APPROVAL,
            )
            make_enrolment(other, world.learner)
            # a certificate more on the closed cohort, and one more of the learner's
            closed = world.certificate.cohort
            completed = make_enrolment(
                closed, learner, status=EnrolmentStatus.COMPLETED, ended_at=world.held.ends_at
            )
            issue(completed)
            # and their evaluation of it: survey, confidence before and after, follow-up
            make_reaction_response(completed, comment=f"Grown comment {number}")
            make_confidence(completed, Phase.BEFORE, [1, 2])
            make_confidence(completed, Phase.AFTER, [3, 5])
            make_follow_up(completed, project_since=ProjectSince.LED, applied="Stage gates")
            finished = make_cohort(other_course, status=CohortStatus.CLOSED)
            issue(make_enrolment(finished, world.learner, status=EnrolmentStatus.COMPLETED))
            # and entries more in the learner's CPD record this year, and a category
            for hours in ("1.5", "2"):
                db.session.add(
                    CpdEntry(
                        learner_id=world.learner.id,
                        source=EntrySource.EXTERNAL,
                        title=f"Grown reading {number}",
                        category_id=world.cpd_category.id,
                        activity_on=world.cpd_entry.activity_on,
                        hours=Decimal(hours),
                        learned="Grown",
                        evidence=_evidence(f"notes-{number}.pdf"),
                    )
                )
            db.session.add(CpdCategory(name=f"Grown category {number}", position=number))
            _grow_projects(world, learner, number)
            audit.record(world.admin, "statement_counts.grown", learner)
            outbox.queue(learner.email, "Your place", "Hello").status = outbox.FAILED
        db.session.commit()

    return add


@pytest.fixture
def world(
    make_user,
    make_course,
    make_cohort,
    make_enrolment,
    make_question,
    make_quiz,
    make_assignment,
    make_reaction_response,
    make_confidence,
    make_follow_up,
    grow,
) -> World:
    admin = make_user("admin@example.nhs.uk", roles=[Role.ADMIN])
    manager = make_user("manager@example.nhs.uk")
    trainer = make_user("trainer@example.nhs.uk", roles=[Role.TRAINER], line_manager=manager)
    learner = make_user("learner@example.nhs.uk", line_manager=manager)
    course = make_course(
        code="PM-OCC",
        title="Project management",
        category="Workshop",
        learning_outcomes=["Write a project brief", "Keep a RAID log"],
    )
    now = utcnow().replace(microsecond=0)
    cohort = make_cohort(
        course,
        trainers=[trainer],
        sessions=[
            (now - timedelta(days=1), now - timedelta(days=1) + timedelta(hours=3)),
            (now + timedelta(days=6), now + timedelta(days=6, hours=3)),
        ],
    )
    held = min(cohort.sessions, key=lambda session: session.starts_at)
    place = make_enrolment(cohort, learner, confirmed_at=held.starts_at - timedelta(days=3))
    make_enrolment(cohort, trainer, confirmed_at=held.starts_at - timedelta(days=3))
    feed, _ = issue_feed(learner)
    # a quiz of three questions and a draw of one from the bank's "Risk" category
    asked = [
        make_question(course, "Is a project temporary?"),
        make_question(course, "Which comes first?", [("Initiation", True), ("Closure", False)]),
        make_question(
            course, "Which are roles?", [("Sponsor", True), ("Board", True), ("Lunch", False)]
        ),
    ]
    for number in range(2):
        make_question(course, f"Risk question {number}", category="Risk")
    quiz = make_quiz(course, asked, draws=[("Risk", 1)], title="PM basics", position=1)
    attempt = attempts.start_attempt(quiz, place, now=utcnow())
    attempts.submit_attempt(
        attempt,
        {aq.question_id: [aq.option_order[0]] for aq in attempt.questions},
        now=utcnow(),
        by=learner,
    )
    assignment = make_assignment(course, title="PID assignment", position=2)
    content = b"%PDF-1.4 my project initiation document"
    submission = submissions.submit(
        assignment,
        place,
        "My PID",
        Upload("pid.pdf", "application/pdf", content, sha256(content).hexdigest()),
        now=utcnow(),
        by=learner,
    )
    reset_token = accounts.issue_token(make_user(), accounts.RESET)
    closed = make_cohort(course, trainers=[trainer], status=CohortStatus.CLOSED, sessions=[])
    closed.closed_at = now
    certificate = issue(
        make_enrolment(closed, learner, status=EnrolmentStatus.COMPLETED, ended_at=now)
    )
    # the learner's evaluation of it: the survey, confidence before and after, a follow-up
    make_reaction_response(certificate.enrolment, comment="Useful")
    make_confidence(certificate.enrolment, Phase.BEFORE, [2, 3])
    make_confidence(certificate.enrolment, Phase.AFTER, [4, 4])
    follow_up = make_follow_up(
        certificate.enrolment, project_since=ProjectSince.LED, applied="A RAID log"
    )
    ensure_default_categories()
    cpd_category = db.session.scalar(select(CpdCategory).where(CpdCategory.name == "Reading"))
    content = b"%PDF-1.4 conference notes"
    cpd_entry = cpd_record.add_entry(
        learner,
        EntryDetails(
            title="APM conference",
            category_id=cpd_category.id,
            activity_on=local_today(),
            hours=Decimal("6"),
            learned="Benefits maps",
        ),
        evidence=Upload("notes.pdf", "application/pdf", content, sha256(content).hexdigest()),
    )
    today = local_today()
    project = Project(
        title="Same day emergency care",
        starts_on=today + timedelta(days=10),
        status=ProjectStatus.ACTIVE,
        created_by_id=learner.id,
    )
    project.members = [ProjectMember(person_id=learner.id, role=ProjectRole.LEAD)]
    db.session.add(project)
    db.session.flush()
    support = Support(
        project_id=project.id,
        requested_by_id=learner.id,
        coaching=True,
        need="Coaching for a first project",
        status=SupportStatus.ACCEPTED,
        responsible_id=trainer.id,
        starts_on=today,
    )
    db.session.add(support)
    db.session.flush()
    coaching_session = CoachingSession(
        support_id=support.id,
        coach_id=trainer.id,
        coachee_id=learner.id,
        held_on=today,
        minutes=60,
        topic="Planning",
        notes="Private",
    )
    db.session.add(coaching_session)
    db.session.commit()
    built = World(
        admin=admin,
        trainer=trainer,
        manager=manager,
        learner=learner,
        course=course,
        cohort=cohort,
        held=held,
        feed_token=feed.token,
        reset_token=reset_token,
        category=course.category,
        quiz=quiz,
        question=asked[0],
        attempt=attempt,
        assignment=assignment,
        submission=submission,
        learner_enrolment=place,
        certificate=certificate,
        cpd_entry=cpd_entry,
        cpd_category=cpd_category,
        project=project,
        support=support,
        coaching_session=coaching_session,
        follow_up=follow_up,
    )
    grow(built, 2)
    return built


def _measure(app, world: World, count_queries) -> dict[str, tuple[int, int]]:
    """(status, statements) of every page, each visited twice and counted the second time
    (so nothing cached on a first visit is counted)."""
    clients = {}
    measured = {}
    for endpoint, (who, address) in PAGES.items():
        if who not in clients:
            client = app.test_client()
            if who is not None:
                sign_in(client, getattr(world, who).get_id())
            clients[who] = client
        url = address(world)
        clients[who].get(url)
        with count_queries() as counter:
            response = clients[who].get(url)
            response.get_data()  # a streamed response does its work as it is read
            status = response.status_code
        measured[endpoint] = (status, counter.count)
    return measured


def test_every_page_costs_the_same_statements_with_more_data(app, world, grow, count_queries):
    few = _measure(app, world, count_queries)
    assert {endpoint for endpoint, (status, _) in few.items() if status != 200} == set(), few
    grow(world, 12)
    many = _measure(app, world, count_queries)
    grown = {
        endpoint: (few[endpoint][1], many[endpoint][1])
        for endpoint in PAGES
        if few[endpoint] != many[endpoint]
    }
    assert grown == {}, f"pages whose statements grew with the data: {grown}"


def test_the_check_finds_a_page_that_gains_a_query_per_row(
    app, world, grow, count_queries, monkeypatch
):
    """Proof that the check can fail: the people list made to look up each row's
    audit trail on its own."""
    real_render = people_views.render_template

    def render_with_a_query_per_row(template, **context):
        for person in context["page"].items if "page" in context else []:
            db.session.scalar(
                select(func.count(AuditEvent.id)).where(AuditEvent.entity_id == str(person.id))
            )
        return real_render(template, **context)

    monkeypatch.setattr(people_views, "render_template", render_with_a_query_per_row)
    few = _measure(app, world, count_queries)
    grow(world, 12)
    many = _measure(app, world, count_queries)
    assert [endpoint for endpoint in PAGES if few[endpoint] != many[endpoint]] == ["people.index"]
