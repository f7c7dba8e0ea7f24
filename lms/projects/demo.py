"""The demo's projects, made through the services as people would make them: the demo
learner (Zoë) leads a project that started after she completed the SRO course, so its
page shows the trainee link; Siân leads one that started before hers; Noah's finished
project has its final outcome; the manager has proposed one without a start date."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from lms.auth.models import User
from lms.core.extensions import db
from lms.people.models import ServiceGroup
from lms.projects import register, updates
from lms.projects.models import Answer, Project, ProjectRole, ProjectStatus, Rag
from lms.projects.register import ProjectDetails
from lms.projects.updates import UpdateDetails


def _group(name: str) -> int | None:
    return db.session.scalar(select(ServiceGroup.id).where(ServiceGroup.name == name))


def seed_projects(people: dict[str, User], today: date) -> dict[str, Project]:
    """The demo's four projects, by short name."""
    zoe = people["learner@example.nhs.uk"]
    sian = people["sian.apgwyn@example.nhs.uk"]
    priya = people["priya.shah@example.nhs.uk"]
    noah = people["noah.bennett@example.nhs.uk"]
    manager = people["manager@example.nhs.uk"]
    admin = people["admin@example.nhs.uk"]

    sdec = register.register(
        ProjectDetails(
            title="Same day emergency care: direct GP referrals",
            ppm_reference="PPM-2041",
            description="GPs refer suitable patients straight to SDEC, bypassing the "
            "emergency department, to cut waits and admissions.",
            service_group_id=_group("Surgical Services"),
            sponsor="Dr Ada Obi, Clinical Director for Surgery",
            starts_on=today - timedelta(days=14),
            planned_end_on=today + timedelta(days=180),
            status=ProjectStatus.ACTIVE,
        ),
        by=zoe,
        role=ProjectRole.LEAD,
    )
    register.add_person(sdec, priya, ProjectRole.PROJECT_MANAGER, by=zoe)
    register.add_person(sdec, noah, ProjectRole.MEMBER, by=zoe)
    updates.add_update(
        sdec,
        UpdateDetails(
            reported_on=today - timedelta(days=3),
            rag=Rag.AMBER,
            milestones_met=Answer.PARTLY,
            on_time=Answer.YES,
            on_budget=Answer.YES,
            benefits_realised=Answer.TOO_EARLY,
            narrative="Referral criteria agreed with two GP practices; the third asks for "
            "a telephone triage step first.",
        ),
        by=zoe,
        today=today,
    )

    discharge = register.register(
        ProjectDetails(
            title="Discharge lounge extension",
            ppm_reference="PPM-1987",
            service_group_id=_group("Clinical Support"),
            sponsor="Director of Operations",
            starts_on=today - timedelta(days=60),
            planned_end_on=today + timedelta(days=120),
            status=ProjectStatus.ACTIVE,
        ),
        by=sian,
        role=ProjectRole.LEAD,
    )

    letters = register.register(
        ProjectDetails(
            title="Outpatient letters go digital",
            ppm_reference="PPM-1502",
            service_group_id=_group("Corporate"),
            sponsor="Chief Digital Information Officer",
            starts_on=today - timedelta(days=400),
            planned_end_on=today - timedelta(days=60),
            status=ProjectStatus.ACTIVE,
        ),
        by=noah,
        role=ProjectRole.LEAD,
    )
    updates.close(
        letters,
        ProjectStatus.CLOSED,
        UpdateDetails(
            reported_on=today - timedelta(days=45),
            rag=Rag.GREEN,
            milestones_met=Answer.YES,
            on_time=Answer.PARTLY,
            on_budget=Answer.YES,
            benefits_realised=Answer.YES,
            narrative="Nine in ten letters now go through the patient portal; postage down "
            "by £40,000 a year.",
        ),
        by=noah,
        today=today,
    )

    theatres = register.register(
        ProjectDetails(
            title="Theatre scheduling: one list for every specialty",
            service_group_id=_group("Surgical Services"),
            status=ProjectStatus.PROPOSED,
        ),
        by=manager,
        role=ProjectRole.LEAD,
    )
    db.session.flush()
    assert admin  # the PMO answers the support requests (lms.demo)
    return {"sdec": sdec, "discharge": discharge, "letters": letters, "theatres": theatres}
