"""A believable demo trust: the PMO's programmes and people in every role."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from datetime import date, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from courses.cohorts.cohorts import london_to_utc
from courses.models import (
    AttendanceMethod,
    AttendanceRecord,
    AttendanceStatus,
    Cohort,
    CohortStatus,
    Course,
    CourseCategory,
    CourseStatus,
    DeliveryMode,
    Enrolment,
    EnrolmentStatus,
    Session,
)
from lms.audit import audit
from lms.auth.models import Role, User, UserRole
from lms.auth.passwords import hash_password
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.people.models import Department, ServiceGroup

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
    password_hash = hash_password(password)
    departments: dict[str, Department] = {}
    groups: dict[str, ServiceGroup] = {}
    staff_numbers = iter(range(100001, 100100))

    def person(
        email, name, title, department=None, group=None, manager=None, roles=(), external=False
    ):
        if department and department not in departments:
            departments[department] = Department(name=department)
        if group and group not in groups:
            groups[group] = ServiceGroup(name=group)
        user = User(
            email=email,
            full_name=name,
            job_title=title,
            password_hash=password_hash,
            department=departments.get(department),
            service_group=groups.get(group),
            line_manager=manager,
            staff_number=None if external else str(next(staff_numbers)),
            role_grants=[UserRole(role=role) for role in roles],
        )
        db.session.add(user)
        return user

    admin_email, admin_name, admin_title, admin_roles = DEMO_LOGINS[0]
    admin = person(
        admin_email,
        admin_name,
        admin_title,
        "Portfolio Management Office",
        "Improvement",
        roles=admin_roles,
    )
    trainer_email, trainer_name, trainer_title, trainer_roles = DEMO_LOGINS[1]
    person(
        trainer_email,
        trainer_name,
        trainer_title,
        "Portfolio Management Office",
        "Improvement",
        manager=admin,
        roles=trainer_roles,
    )
    manager_email, manager_name, manager_title, _ = DEMO_LOGINS[2]
    manager = person(
        manager_email,
        manager_name,
        manager_title,
        "Surgical Services",
        "Surgical Services",
        manager=admin,
    )
    learner_email, learner_name, learner_title, _ = DEMO_LOGINS[3]
    person(
        learner_email,
        learner_name,
        learner_title,
        "Ward 5 Surgery",
        "Surgical Services",
        manager=manager,
    )
    for email, name, title, department, group in MORE_LEARNERS:
        person(email, name, title, department, group, manager=manager)
    person(
        "isla.hughes@example.org",
        "Isla Hughes",
        "Lived experience partner",
        manager=admin,
        external=True,
    )

    categories = {name: CourseCategory(name=name) for name in CATEGORIES}
    db.session.add_all(categories.values())
    for spec in COURSES:
        course = Course(
            code=spec.code,
            title=spec.title,
            summary=spec.summary,
            learning_outcomes=list(spec.outcomes),
            category=categories[spec.category],
            delivery_mode=spec.delivery_mode,
            cpd_hours=Decimal(spec.cpd_hours),
            status=CourseStatus.PUBLISHED,
            requires_approval=spec.requires_approval,
        )
        if spec.accredited:
            course.accreditation_body = "The CPD Certification Service"
            course.accreditation_reference = "CPD-PMO-2026-018"
            course.accreditation_valid_from = date(2026, 4, 1)
            course.accreditation_valid_to = date(2027, 3, 31)
        db.session.add(course)
    db.session.flush()
    _seed_cohorts()
    _seed_running_cohort()
    audit.record(None, "demo.seeded", None, entity_type="System")
    return [email for email, *_ in DEMO_LOGINS]


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


def _seed_cohorts() -> None:
    """One open cohort per course, with dated sessions and a few believable enrolments."""
    courses = {course.code: course for course in db.session.scalars(select(Course))}
    people = {user.email: user for user in db.session.scalars(select(User))}
    trainer = people["trainer@example.nhs.uk"]
    courses["PGM-INT"].prerequisites = [courses["PM-OCC"]]
    today = utcnow().date()
    now = utcnow()
    cohorts = {}
    for code, capacity, weeks, titles, gap in DEMO_COHORTS:
        first_day = today + timedelta(weeks=weeks)
        cohort = Cohort(
            course=courses[code],
            code=f"{code}-{first_day.year}-1",
            capacity=capacity,
            status=CohortStatus.OPEN,
            enrolment_opens_at=now - timedelta(days=7),
            enrolment_closes_at=london_to_utc(
                first_day - timedelta(days=2), time(17), field_name=""
            ),
            venue="Education Centre, Room 2"
            if courses[code].delivery_mode != DeliveryMode.ONLINE
            else None,
            online_link="https://teams.example.nhs.uk/pmo-training"
            if courses[code].delivery_mode != DeliveryMode.IN_PERSON
            else None,
            trainers=[trainer],
        )
        for number, title in enumerate(titles):
            day = first_day + timedelta(days=gap * number)
            cohort.sessions.append(
                Session(
                    title=title,
                    starts_at=london_to_utc(day, time(9, 30), field_name=""),
                    ends_at=london_to_utc(day, time(13), field_name=""),
                )
            )
        db.session.add(cohort)
        cohorts[code] = cohort

    def enrol(code, email, status, days_ago):
        db.session.add(
            Enrolment(
                cohort=cohorts[code],
                learner=people[email],
                status=status,
                requested_at=now - timedelta(days=days_ago),
                confirmed_at=now - timedelta(days=days_ago)
                if status == EnrolmentStatus.CONFIRMED
                else None,
            )
        )

    confirmed, waitlisted = EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED
    enrol("PD-WKSHP", "learner@example.nhs.uk", confirmed, 6)
    enrol("PM-OCC", "learner@example.nhs.uk", EnrolmentStatus.PENDING_APPROVAL, 1)
    for days_ago, (email, *_) in enumerate(MORE_LEARNERS, start=2):
        enrol("PM-OCC", email, confirmed, days_ago)
    for email in (
        "priya.shah@example.nhs.uk",
        "liam.oneill@example.nhs.uk",
        "noah.bennett@example.nhs.uk",
        "isla.hughes@example.org",
    ):
        enrol("PM-COACH", email, confirmed, 5)
    enrol("PM-COACH", "mia.clarke@example.nhs.uk", waitlisted, 4)
    enrol("PM-COACH", "learner@example.nhs.uk", waitlisted, 3)


def _seed_running_cohort() -> None:
    """A programme cohort under way: two sessions held and registered, one today for
    self check-in, the rest to come; so the trainer has registers and a grid to show.
    """
    course = db.session.scalar(select(Course).where(Course.code == "PM-OCC"))
    people = {user.email: user for user in db.session.scalars(select(User))}
    now = utcnow()
    today = now.date()
    started = today - timedelta(weeks=2)
    cohort = Cohort(
        course=course,
        code=f"PM-OCC-{started.year}-0",
        capacity=12,
        status=CohortStatus.RUNNING,
        venue="Education Centre, Room 2",
        trainers=[people["trainer@example.nhs.uk"]],
    )
    titles = ("Starting a project", "Planning", "Risks and issues", "Stakeholders")
    for number, title in enumerate(titles):
        day = started + timedelta(weeks=number)
        cohort.sessions.append(
            Session(
                title=title,
                starts_at=london_to_utc(day, time(9, 30), field_name=""),
                ends_at=london_to_utc(day, time(13), field_name=""),
            )
        )
    db.session.add(cohort)
    learners = [
        people[email]
        for email in (
            "learner@example.nhs.uk",
            "sian.apgwyn@example.nhs.uk",
            "priya.shah@example.nhs.uk",
            "noah.bennett@example.nhs.uk",
            "isla.hughes@example.org",
        )
    ]
    joined = now - timedelta(weeks=4)
    enrolments = [
        Enrolment(
            cohort=cohort,
            learner=learner,
            status=EnrolmentStatus.CONFIRMED,
            requested_at=joined,
            confirmed_at=joined,
        )
        for learner in learners
    ]
    db.session.add_all(enrolments)
    db.session.flush()
    marks = (
        (AttendanceStatus.PRESENT, AttendanceStatus.PRESENT),
        (AttendanceStatus.PRESENT, AttendanceStatus.LATE),
        (AttendanceStatus.EXCUSED, AttendanceStatus.PRESENT),
        (AttendanceStatus.ABSENT, AttendanceStatus.ABSENT),
        (AttendanceStatus.PRESENT, AttendanceStatus.LEFT_EARLY),
    )
    trainer = people["trainer@example.nhs.uk"]
    for enrolment, statuses in zip(enrolments, marks, strict=True):
        for session, status in zip(cohort.sessions[:2], statuses, strict=True):
            db.session.add(
                AttendanceRecord(
                    session=session,
                    enrolment=enrolment,
                    status=status,
                    method=AttendanceMethod.REGISTER,
                    marked_by=trainer,
                    marked_at=session.ends_at,
                )
            )
