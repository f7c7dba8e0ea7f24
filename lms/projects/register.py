"""The project register: projects in and out, the people on them, and the register's
search. Every change is audited (`project.*`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, exists, func, or_, select
from sqlalchemy.orm import joinedload

from lms.audit import audit
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.people.models import ServiceGroup
from lms.projects.access import can_change
from lms.projects.models import (
    Project,
    ProjectMember,
    ProjectRole,
    ProjectStatus,
    Support,
    SupportStatus,
)
from lms.projects.training import led_by_a_trainee

TITLE_LENGTH = 200
REFERENCE_LENGTH = 40
SPONSOR_LENGTH = 200
DESCRIPTION_LENGTH = 5000
# What the edit form offers; closing and stopping record an outcome (`updates.close`).
OPEN_STATUSES = (ProjectStatus.PROPOSED, ProjectStatus.ACTIVE, ProjectStatus.ON_HOLD)


class ProjectRefused(DomainError):
    """A project's details were refused; `problems` says what is wrong with each field."""

    def __init__(self, problems: list[DomainError]):
        super().__init__(problems[0].message if problems else "The project was refused")
        self.problems = problems


class NotAllowed(DomainError):
    pass


@dataclass
class ProjectDetails:
    """What the register form (or an import row) says about a project."""

    title: str
    ppm_reference: str = ""
    description: str = ""
    service_group_id: int | None = None
    sponsor: str = ""
    starts_on: date | None = None
    planned_end_on: date | None = None
    status: ProjectStatus = ProjectStatus.PROPOSED


def details_problems(details: ProjectDetails, *, project: Project | None = None) -> list:
    """Everything wrong with the details, each beside its field."""
    problems = []

    def refuse(field: str, message: str) -> None:
        problems.append(DomainError(message, field=field))

    title = details.title.strip()
    if not title:
        refuse("title", "Enter the project's title")
    elif len(title) > TITLE_LENGTH:
        refuse("title", f"Enter a title of {TITLE_LENGTH} characters or fewer")
    reference = details.ppm_reference.strip()
    if len(reference) > REFERENCE_LENGTH:
        refuse("ppm_reference", f"Enter a reference of {REFERENCE_LENGTH} characters or fewer")
    elif reference and _reference_taken(reference, project):
        refuse("ppm_reference", "Another project already has this PPM reference")
    if len(details.sponsor.strip()) > SPONSOR_LENGTH:
        refuse("sponsor", f"Enter a name of {SPONSOR_LENGTH} characters or fewer")
    if len(details.description) > DESCRIPTION_LENGTH:
        refuse("description", f"Enter {DESCRIPTION_LENGTH} characters or fewer")
    if details.service_group_id is not None and not db.session.get(
        ServiceGroup, details.service_group_id
    ):
        refuse("service_group_id", "Choose a service group from the list")
    if details.starts_on and details.planned_end_on and details.planned_end_on < details.starts_on:
        refuse("planned_end_on", "The planned end must be on or after the start date")
    finished = project is not None and project.status.finished
    if not finished and details.status not in OPEN_STATUSES:
        refuse("status", "Choose proposed, active or on hold (close a project to finish it)")
    return problems


def _reference_taken(reference: str, project: Project | None) -> bool:
    query = select(Project.id).where(func.lower(Project.ppm_reference) == reference.lower())
    if project is not None:
        query = query.where(Project.id != project.id)
    return db.session.scalar(query) is not None


def audit_facts(project: Project) -> dict:
    return {
        "title": project.title,
        "ppm_reference": project.ppm_reference,
        "service_group_id": project.service_group_id,
        "sponsor": project.sponsor,
        "starts_on": project.starts_on.isoformat() if project.starts_on else None,
        "planned_end_on": project.planned_end_on.isoformat() if project.planned_end_on else None,
        "status": project.status.value if project.status else None,
    }


def apply_details(project: Project, details: ProjectDetails) -> None:
    project.title = details.title.strip()
    project.ppm_reference = details.ppm_reference.strip() or None
    project.description = details.description.strip()
    project.service_group_id = details.service_group_id
    project.sponsor = details.sponsor.strip() or None
    project.starts_on = details.starts_on
    project.planned_end_on = details.planned_end_on
    if not project.status or not project.status.finished:
        project.status = details.status


def register(details: ProjectDetails, *, by: User, role: ProjectRole | None) -> Project:
    """A new project in the register, with its registrant on it in `role` (an admin may
    register one they are not on: `role` None)."""
    if role is None and not by.is_admin:
        raise DomainError("Say what your role on the project is", field="role")
    problems = details_problems(details)
    if problems:
        raise ProjectRefused(problems)
    project = Project(created_by_id=by.id)
    apply_details(project, details)
    if role is not None:
        project.members.append(ProjectMember(person_id=by.id, role=role))
    db.session.add(project)
    db.session.flush()
    audit.record(by, "project.registered", project, None, audit_facts(project))
    if role is not None:
        audit.record(by, "project.person_added", project, None, _link_facts(by, role))
    return project


def change(project: Project, details: ProjectDetails, *, by: User) -> None:
    _may_change(project, by)
    problems = details_problems(details, project=project)
    if problems:
        raise ProjectRefused(problems)
    before = audit_facts(project)
    apply_details(project, details)
    db.session.flush()
    audit.record_changes(by, "project.changed", project, before, audit_facts(project))


def _may_change(project: Project, by: User) -> None:
    if not can_change(project, by):
        raise NotAllowed("Only the project's lead, its project manager or the PMO can change it")


# --- people -------------------------------------------------------------------------------


def _link_facts(person: User, role: ProjectRole | None) -> dict:
    return {"person_id": person.id, "role": role.value if role else None}


def find_person(words: str) -> User | None:
    """An active person by email (any case) or staff number."""
    words = words.strip()
    if not words:
        return None
    return db.session.scalar(
        select(User).where(
            User.is_active_account.is_(True),
            or_(func.lower(User.email) == words.lower(), User.staff_number == words),
        )
    )


def add_person(project: Project, person: User, role: ProjectRole, *, by: User) -> ProjectMember:
    """Puts a person on the project, or changes the role they have on it."""
    _may_change(project, by)
    link = db.session.scalar(
        select(ProjectMember).where(
            ProjectMember.project_id == project.id, ProjectMember.person_id == person.id
        )
    )
    if link is None:
        link = ProjectMember(project_id=project.id, person_id=person.id, role=role)
        db.session.add(link)
        db.session.flush()
        audit.record(by, "project.person_added", project, None, _link_facts(person, role))
    elif link.role != role:
        before = _link_facts(person, link.role)
        link.role = role
        db.session.flush()
        audit.record(by, "project.role_changed", project, before, _link_facts(person, role))
    return link


def remove_person(project: Project, link: ProjectMember, *, by: User) -> None:
    _may_change(project, by)
    if link.project_id != project.id:
        raise DomainError("That person is not on this project")
    person = db.session.get(User, link.person_id)
    audit.record(by, "project.person_removed", project, _link_facts(person, link.role), None)
    db.session.delete(link)
    db.session.flush()


def people(project_id: int) -> list[ProjectMember]:
    """The project's people, leads first, then project managers, then the team, by name."""
    order = {ProjectRole.LEAD: 0, ProjectRole.PROJECT_MANAGER: 1, ProjectRole.MEMBER: 2}
    links = db.session.scalars(
        select(ProjectMember)
        .join(ProjectMember.person)
        .options(joinedload(ProjectMember.person).lazyload(User.role_grants))
        .where(ProjectMember.project_id == project_id)
        .order_by(func.lower(User.full_name), User.id)
    ).all()
    return sorted(links, key=lambda link: order[link.role])


# --- the register -------------------------------------------------------------------------


@dataclass
class RegisterFilter:
    words: str = ""
    status: ProjectStatus | None = None
    service_group_id: int | None = None
    supported: bool | None = None
    trainee_led: bool | None = None
    person_id: int | None = None  # "my projects": the projects this person is on


def leads_of(project_ids: list[int]) -> dict[int, list[str]]:
    """The leads' names of a page of projects, by project: one statement, two columns."""
    found: dict[int, list[str]] = {project_id: [] for project_id in project_ids}
    if project_ids:
        rows = db.session.execute(
            select(ProjectMember.project_id, User.full_name)
            .join(User, User.id == ProjectMember.person_id)
            .where(
                ProjectMember.project_id.in_(project_ids),
                ProjectMember.role == ProjectRole.LEAD,
            )
            .order_by(func.lower(User.full_name), User.id)
        )
        for project_id, name in rows:
            found[project_id].append(name)
    return found


def supported() -> object:
    """Projects with any accepted PMO support."""
    return exists().where(
        Support.project_id == Project.id, Support.status == SupportStatus.ACCEPTED
    )


def search(chosen: RegisterFilter) -> Select:
    """The register, filtered, newest start first; each project with its service group
    loaded alongside (its leads' names: `leads_of`)."""
    query = select(Project).options(joinedload(Project.service_group))
    words = chosen.words.strip().lower()
    if words:
        like = f"%{words.replace('%', '').replace('_', '')}%"
        query = query.where(
            or_(func.lower(Project.title).like(like), func.lower(Project.ppm_reference) == words)
        )
    if chosen.status is not None:
        query = query.where(Project.status == chosen.status)
    if chosen.service_group_id is not None:
        query = query.where(Project.service_group_id == chosen.service_group_id)
    if chosen.supported is not None:
        query = query.where(supported() if chosen.supported else ~supported())
    if chosen.trainee_led is not None:
        query = query.where(led_by_a_trainee() if chosen.trainee_led else ~led_by_a_trainee())
    if chosen.person_id is not None:
        query = query.where(
            exists().where(
                ProjectMember.project_id == Project.id,
                ProjectMember.person_id == chosen.person_id,
            )
        )
    return query.order_by(Project.starts_on.desc().nulls_last(), Project.id.desc())
