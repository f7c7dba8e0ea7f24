"""A believable demo trust: the PMO's programmes and people in every role.

Built through the same services the pages call (people, courses, cohorts, enrolment,
approval, registers, the question bank, quizzes and assignments, attempts, submissions and
their marks), each with `by=` the person who would do it, so the demo follows
every rule, writes the audit events a real run would, and breaks loudly when a rule
changes.
"""

from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from hashlib import sha256
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas
from sqlalchemy import delete, func, select

from courses.assessments import attempts, submissions
from courses.assessments.authoring import AssessmentDetails, add_question_item, create_assessment
from courses.assessments.bank import QuestionDetails, create_question
from courses.assessments.models import (
    Assessment,
    AssessmentKind,
    Question,
    QuestionType,
    SubmissionStatus,
)
from courses.assessments.uploads import Upload
from courses.attendance import mark_register
from courses.catalogue import CourseDetails, add_category, create_course, publish
from courses.cohorts.closing import close_cohort
from courses.cohorts.cohorts import (
    CohortDetails,
    SessionDetails,
    add_session,
    change_status,
    create_cohort,
    london_to_utc,
)
from courses.enrolment import decide, enrol
from courses.models import (
    AttendanceStatus,
    Cohort,
    CohortStatus,
    Course,
    DeliveryMode,
    Enrolment,
    EnrolmentStatus,
)
from lms.audit import audit
from lms.auth.models import Role, User
from lms.auth.passwords import hash_password
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.outbox import PENDING, OutboxMessage
from lms.core.timezones import local_today
from lms.cpd.categories import categories as cpd_categories
from lms.cpd.categories import ensure_default_categories
from lms.cpd.record import EntryDetails, add_entry, set_preferences
from lms.impact import demo as impact_demo
from lms.people.directory import PersonDetails, create_person
from lms.projects.demo import seed_projects

DEMO_LOGINS = (
    ("admin@example.nhs.uk", "Amara Okafor", "Head of Portfolio Management Office", {Role.ADMIN}),
    ("trainer@example.nhs.uk", "Tom Hughes", "Programme Manager and PMO Trainer", {Role.TRAINER}),
    ("manager@example.nhs.uk", "Grace Mensah", "Matron, Surgical Services", set()),
    ("learner@example.nhs.uk", "Zoë Ashworth", "Ward Manager, Ward 5 Surgery", set()),
)

MORE_LEARNERS = (
    (
        "sian.apgwyn@example.nhs.uk",
        "Siân ap Gwyn",
        "Physiotherapist",
        "Therapies",
        "Clinical Support",
    ),
    (
        "liam.oneill@example.nhs.uk",
        "Liam O'Neill",
        "Project Support Officer",
        "Digital Services",
        "Corporate",
    ),
    ("priya.shah@example.nhs.uk", "Priya Shah", "Lead Nurse, Quality", "Quality Team", "Corporate"),
    ("noah.bennett@example.nhs.uk", "Noah Bennett", "Estates Officer", "Estates", "Corporate"),
    ("mia.clarke@example.nhs.uk", "Mia Clarke", "Midwife", "Maternity", "Women and Children"),
)

CATEGORIES = ("Training programme", "Workshop", "Coaching", "E-learning")


@dataclass(frozen=True)
class DemoCourse:
    code: str
    title: str
    category: str
    delivery_mode: DeliveryMode
    cpd_hours: str
    summary: str
    outcomes: tuple[str, ...]
    accredited: bool = False
    requires_approval: bool = False
    validity_months: int | None = None  # how long its certificates are valid for
    allows_recertification: bool = False


COURSES = (
    DemoCourse(
        "PM-OCC",
        "Project management for occasional project managers",
        "Training programme",
        DeliveryMode.BLENDED,
        "18",
        "A CPD-accredited programme for staff who run projects alongside their day job: "
        "six half-day sessions covering the project lifecycle the trust uses.",
        (
            "Define a project's scope, objectives and benefits",
            "Plan a project with milestones, risks and a RAID log",
            "Engage stakeholders and report progress to a project board",
            "Close a project and hand over to business as usual",
        ),
        accredited=True,
        requires_approval=True,
    ),
    DemoCourse(
        "PD-WKSHP",
        "Project design workshop",
        "Workshop",
        DeliveryMode.IN_PERSON,
        "3.5",
        "A facilitated half-day workshop that turns an idea into a project on a page.",
        ("Write a problem statement", "Agree measurable outcomes", "Draft a project on a page"),
    ),
    DemoCourse(
        "PGM-INT",
        "Programme management",
        "Training programme",
        DeliveryMode.BLENDED,
        "12",
        "For project managers stepping up to coordinate several related projects.",
        ("Set up programme governance", "Manage dependencies across projects", "Track benefits"),
    ),
    DemoCourse(
        "SRO-ESS",
        "Senior Responsible Owner (SRO) essentials",
        "Training programme",
        DeliveryMode.ONLINE,
        "4",
        "What senior responsible owners are accountable for, and how to hold a project to account.",
        (
            "Explain the SRO's accountabilities",
            "Chair a project board",
            "Challenge a business case",
        ),
        validity_months=24,
        allows_recertification=True,
    ),
    DemoCourse(
        "LIVED-EXP",
        "Working with people with lived experience",
        "Workshop",
        DeliveryMode.IN_PERSON,
        "3",
        "Co-producing projects with patients, carers and lived experience partners.",
        ("Plan meaningful involvement", "Pay and support partners fairly", "Share decisions"),
    ),
    DemoCourse(
        "PM-COACH",
        "Project coaching",
        "Coaching",
        DeliveryMode.ONLINE,
        "1",
        "One-to-one coaching with a PMO practitioner while you run your project.",
        ("Reflect on a live project", "Agree next steps with a coach"),
    ),
)


def demo_password(instance_path: Path) -> str:
    """LMS_DEMO_PASSWORD, or a random one kept in the instance folder so it can be shown again."""
    configured = os.environ.get("LMS_DEMO_PASSWORD")
    if configured:
        return configured
    path = instance_path / "demo-password"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    password = "-".join(secrets.token_hex(3) for _ in range(4))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password)
    return password


def is_empty() -> bool:
    return not db.session.scalar(select(func.count()).select_from(User))


def seed(password: str) -> list[str]:
    """Adds the demo trust; returns the demo logins. Call on an empty database."""
    people = _seed_people(hash_password(password))
    admin = people["admin@example.nhs.uk"]
    courses = _seed_courses(admin)
    _seed_open_cohorts(courses, people)
    _seed_running_cohort(courses["PM-OCC"], people)
    _seed_closed_cohort(courses["SRO-ESS"], people)
    # Closing the cohort issues its certificates once the closing has committed (and the
    # certificates' CPD entries once theirs has).
    db.session.commit()
    _seed_cpd(people)
    seed_projects(people, local_today())
    db.session.commit()
    # The demo's people are made up: the mail the services queued for them is not sent.
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.status == PENDING))
    audit.record(None, "demo.seeded", None, entity_type="System")
    return [email for email, *_ in DEMO_LOGINS]


# (days ago, title, category, hours, provider, what was learned, how it was applied)
DEMO_CPD = {
    "learner@example.nhs.uk": (
        (
            12,
            "Reading: Managing Successful Projects with PRINCE2",
            "Reading",
            "3",
            "Axelos",
            "How stage boundaries give the board a decision point.",
            "I added two stage gates to the ward's discharge project plan.",
        ),
        (
            45,
            "Shadowing the theatres scheduling project",
            "Work-based learning",
            "6",
            "Surgical Services PMO",
            "How a RAID log is kept up to date every week.",
            "",
        ),
        (
            400,
            "APM Project Management Conference",
            "Conference",
            "6.5",
            "APM",
            "Benefits mapping from the keynote.",
            "We now map benefits before the PID.",
        ),
    ),
    "sian.apgwyn@example.nhs.uk": (
        (
            20,
            "Mentoring session with the head of the PMO",
            "Mentoring",
            "1.5",
            "PMO",
            "How to present a change request to the board.",
            "Used it at our board in May.",
        ),
    ),
    "priya.shah@example.nhs.uk": (
        (
            8,
            "NHS Elect webinar: lean in outpatients",
            "Course",
            "2",
            "NHS Elect",
            "Value-stream mapping.",
            "Mapping our clinic's referral path next month.",
        ),
    ),
}


def _seed_cpd(people: dict[str, User]) -> None:
    """A few CPD entries the demo's learners logged themselves, one with a file of
    evidence, beside the entries their certificates made; one learner shares their
    reflections with their line manager."""
    ensure_default_categories()
    by_name = {category.name: category.id for category in db.session.scalars(cpd_categories())}
    today = local_today()
    for email, entries in DEMO_CPD.items():
        for index, (ago, title, category, hours, provider, learned, applied) in enumerate(entries):
            evidence = None
            if index == 0:
                notes = render_notes(title)
                evidence = Upload("notes.pdf", "application/pdf", notes, sha256(notes).hexdigest())
            add_entry(
                people[email],
                EntryDetails(
                    title=title,
                    category_id=by_name[category],
                    activity_on=today - timedelta(days=ago),
                    hours=Decimal(hours),
                    provider=provider,
                    learned=learned,
                    applied=applied,
                ),
                evidence=evidence,
                today=today,
            )
    set_preferences(
        people["sian.apgwyn@example.nhs.uk"],
        target_hours=None,
        professional_body="APM",
        share_reflections=True,
    )
    db.session.commit()


def render_notes(title: str) -> bytes:
    """A one-page PDF of notes, the demo's evidence file."""
    buffer = io.BytesIO()
    page = Canvas(buffer, invariant=1)
    page.drawString(72, 770, f"Notes: {title}")
    page.save()
    return buffer.getvalue()


def _seed_people(password_hash: str) -> dict[str, User]:
    """Everyone in the demo, added as an admin would add them (no invitations sent)."""
    people: dict[str, User] = {}
    staff_numbers = iter(range(100001, 100100))

    def person(email, name, title, department=None, group=None, manager=None, roles=()):
        details = PersonDetails(
            email=email,
            full_name=name,
            job_title=title,
            staff_number=str(next(staff_numbers)) if department else None,
            department=department,
            service_group=group,
            line_manager_email=manager,
            roles=set(roles),
        )
        people[email] = create_person(details, by=people.get(DEMO_LOGINS[0][0]), invite=False)
        people[email].password_hash = password_hash

    pmo = ("Portfolio Management Office", "Improvement")
    (admin, admin_name, admin_title, admin_roles) = DEMO_LOGINS[0]
    person(admin, admin_name, admin_title, *pmo, roles=admin_roles)
    (trainer, trainer_name, trainer_title, trainer_roles) = DEMO_LOGINS[1]
    person(trainer, trainer_name, trainer_title, *pmo, manager=admin, roles=trainer_roles)
    (manager, manager_name, manager_title, _) = DEMO_LOGINS[2]
    surgery = ("Surgical Services", "Surgical Services")
    person(manager, manager_name, manager_title, *surgery, manager=admin)
    (learner, learner_name, learner_title, _) = DEMO_LOGINS[3]
    person(learner, learner_name, learner_title, "Ward 5 Surgery", surgery[1], manager=manager)
    for email, name, title, department, group in MORE_LEARNERS:
        person(email, name, title, department, group, manager=manager)
    # An external learner: an email, but no staff number or department.
    person("isla.hughes@example.org", "Isla Hughes", "Lived experience partner", manager=admin)
    return people


def _seed_courses(admin: User) -> dict[str, Course]:
    """The PMO's programmes, created and published by the admin."""
    categories = {name: add_category(name, by=admin) for name in CATEGORIES}
    courses: dict[str, Course] = {}
    for spec in COURSES:
        accreditation = {}
        if spec.accredited:
            accreditation = {
                "accreditation_body": "The CPD Certification Service",
                "accreditation_reference": "CPD-PMO-2026-018",
                "accreditation_valid_from": date(2026, 4, 1),
                "accreditation_valid_to": date(2027, 3, 31),
            }
        details = CourseDetails(
            code=spec.code,
            title=spec.title,
            summary=spec.summary,
            learning_outcomes=list(spec.outcomes),
            category_id=categories[spec.category].id,
            delivery_mode=spec.delivery_mode,
            cpd_hours=Decimal(spec.cpd_hours),
            requires_approval=spec.requires_approval,
            prerequisite_ids=[courses["PM-OCC"].id] if spec.code == "PGM-INT" else [],
            certificate_validity_months=spec.validity_months,
            allows_recertification=spec.allows_recertification,
            **accreditation,
        )
        courses[spec.code] = create_course(details, by=admin)
        publish(courses[spec.code], by=admin)
    return courses


# (course code, capacity, weeks until the first session, session titles, days between sessions)
DEMO_COHORTS = (
    (
        "PM-OCC",
        12,
        4,
        (
            "Starting a project",
            "Planning",
            "Risks and issues",
            "Stakeholders",
            "Delivery and reporting",
            "Closing a project",
        ),
        7,
    ),
    ("PD-WKSHP", 20, 2, ("Project design workshop",), 0),
    ("PGM-INT", 12, 8, ("Programme governance", "Benefits and dependencies"), 14),
    ("SRO-ESS", 16, 3, ("The SRO's accountabilities", "Holding a project to account"), 7),
    ("LIVED-EXP", 15, 5, ("Co-production in practice",), 0),
    ("PM-COACH", 4, 1, ("First coaching call", "Second coaching call", "Third coaching call"), 14),
)


def _open_cohort(course: Course, code: str, capacity: int, *, by: User, trainer: User, **window):
    details = CohortDetails(
        code=code,
        capacity=capacity,
        venue="Education Centre, Room 2" if course.delivery_mode != DeliveryMode.ONLINE else None,
        online_link="https://teams.example.nhs.uk/pmo-training"
        if course.delivery_mode != DeliveryMode.IN_PERSON
        else None,
        trainer_ids=[trainer.id],
        **window,
    )
    return create_cohort(course, details, by=by)


def _add_sessions(cohort: Cohort, first_day: date, titles, gap_days: int, *, by: User) -> None:
    for number, title in enumerate(titles):
        day = first_day + timedelta(days=gap_days * number)
        starts, ends = (
            london_to_utc(day, moment, field_name="") for moment in (time(9, 30), time(13))
        )
        add_session(cohort, SessionDetails(title=title, starts_at=starts, ends_at=ends), by=by)


def _join(cohort: Cohort, learner: User, when) -> Enrolment:
    """The learner enrols themself; a course needing approval goes to their manager, who
    approves the next day."""
    enrolment = enrol(cohort, learner, by=learner, now=when)
    if enrolment.status == EnrolmentStatus.PENDING_APPROVAL:
        decide(enrolment, approve=True, by=learner.line_manager, now=when + timedelta(days=1))
    return enrolment


def _seed_open_cohorts(courses: dict[str, Course], people: dict[str, User]) -> None:
    """One open cohort per course, with dated sessions, places taken, a waitlist and a
    request waiting for its manager."""
    admin, trainer = people["admin@example.nhs.uk"], people["trainer@example.nhs.uk"]
    now = utcnow()
    today = now.date()
    cohorts = {}
    for code, capacity, weeks, titles, gap in DEMO_COHORTS:
        first_day = today + timedelta(weeks=weeks)
        closes = london_to_utc(first_day - timedelta(days=2), time(17), field_name="")
        window = {"enrolment_opens_at": now - timedelta(days=14), "enrolment_closes_at": closes}
        cohort = _open_cohort(
            courses[code],
            f"{code}-{first_day.year}-1",
            capacity,
            by=admin,
            trainer=trainer,
            **window,
        )
        _add_sessions(cohort, first_day, titles, gap, by=admin)
        change_status(cohort, CohortStatus.OPEN, by=admin)
        cohorts[code] = cohort

    learner = people["learner@example.nhs.uk"]
    _join(cohorts["PD-WKSHP"], learner, now - timedelta(days=6))
    for days_ago, (email, *_) in enumerate(MORE_LEARNERS, start=3):
        _join(cohorts["PM-OCC"], people[email], now - timedelta(days=days_ago))
    coached = ("priya.shah", "liam.oneill", "noah.bennett", "mia.clarke")
    for days_ago, name in enumerate(coached, start=6):
        _join(cohorts["PM-COACH"], people[f"{name}@example.nhs.uk"], now - timedelta(days=days_ago))
    _join(cohorts["PM-COACH"], people["isla.hughes@example.org"], now - timedelta(days=3))
    _join(cohorts["PM-COACH"], learner, now - timedelta(days=2))  # the cohort is full: waitlisted
    enrol(cohorts["PM-OCC"], learner, by=learner, now=now - timedelta(hours=20))  # for approval


def _seed_running_cohort(course: Course, people: dict[str, User]) -> None:
    """A programme cohort under way: two sessions held and registered, the rest to come,
    and the course's quiz and assignment part done; so the trainer has registers, a grid,
    a gradebook and marking to show, and the demo learner a quiz to retake."""
    admin, trainer = people["admin@example.nhs.uk"], people["trainer@example.nhs.uk"]
    now = utcnow()
    # Thirteen days ago, so the third session is tomorrow: held today, its register would be
    # unmarked and everyone's attendance would drop below the course's minimum.
    started = now.date() - timedelta(days=13)
    joined = now - timedelta(weeks=5)
    window = {"enrolment_opens_at": joined - timedelta(days=1), "enrolment_closes_at": None}
    cohort = _open_cohort(
        course, f"{course.code}-{started.year}-0", 12, by=admin, trainer=trainer, **window
    )
    titles = ("Starting a project", "Planning", "Risks and issues", "Stakeholders")
    _add_sessions(cohort, started, titles, 7, by=admin)
    change_status(cohort, CohortStatus.OPEN, by=admin)
    names = ("learner", "sian.apgwyn", "priya.shah", "noah.bennett")
    learners = [people[f"{name}@example.nhs.uk"] for name in names]
    learners.append(people["isla.hughes@example.org"])
    enrolments = [_join(cohort, learner, joined) for learner in learners]
    change_status(cohort, CohortStatus.RUNNING, by=admin)
    marks = (
        (AttendanceStatus.PRESENT, AttendanceStatus.PRESENT),
        (AttendanceStatus.PRESENT, AttendanceStatus.LATE),
        (AttendanceStatus.EXCUSED, AttendanceStatus.PRESENT),
        (AttendanceStatus.ABSENT, AttendanceStatus.ABSENT),
        (AttendanceStatus.PRESENT, AttendanceStatus.LEFT_EARLY),
    )
    held = sorted(cohort.sessions, key=lambda session: session.starts_at)[:2]
    for number, session in enumerate(held):
        register = {
            enrolment.id: (statuses[number], None)
            for enrolment, statuses in zip(enrolments, marks, strict=True)
        }
        mark_register(session, register, by=trainer, now=session.ends_at)
    by_learner = {enrolment.learner.email: enrolment for enrolment in enrolments}
    _seed_assessments(course, by_learner, trainer, now)


def _seed_closed_cohort(course: Course, people: dict[str, User]) -> None:
    """A cohort held last month and closed: three of its four learners completed and
    have their certificates (issued when the closing commits), so the learner has one
    to download and verify, and the trainer a cohort's certificates to show. Its learners
    rated their confidence before and after, and three answered its survey
    (lms/impact/demo.py)."""
    admin, trainer = people["admin@example.nhs.uk"], people["trainer@example.nhs.uk"]
    now = utcnow()
    started = now.date() - timedelta(days=40)
    joined = now - timedelta(weeks=9)
    window = {"enrolment_opens_at": joined - timedelta(days=1), "enrolment_closes_at": None}
    cohort = _open_cohort(
        course, f"{course.code}-{started.year}-0", 12, by=admin, trainer=trainer, **window
    )
    titles = ("The SRO's accountabilities", "Holding a project to account")
    _add_sessions(cohort, started, titles, 7, by=admin)
    change_status(cohort, CohortStatus.OPEN, by=admin)
    names = ("learner", "sian.apgwyn", "priya.shah", "noah.bennett")
    enrolments = [_join(cohort, people[f"{name}@example.nhs.uk"], joined) for name in names]
    impact_demo.rate_before(enrolments, now=joined + timedelta(days=2))
    change_status(cohort, CohortStatus.RUNNING, by=admin)
    for number, session in enumerate(sorted(cohort.sessions, key=lambda s: s.starts_at)):
        register = {
            enrolment.id: (
                AttendanceStatus.ABSENT
                if enrolment.learner.email.startswith("noah") and number
                else AttendanceStatus.PRESENT,
                None,
            )
            for enrolment in enrolments
        }
        mark_register(session, register, by=trainer, now=session.ends_at)
    close_cohort(cohort, by=trainer, now=now - timedelta(days=30))
    impact_demo.evaluate_closed_cohort(enrolments, now=now - timedelta(days=28))


# The PM-OCC question bank: (type, category, question, options as (text, correct, feedback),
# or for true or false which answer is right, and the feedback shown after an attempt).
BANK = (
    (
        QuestionType.SINGLE,
        "Starting a project",
        "Which document sets out a project's scope, objectives, business case and how it "
        "will be governed?",
        (
            ("Project initiation document (PID)", True, ""),
            ("Highlight report", False, "A highlight report tells the board about progress."),
            ("Lessons log", False, "The lessons log records what to do differently next time."),
            ("Benefits map", False, "A benefits map links the outputs to the benefits."),
        ),
        "The PID is agreed at the start of the project and signed off by the project board.",
    ),
    (
        QuestionType.TRUE_FALSE,
        "Starting a project",
        "A project is temporary: it has a defined start and a defined end.",
        True,
        "That is what makes it a project rather than business as usual.",
    ),
    (
        QuestionType.MULTIPLE,
        "Planning",
        "Which of these belong in a RAID log?",
        (
            ("Risks", True, ""),
            ("Assumptions", True, ""),
            ("Issues", True, ""),
            ("Dependencies", True, ""),
            ("Staff rotas", False, "Rotas are for the service, not the project's log."),
        ),
        "RAID stands for risks, assumptions, issues and dependencies.",
    ),
    (
        QuestionType.SINGLE,
        "Risks and issues",
        "A risk has happened and is now affecting the project. What has it become?",
        (
            ("An issue", True, ""),
            ("A dependency", False, ""),
            ("An assumption", False, ""),
        ),
        "A risk might happen; an issue is happening. Move it to the issues part of the log.",
    ),
    (
        QuestionType.TRUE_FALSE,
        "Risks and issues",
        "Only the project manager may raise a risk.",
        False,
        "Anyone on the project can raise a risk; the project manager makes sure it is logged.",
    ),
    (
        QuestionType.MULTIPLE,
        "Stakeholders",
        "What should a highlight report to the project board include?",
        (
            ("Progress against the plan", True, ""),
            ("The top risks and issues", True, ""),
            ("Decisions the board needs to make", True, ""),
            ("Every email the team sent that week", False, ""),
        ),
        "Keep it short: where the project is, what could stop it, and what the board must do.",
    ),
)

QUIZ = AssessmentDetails(
    kind=AssessmentKind.QUIZ,
    title="Project lifecycle quiz",
    instructions="Six questions on starting, planning and running a project, from the "
    "programme's first four sessions.",
    pass_mark_percent=70,
    attempts_allowed=3,
    due_days_after_last_session=14,
)

ASSIGNMENT = AssessmentDetails(
    kind=AssessmentKind.ASSIGNMENT,
    title="Submit your project initiation document",
    instructions="Write the project initiation document (PID) for a project you are running "
    "or about to start, using the trust's template.\n\n"
    "It should set out the scope, objectives and benefits, the plan with its milestones, "
    "the main risks, and who sits on the project board. Ask your sponsor to read it first.",
    due_days_after_last_session=14,
)

# The answers each learner chose in their attempt, question by question (option texts).
ATTEMPTS = {
    # Four of six right (66.67%): not passed, two attempts left.
    "learner@example.nhs.uk": (
        {"Project initiation document (PID)"},
        {"True"},
        {"Risks", "Issues"},
        {"An issue"},
        {"True"},
        {
            "Progress against the plan",
            "The top risks and issues",
            "Decisions the board needs to make",
        },
    ),
    # All right: passed.
    "sian.apgwyn@example.nhs.uk": (
        {"Project initiation document (PID)"},
        {"True"},
        {"Risks", "Assumptions", "Issues", "Dependencies"},
        {"An issue"},
        {"False"},
        {
            "Progress against the plan",
            "The top risks and issues",
            "Decisions the board needs to make",
        },
    ),
}


def _question_details(kind, category, text, answers, feedback) -> QuestionDetails:
    if kind == QuestionType.TRUE_FALSE:
        return QuestionDetails(
            type=kind, text=text, category=category, feedback=feedback, true_is_correct=answers
        )
    return QuestionDetails(
        type=kind, text=text, category=category, feedback=feedback, options=list(answers)
    )


def _take_quiz(quiz: Assessment, questions: list[Question], enrolment: Enrolment, when) -> None:
    """The learner starts an attempt, chooses their answers and submits a quarter of an
    hour later."""
    attempt = attempts.start_attempt(quiz, enrolment, now=when)
    chosen = ATTEMPTS[enrolment.learner.email]
    answers = {
        question.id: [option.id for option in question.options if option.text in picked]
        for question, picked in zip(questions, chosen, strict=True)
    }
    attempts.submit_attempt(
        attempt, answers, now=when + timedelta(minutes=15), by=enrolment.learner
    )


def _seed_assessments(course: Course, enrolments: dict[str, Enrolment], trainer: User, now):
    """The programme's question bank, a quiz from it and the PID assignment, written by the
    trainer; attempts and submissions in every state, so the learner has a quiz to retake
    and the trainer has marking, a gradebook and a referral to show."""
    questions = [create_question(course, _question_details(*spec), by=trainer) for spec in BANK]
    quiz = create_assessment(course, QUIZ, by=trainer)
    for question in questions:
        add_question_item(quiz, question, by=trainer)
    pid = create_assessment(course, ASSIGNMENT, by=trainer)

    learner = enrolments["learner@example.nhs.uk"]
    sian = enrolments["sian.apgwyn@example.nhs.uk"]
    priya = enrolments["priya.shah@example.nhs.uk"]
    _take_quiz(quiz, questions, learner, now - timedelta(days=3))
    _take_quiz(quiz, questions, sian, now - timedelta(days=5))
    submissions.submit(
        pid,
        sian,
        "My PID for moving outpatient physiotherapy bookings to the new system. Scope: "
        "the three musculoskeletal clinics; benefit: 20% fewer missed appointments by March.",
        None,
        now=now - timedelta(days=1),
        by=sian.learner,
    )
    referred = submissions.submit(
        pid,
        priya,
        "Quality walkround programme: we will visit every ward once a quarter.",
        None,
        now=now - timedelta(days=4),
        by=priya.learner,
    )
    submissions.mark_submission(
        referred,
        SubmissionStatus.REFERRED,
        "A good start. Add measurable objectives and the benefits you expect, name your "
        "project board, and list the three biggest risks, then send it again.",
        now=now - timedelta(days=2),
        by=trainer,
    )
