"""The demo's projects, made through the services as people would make them: the demo
learner (Zoë) leads a project that started after she completed the SRO course, so its
page shows the trainee link; Siân leads one that started before hers; Noah's finished
project has its final outcome; the manager has proposed one without a start date.

The PMO coaches Zoë (the trainer is her coach): two sessions, the first confirmed (so its
hours are in her CPD record as coaching received), the second waiting for her to
confirm it. Siân's request for assurance waits for the PMO's decision, and Noah's
project had immersive support last year."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from lms.auth.models import User
from lms.core.db import utcnow
from lms.core.extensions import db
from lms.people.models import ServiceGroup
from lms.projects import coaching, register, support, updates
from lms.projects.coaching import SessionDetails
from lms.projects.models import (
    Answer,
    Project,
    ProjectRole,
    ProjectStatus,
    Rag,
    SupportService,
)
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
    _seed_support(people, today, sdec, discharge, letters)
    db.session.flush()
    return {"sdec": sdec, "discharge": discharge, "letters": letters, "theatres": theatres}


def _seed_support(
    people: dict[str, User], today: date, sdec: Project, discharge: Project, letters: Project
) -> None:
    admin = people["admin@example.nhs.uk"]
    coach = people["trainer@example.nhs.uk"]
    zoe = people["learner@example.nhs.uk"]
    coached = support.request_support(
        sdec,
        by=zoe,
        services={SupportService.COACHING, SupportService.ADVICE},
        need="Coaching through my first project as lead, and advice on the benefits plan.",
    )
    support.accept(
        coached, by=admin, responsible=coach, starts_on=today - timedelta(days=10), ends_on=None
    )
    first = coaching.log_session(
        coached,
        SessionDetails(
            held_on=today - timedelta(days=7),
            minutes=90,
            topic="Setting up the project board",
            actions="Draft the terms of reference; invite the GP practices' lead.",
            notes="Zoë is confident with the clinical side; stakeholder mapping is new to her.",
        ),
        by=coach,
        today=today,
    )
    coaching.confirm(first, by=zoe, now=utcnow())
    coaching.add_to_my_cpd(first, by=coach)
    coaching.log_session(
        coached,
        SessionDetails(
            held_on=today - timedelta(days=1),
            minutes=60,
            topic="Benefits and measures",
            actions="Agree two measures with the clinical director.",
            notes="",
        ),
        by=coach,
        today=today,
    )
    support.request_support(
        discharge,
        by=people["sian.apgwyn@example.nhs.uk"],
        services={SupportService.ASSURANCE},
        need="A health check before the business case goes to the board next month.",
    )
    immersive = support.request_support(
        letters,
        by=people["noah.bennett@example.nhs.uk"],
        services={SupportService.IMMERSIVE},
        need="A project manager for the supplier selection.",
    )
    support.accept(
        immersive,
        by=admin,
        responsible=admin,
        starts_on=today - timedelta(days=380),
        ends_on=today - timedelta(days=200),
    )
