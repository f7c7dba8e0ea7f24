"""Factories for projects and PMO support, straight into the tables (no rules asked)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.projects.models import (
    Project,
    ProjectMember,
    ProjectRole,
    ProjectStatus,
    Support,
    SupportStatus,
)


@pytest.fixture
def make_project(app) -> Callable[..., Project]:
    """`make_project(title=..., lead=user, starts_on=date, members={user: ProjectRole})`:
    a project, committed, with its lead (if any) and other people."""

    def make(
        title: str = "Digital outpatient letters",
        *,
        lead=None,
        starts_on: date | None = date(2026, 6, 1),
        members: dict | None = None,
        **fields,
    ) -> Project:
        fields.setdefault("status", ProjectStatus.ACTIVE)
        project = Project(title=title, starts_on=starts_on, **fields)
        db.session.add(project)
        people = dict(members or {})
        if lead is not None:
            people[lead] = ProjectRole.LEAD
        for person, role in people.items():
            project.members.append(ProjectMember(person_id=person.id, role=role))
        db.session.commit()
        return project

    return make


@pytest.fixture
def make_support(app) -> Callable[..., Support]:
    """`make_support(project, requested_by, responsible=coach, starts_on=..., ends_on=...,
    status=SupportStatus.ACCEPTED, coaching=True)`: a support request, committed (accepted
    by default: `responsible` and `starts_on` are then required)."""

    def make(project: Project, requested_by, *, responsible=None, **fields) -> Support:
        fields.setdefault("status", SupportStatus.ACCEPTED)
        fields.setdefault("need", "Help planning the first stage.")
        if not any(fields.get(kind) for kind in ("coaching", "immersive", "assurance", "advice")):
            fields["coaching"] = True
        if fields["status"] == SupportStatus.ACCEPTED:
            fields.setdefault("starts_on", local_today())
        support = Support(
            project_id=project.id,
            requested_by_id=requested_by.id,
            responsible_id=responsible.id if responsible is not None else None,
            **fields,
        )
        db.session.add(support)
        db.session.commit()
        return support

    return make
