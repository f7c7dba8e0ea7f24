"""Who may do what with a project.

The register is the trust's: anyone logged in reads every project. A project is changed
by PMO admins and by the people who run it (its leads and project managers) or who
registered it; a team member reads it.
"""

from __future__ import annotations

from sqlalchemy import select

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
    """Admins, the project's leads and project managers, and whoever registered it."""
    if user.is_admin or project.created_by_id == user.id:
        return True
    return runs(project.id, user.id)
