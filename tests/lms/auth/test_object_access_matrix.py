"""The access matrix for views about one object: every object-scoped route, called with a
real object by each outsider, refuses with 404 (403 where the route is for admins only).

The routes come from the declarations (`lms.auth.access.object_scoped_endpoints`), so a
new cohort, session, enrolment or assessment route is covered as soon as it is declared.

The outsiders:
- a learner on the cohort (not the owner of the attempt, submission, enrolment or
  certificate used);
- a learner on a cohort of another course;
- a trainer of a cohort of another course;
- a trainer of another cohort of the same course;
- a former trainer, still on the cohort's trainer list but whose trainer role was removed.

Each is an outsider for every rule except where the rule's own words admit them
(`ADMITTED`): a trainer of any cohort of the course authors its assessments, and a
learner on the cohort takes them. `test_each_rules_insiders_get_in` proves those people
really are let in, so that leaving them out of the matrix hides nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from flask import Flask, abort
from flask_login import current_user
from sqlalchemy import exists, func, select
from werkzeug.routing import Rule

from certificates import issue
from certificates.access import VIEWER as CERTIFICATE_VIEWER
from certificates.models import Certificate
from courses.assessments import attempts, submissions
from courses.assessments import views as assessment_views
from courses.assessments.access import AUTHOR, LEARNER, MARKER_OR_LEARNER, course_author
from courses.assessments.models import (
    Assessment,
    Attempt,
    Question,
    Submission,
    SubmissionStatus,
)
from courses.assessments.uploads import Upload
from courses.cohorts.access import MANAGER, cohort_manager
from courses.models import Cohort, CohortStatus, Enrolment, EnrolmentStatus
from lms.auth.access import access_rule, object_access, object_scoped_endpoints
from lms.auth.models import Role, User
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import OutboxMessage
from lms.core.timezones import local_today
from lms.cpd import record as cpd_record
from lms.cpd.categories import ensure_default_categories
from lms.cpd.models import CpdCategory, CpdEntry, CpdEvidence
from lms.cpd.record import EntryDetails
from lms.cpd.team_views import PERSON as CPD_TEAM
from lms.cpd.views import OWNER as CPD_OWNER
from lms.impact import views as evaluation_views
from lms.impact.models import ConfidenceRating, FollowUp, ReactionResponse
from lms.projects import coaching_views, support_views
from lms.projects import views as project_views
from lms.projects.models import (
    CoachingSession,
    Project,
    ProjectMember,
    ProjectRole,
    ProjectStatus,
    Support,
    SupportStatus,
)
from tests.helpers import log_in

ADMIN_ONLY = "role: admin"
TAKER = assessment_views.TAKER  # the learner on a cohort of its course
TAKER_OR_AUTHOR = assessment_views.TAKER_OR_AUTHOR

LEARNER_ON_THE_COHORT = "a learner on the cohort"
LEARNER_ON_ANOTHER_COURSE = "a learner on another course"
TRAINER_OF_ANOTHER_COURSE = "a trainer of another course"
TRAINER_OF_ANOTHER_COHORT = "a trainer of another cohort of the course"
FORMER_TRAINER = "a former trainer"

# Outsiders whom a rule's own words admit: they are not outsiders for its routes.
ADMITTED: dict[str, set[str]] = {
    AUTHOR: {TRAINER_OF_ANOTHER_COHORT},
    TAKER_OR_AUTHOR: {LEARNER_ON_THE_COHORT, TRAINER_OF_ANOTHER_COHORT},
    TAKER: {LEARNER_ON_THE_COHORT},
}

# What the matrix must at least find, with the rule each declares: the cohort's roster,
# registers, check-in, sign-in sheet, grid and CSV, the cohort admin page with its status
# change (which cancels), closing, the gradebook and marking; a course's assessments and
# question bank; a learner's attempts and submissions.
MUST_COVER = {
    "attendance.register": MANAGER,
    "attendance.cohort_grid": MANAGER,
    "attendance.cohort_grid_csv": MANAGER,
    "checkin.screen": MANAGER,
    "checkin.screen_json": MANAGER,
    "signin_sheet.download": MANAGER,
    "cohort_admin.show": MANAGER,
    "cohort_admin.change_status": MANAGER,
    "cohort_admin.add_session": MANAGER,
    "cohort_admin.edit_session": MANAGER,
    "cohort_admin.cancel_session": MANAGER,
    "cohort_closing.close": MANAGER,
    "gradebook.show": MANAGER,
    "gradebook.download": MANAGER,
    "assignments.marking": MANAGER,
    "assignments.mark": MANAGER,
    "cohorts.cancel": "the learner themself, or an admin",  # an outsider: another learner
    "approvals.decide": "line manager of the learner who asked",
    "assessment_authoring.index": AUTHOR,
    "assessment_authoring.create": AUTHOR,
    "assessment_authoring.show": AUTHOR,
    "assessment_authoring.archive": AUTHOR,
    "assessment_authoring.add_question": AUTHOR,
    "assessment_authoring.add_draw": AUTHOR,
    "assessment_authoring.remove_item": AUTHOR,
    "assessment_authoring.move_item": AUTHOR,
    "assessment_authoring.questions": AUTHOR,
    "assessment_authoring.create_question": AUTHOR,
    "assessment_authoring.edit_question": AUTHOR,
    "assessment_authoring.retire_question": AUTHOR,
    "assessments.show": TAKER_OR_AUTHOR,
    "assessments.start": TAKER,
    "assignments.submit": TAKER,
    "assessments.attempt": LEARNER,
    "assessments.save": LEARNER,
    "assessments.submit": LEARNER,
    "assignments.download": MARKER_OR_LEARNER,
    "certificates.show": CERTIFICATE_VIEWER,
    "certificates.download": CERTIFICATE_VIEWER,
    "certificates.cohort": MANAGER,
    "certificates.cohort_zip": MANAGER,
    "badges.credential": CERTIFICATE_VIEWER,
    "badges.signed": CERTIFICATE_VIEWER,
    "cpd.show": CPD_OWNER,
    "cpd.edit": CPD_OWNER,
    "cpd.delete": CPD_OWNER,
    "cpd.evidence": CPD_OWNER,
    "cpd_team.person": CPD_TEAM,
    "projects.edit": project_views.RUNNERS,
    "projects.people": project_views.RUNNERS,
    "projects.remove_person": project_views.RUNNERS,
    "projects.add_update": project_views.RUNNERS,
    "projects.close": project_views.RUNNERS,
    "projects.merge": project_views.ADMINS,
    "support.show": support_views.VIEWER,
    "support.withdraw": support_views.REQUESTER,
    "coaching.support": coaching_views.SUPPORT_VIEWER,
    "coaching.new_session": coaching_views.SUPPORT_COACH,
    "coaching.session": coaching_views.SESSION_PARTY,
    "coaching.edit_session": coaching_views.SESSION_COACH,
    "coaching.delete_session": coaching_views.SESSION_REMOVER,
    "coaching.confirm": coaching_views.SESSION_COACHEE,
    "coaching.add_to_cpd": coaching_views.SESSION_COACH,
    "evaluations.reaction": evaluation_views.LEARNER,
    "evaluations.confidence": evaluation_views.LEARNER,
    "evaluations.follow_up": evaluation_views.FOLLOW_UP_LEARNER,
    "evaluation_results.results": MANAGER,
}

# Routes whose URL argument must name another object than the world's usual one: the
# assignment (not the quiz) for submitting and marking.
ASSIGNMENT_ROUTES = {"assignments.submit", "assignments.marking"}
# The holder's completed place on a closed cohort (not the pending request) for evaluating.
EVALUATION_ROUTES = {"evaluations.reaction", "evaluations.confidence"}
# Query strings a route needs to get past its own checks to its page.
QUERIES = {"assessment_authoring.create": "?kind=quiz"}


@dataclass
class World:
    ids: dict[str, int | str]  # URL argument -> the id (or code) of a real object
    assignment_id: int
    evaluated_id: int  # the holder's completed enrolment on a closed cohort
    trainer: User  # teaches the cohort
    admin: User
    taker: User  # the learner on the cohort whose attempt and submission the ids name
    holder: User  # the learner on the cohort whose certificate (and CPD entry) the ids name
    holders_manager: User  # the holder's line manager, who sees their CPD year
    outsiders: dict[str, User]
    state: dict = field(default_factory=dict)  # what no outsider may change

    def url(self, rule: Rule) -> str:
        missing = set(rule.arguments) - self.ids.keys()
        assert not missing, f"{rule.endpoint}: the world has no {sorted(missing)}; add one"
        values = {name: self.ids[name] for name in rule.arguments}
        if rule.endpoint in ASSIGNMENT_ROUTES:
            values["assessment_id"] = self.assignment_id
        if rule.endpoint in EVALUATION_ROUTES:
            values["enrolment_id"] = self.evaluated_id
        return rule.build(values)[1] + QUERIES.get(rule.endpoint, "")


def _state(world_ids: dict, assignment_id: int) -> dict:
    """What the world's objects look like: none of the outsiders' calls may change it."""
    db.session.expire_all()
    cohort = db.session.get(Cohort, world_ids["cohort_id"])
    quiz = db.session.get(Assessment, world_ids["assessment_id"])
    attempt = db.session.get(Attempt, world_ids["attempt_id"])
    submission = db.session.get(Submission, world_ids["submission_id"])
    question = db.session.get(Question, world_ids["question_id"])
    return {
        "cohort": cohort.status,
        "sessions": [(s.id, s.cancelled, s.check_in_secret) for s in cohort.sessions],
        "their request": db.session.get(Enrolment, world_ids["enrolment_id"]).status,
        "quiz": (quiz.title, quiz.archived, [(i.id, i.position) for i in quiz.items]),
        "assessments": db.session.scalar(select(func.count(Assessment.id))),
        "attempts": db.session.scalar(select(func.count(Attempt.id))),
        "attempt": (attempt.submitted_at, [aq.selected for aq in attempt.questions]),
        "submissions": db.session.scalar(select(func.count(Submission.id))),
        "submission": (submission.status, submission.feedback, submission.marked_at),
        "questions": db.session.scalar(select(func.count(Question.id))),
        "question": (question.text, question.retired),
        "assignment": db.session.get(Assessment, assignment_id).archived,
        "mail": db.session.scalar(select(func.count(OutboxMessage.id))),
        "certificates": db.session.execute(
            select(Certificate.number, Certificate.status).order_by(Certificate.id)
        ).all(),
        "cpd entries": db.session.execute(
            select(CpdEntry.id, CpdEntry.title, CpdEntry.hours, CpdEntry.learned).order_by(
                CpdEntry.id
            )
        ).all(),
        "cpd evidence": db.session.scalar(select(func.count(CpdEvidence.id))),
        "evaluations": (
            db.session.scalar(select(func.count(ReactionResponse.id))),
            db.session.scalar(select(func.count(ConfidenceRating.id))),
            db.session.execute(select(FollowUp.answered_at, FollowUp.applied)).all(),
        ),
        "projects": db.session.execute(
            select(Project.id, Project.title, Project.status, Project.starts_on).order_by(
                Project.id
            )
        ).all(),
        "project people": db.session.execute(
            select(ProjectMember.project_id, ProjectMember.person_id, ProjectMember.role).order_by(
                ProjectMember.id
            )
        ).all(),
        "support": db.session.execute(
            select(Support.id, Support.status, Support.responsible_id).order_by(Support.id)
        ).all(),
        "coaching sessions": db.session.execute(
            select(
                CoachingSession.id,
                CoachingSession.minutes,
                CoachingSession.notes,
                CoachingSession.confirmed_at,
                CoachingSession.coach_entry_id,
            ).order_by(CoachingSession.id)
        ).all(),
    }


@pytest.fixture
def world(
    make_user, make_course, make_cohort, make_enrolment, make_question, make_quiz, make_assignment
) -> World:
    course = make_course(code="PM-OCC", learning_outcomes=["Write a project brief"])
    other_course = make_course(code="RISK-101")
    trainer = make_user("a.trainer@example.nhs.uk", roles=[Role.TRAINER])
    same_course_trainer = make_user("b.trainer@example.nhs.uk", roles=[Role.TRAINER])
    former = make_user("c.former@example.nhs.uk", roles=[Role.TRAINER])
    other_course_trainer = make_user("d.trainer@example.nhs.uk", roles=[Role.TRAINER])
    admin = make_user("admin@example.nhs.uk", roles=[Role.ADMIN])
    cohort = make_cohort(course, trainers=[trainer, former])
    make_cohort(course, trainers=[same_course_trainer])
    elsewhere = make_cohort(other_course, trainers=[other_course_trainer])
    on_the_cohort = make_user("on.the.cohort@example.nhs.uk")
    make_enrolment(cohort, on_the_cohort)
    on_another_course = make_user("on.another.course@example.nhs.uk")
    make_enrolment(elsewhere, on_another_course)
    # someone else's request: the object of the enrolment routes
    theirs = make_enrolment(cohort, status=EnrolmentStatus.PENDING_APPROVAL)
    # the course's quiz and assignment; the taker's attempt (in progress) and submission
    taker = make_user("the.taker@example.nhs.uk")
    place = make_enrolment(cohort, taker)
    questions = [make_question(course, f"Question {n}", category="Risk") for n in range(3)]
    quiz = make_quiz(course, questions[:2], draws=[("Risk", 1)])
    assignment = make_assignment(course)
    attempt = attempts.start_attempt(quiz, place, now=utcnow())
    content = b"%PDF-1.4 the taker's PID"
    submission = submissions.submit(
        assignment,
        place,
        "My PID",
        Upload("pid.pdf", "application/pdf", content, "0" * 64),
        now=utcnow(),
        by=taker,
    )
    # a learner on the cohort who completed it, and their certificate
    holders_manager = make_user("the.holders.manager@example.nhs.uk")
    holder = make_user("the.holder@example.nhs.uk", line_manager=holders_manager)
    certificate = issue(make_enrolment(cohort, holder, status=EnrolmentStatus.COMPLETED))
    # an entry the holder logged in their CPD record, with a file of evidence
    ensure_default_categories()
    reading = db.session.scalar(select(CpdCategory).where(CpdCategory.name == "Reading"))
    notes = b"%PDF-1.4 the holder's notes"
    entry = cpd_record.add_entry(
        holder,
        EntryDetails(
            title="Reading",
            category_id=reading.id,
            activity_on=local_today(),
            hours=Decimal("2"),
            learned="Stage gates",
        ),
        evidence=Upload("notes.pdf", "application/pdf", notes, "0" * 64),
    )
    # the holder's project, with accepted coaching from the trainer and one unconfirmed
    # session with private notes
    project = Project(
        title="Same day emergency care",
        starts_on=local_today(),
        status=ProjectStatus.ACTIVE,
        members=[ProjectMember(person_id=holder.id, role=ProjectRole.LEAD)],
    )
    db.session.add(project)
    db.session.flush()
    support = Support(
        project_id=project.id,
        requested_by_id=holder.id,
        coaching=True,
        need="Coaching",
        status=SupportStatus.ACCEPTED,
        responsible_id=trainer.id,
        starts_on=local_today(),
    )
    db.session.add(support)
    db.session.flush()
    coaching_session = CoachingSession(
        support_id=support.id,
        coach_id=trainer.id,
        coachee_id=holder.id,
        held_on=local_today(),
        minutes=60,
        topic="Planning",
        notes="Private to the two",
    )
    db.session.add(coaching_session)
    # the holder's place on a closed cohort of the course, to evaluate, and its follow-up
    finished = make_cohort(course, trainers=[trainer], status=CohortStatus.CLOSED)
    finished.closed_at = utcnow()
    evaluated = make_enrolment(
        finished, holder, status=EnrolmentStatus.COMPLETED, ended_at=utcnow()
    )
    follow_up = FollowUp(
        enrolment_id=evaluated.id, months=3, due_on=local_today(), queued_at=utcnow()
    )
    db.session.add(follow_up)
    former.role_grants.clear()  # the trainer role is removed; the trainer list keeps them
    db.session.commit()
    assert former in cohort.trainers and not former.is_trainer
    assert attempt.submitted_at is None and submission.status == SubmissionStatus.SUBMITTED
    ids = {
        "cohort_id": cohort.id,
        "session_id": cohort.sessions[0].id,
        "enrolment_id": theirs.id,
        "course_code": course.code,
        "assessment_id": quiz.id,
        "item_id": quiz.items[0].id,
        "question_id": questions[0].id,
        "attempt_id": attempt.id,
        "submission_id": submission.id,
        "number": certificate.number,
        "entry_id": entry.id,
        "person_id": holder.id,
        "project_id": project.id,
        "member_id": project.members[0].id,
        "support_id": support.id,
        "coaching_session_id": coaching_session.id,
        "phase": "after",
        "follow_up_id": follow_up.id,
    }
    return World(
        ids=ids,
        assignment_id=assignment.id,
        evaluated_id=evaluated.id,
        trainer=trainer,
        admin=admin,
        taker=taker,
        holder=holder,
        holders_manager=holders_manager,
        outsiders={
            LEARNER_ON_THE_COHORT: on_the_cohort,
            LEARNER_ON_ANOTHER_COURSE: on_another_course,
            TRAINER_OF_ANOTHER_COURSE: other_course_trainer,
            TRAINER_OF_ANOTHER_COHORT: same_course_trainer,
            FORMER_TRAINER: former,
        },
        state=_state(ids, assignment.id),
    )


def _methods(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _methods_of(app: Flask, endpoint: str) -> set[str]:
    return {method for rule in app.url_map.iter_rules(endpoint=endpoint) for method in rule.methods}


def _client_for(app: Flask, person: User):
    client = app.test_client()
    assert log_in(client, person.email).status_code == 302, person.email
    return client


def _rule_words(app: Flask, endpoint: str) -> str | None:
    declared = object_scoped_endpoints(app).get(endpoint)
    return declared.description if declared is not None else access_rule(app, endpoint)


def outsider_failures(app: Flask, world: World) -> list[tuple[str, str, str, int]]:
    """(endpoint, method, outsider, status) for every call an outsider was not refused.

    Object-scoped routes must answer 404; admin-only routes about a world object, 403.
    An outsider whom the route's rule admits (`ADMITTED`) is not called.
    """
    expected = dict.fromkeys(object_scoped_endpoints(app), 404)
    for rule in app.url_map.iter_rules():
        if access_rule(app, rule.endpoint) == ADMIN_ONLY and set(rule.arguments) & world.ids.keys():
            expected.setdefault(rule.endpoint, 403)
    clients = {name: _client_for(app, person) for name, person in world.outsiders.items()}
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in expected:
            continue
        url = world.url(rule)
        admitted = ADMITTED.get(_rule_words(app, rule.endpoint), set())
        for method in _methods(rule):
            for name, client in clients.items():
                if name in admitted:
                    continue
                status = client.open(url, method=method).status_code
                if status != expected[rule.endpoint]:
                    failures.append((rule.endpoint, method, name, status))
    return sorted(failures)


def test_every_object_scoped_route_refuses_its_outsiders(app, world):
    # the objects start as the outsiders could change them
    assert world.state["cohort"] == CohortStatus.OPEN
    assert [cancelled for _, cancelled, _ in world.state["sessions"]] == [False]
    assert world.state["their request"] == EnrolmentStatus.PENDING_APPROVAL
    assert world.state["attempt"][0] is None and world.state["submission"][2] is None
    assert outsider_failures(app, world) == []
    # and nothing they posted changed anything: no cancelled cohort or session, no
    # decided request, no attempt answered or started, no mark, no authoring, no mail
    assert _state(world.ids, world.assignment_id) == world.state


def test_the_object_scoped_routes_come_from_the_declarations(app):
    declared = object_scoped_endpoints(app)
    assert declared.keys() >= MUST_COVER.keys(), MUST_COVER.keys() - declared.keys()
    assert {name: declared[name].description for name in MUST_COVER} == MUST_COVER
    for rule in app.url_map.iter_rules():
        if rule.endpoint in declared:
            # the declaration names the URL argument that carries the object
            assert declared[rule.endpoint].argument in rule.arguments, rule.endpoint


def test_each_rules_insiders_get_in(app, world):
    """The world is real: the 404s above are refusals, not missing objects, and the
    outsiders a rule admits (`ADMITTED`) do get in. Every GET route about one object is
    opened by each person its rule admits."""
    same_course_trainer = world.outsiders[TRAINER_OF_ANOTHER_COHORT]
    on_the_cohort = world.outsiders[LEARNER_ON_THE_COHORT]
    insiders = {
        MANAGER: [world.trainer, world.admin],
        AUTHOR: [world.trainer, world.admin, same_course_trainer],
        TAKER_OR_AUTHOR: [world.taker, on_the_cohort, world.trainer, same_course_trainer],
        LEARNER: [world.taker],
        MARKER_OR_LEARNER: [world.taker, world.trainer, world.admin],
        CERTIFICATE_VIEWER: [world.holder, world.trainer, world.admin],
        CPD_OWNER: [world.holder],
        CPD_TEAM: [world.holders_manager, world.admin],
        project_views.RUNNERS: [world.holder, world.admin],
        project_views.ADMINS: [world.admin],
        support_views.VIEWER: [world.admin, world.holder, world.trainer],
        coaching_views.SUPPORT_VIEWER: [world.trainer, world.holder, world.admin],
        coaching_views.SUPPORT_COACH: [world.trainer],
        coaching_views.SESSION_PARTY: [world.trainer, world.holder],
        coaching_views.SESSION_COACH: [world.trainer],
        coaching_views.SESSION_REMOVER: [world.trainer, world.admin],
        evaluation_views.LEARNER: [world.holder],
        evaluation_views.FOLLOW_UP_LEARNER: [world.holder],
    }
    declared = object_scoped_endpoints(app)
    opened = {}
    clients = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint not in declared or "GET" not in rule.methods:
            continue
        words = declared[rule.endpoint].description
        assert words in insiders, f"{rule.endpoint}: who gets in under {words!r}? add them"
        for person in insiders[words]:
            if person.email not in clients:
                clients[person.email] = _client_for(app, person)
            opened[(rule.endpoint, person.email)] = (
                clients[person.email].get(world.url(rule)).status_code
            )
    assert {call: status for call, status in opened.items() if status != 200} == {}
    assert {endpoint for endpoint, _ in opened} >= {
        name for name in MUST_COVER if "GET" in _methods_of(app, name)
    }


def test_the_outsider_matrix_fails_on_a_view_that_forgets_the_rule(make_app, app, world):
    """Proof that the check can fail: a throwaway app with an object-scoped view that
    never checks, one that still uses the old cohort rule (the trainer list alone), an
    authoring view that admits any trainer, and an attempt view that admits any learner
    on the attempt's cohort."""
    throwaway = make_app()

    @throwaway.get("/teach/cohorts/<int:cohort_id>/forgetful")
    @object_access(MANAGER, argument="cohort_id")
    def forgetful(cohort_id: int):
        return "the roster"

    @throwaway.get("/teach/cohorts/<int:cohort_id>/old-rule")
    @object_access(MANAGER, argument="cohort_id")
    def old_rule(cohort_id: int):
        cohort = db.session.get(Cohort, cohort_id)
        if cohort is None or not (
            current_user.is_admin or any(t.id == current_user.id for t in cohort.trainers)
        ):
            abort(404)
        return "the roster"

    @throwaway.get("/teach/cohorts/<int:cohort_id>/guarded")
    @cohort_manager(load="cohort_id")
    def guarded(cohort_id: int, cohort: Cohort):
        return "the roster"

    @throwaway.get("/teach/assessments/<int:assessment_id>/any-trainer")
    @object_access(AUTHOR, argument="assessment_id")
    def any_trainer(assessment_id: int):
        if not (current_user.is_admin or current_user.is_trainer):
            abort(404)
        return "the quiz's questions"

    @throwaway.get("/teach/assessments/<int:assessment_id>/authored")
    @course_author(load="assessment_id")
    def authored(assessment_id: int, assessment: Assessment):
        return "the quiz's questions"

    @throwaway.get("/attempts/<int:attempt_id>/cohort-wide")
    @object_access(LEARNER, argument="attempt_id")
    def cohort_wide(attempt_id: int):
        attempt = db.session.get(Attempt, attempt_id)
        on_its_cohort = attempt is not None and db.session.scalar(
            select(
                exists().where(
                    Enrolment.cohort_id == attempt.enrolment.cohort_id,
                    Enrolment.learner_id == current_user.id,
                )
            )
        )
        if not on_its_cohort:
            abort(404)
        return "their answers"

    planted = {"forgetful", "old_rule", "guarded", "any_trainer", "authored", "cohort_wide"}
    assert planted <= object_scoped_endpoints(throwaway).keys()
    failures = outsider_failures(throwaway, world)
    assert [failure for failure in failures if failure[0] in planted] == [
        ("any_trainer", "GET", TRAINER_OF_ANOTHER_COURSE, 200),
        ("cohort_wide", "GET", LEARNER_ON_THE_COHORT, 200),
        ("forgetful", "GET", FORMER_TRAINER, 200),
        ("forgetful", "GET", LEARNER_ON_ANOTHER_COURSE, 200),
        ("forgetful", "GET", LEARNER_ON_THE_COHORT, 200),
        ("forgetful", "GET", TRAINER_OF_ANOTHER_COHORT, 200),
        ("forgetful", "GET", TRAINER_OF_ANOTHER_COURSE, 200),
        ("old_rule", "GET", FORMER_TRAINER, 200),
    ]
