"""Who may do what with a project.

The register is the trust's: anyone logged in reads every project. A project is changed
by PMO admins and by the people who run it: its leads and project managers, and whoever
registered it while they are still on it (someone removed from a project loses it, even
if they registered it). A team member reads it.
"""

from __future__ import annotations

from sqlalchemy import Select, or_, select

from lms.auth.models import User
from lms.core.extensions import db
from lms.projects.models import Project, ProjectMember, ProjectRole

RUNNING_ROLES = (ProjectRole.LEAD, ProjectRole.PROJECT_MANAGER)


def runs(project_id: int, user_id: int) -> bool:
    """Whether the person leads or manages the project."""
    return (
        db.session.scalar(
            select(ProjectMember.id).where(
                ProjectMember.project_id == project_id,
                ProjectMember.person_id == user_id,
                ProjectMember.role.in_(RUNNING_ROLES),
            )
        )
        is not None
    )


def can_change(project: Project, user: User) -> bool:
    """Admins; the project's leads and project managers; whoever registered it, while
    they are on it."""
    if user.is_admin:
        return True
    role = db.session.scalar(
        select(ProjectMember.role).where(
            ProjectMember.project_id == project.id, ProjectMember.person_id == user.id
        )
    )
    return role is not None and (role in RUNNING_ROLES or project.created_by_id == user.id)


def changeable_project_ids(user_id: int) -> Select:
    """The ids of the projects `can_change` lets this (non-admin) person change, as SQL."""
    return (
        select(ProjectMember.project_id)
        .join(Project, Project.id == ProjectMember.project_id)
        .where(
            ProjectMember.person_id == user_id,
            or_(
                ProjectMember.role.in_(RUNNING_ROLES),
                Project.created_by_id == user_id,
            ),
        )
    )
