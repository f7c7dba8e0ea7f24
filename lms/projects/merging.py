"""Merging a duplicate project into the one that stays: its people, updates and support
move to the survivor, the survivor fills its own empty details from it, and the
duplicate is deleted. One audited change; nothing is left pointing at the duplicate."""

from __future__ import annotations

from sqlalchemy import select, update

from lms.audit import audit
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.projects.models import Project, ProjectMember, ProjectRole, ProjectUpdate, Support
from lms.projects.register import audit_facts

# When a person is on both, they keep the stronger of their two roles.
STRENGTH = {ProjectRole.LEAD: 0, ProjectRole.PROJECT_MANAGER: 1, ProjectRole.MEMBER: 2}
FILLED_FROM_DUPLICATE = (
    "description",
    "service_group_id",
    "sponsor",
    "starts_on",
    "planned_end_on",
)


def merge(duplicate: Project, survivor: Project, *, by: User) -> dict:
    """Moves everything of `duplicate` to `survivor` and deletes it; returns what moved."""
    if not by.is_admin:
        raise DomainError("Only the PMO can merge projects")
    if duplicate.id == survivor.id:
        raise DomainError("Choose another project to keep", field="survivor")
    if (
        duplicate.ppm_reference
        and survivor.ppm_reference
        and duplicate.ppm_reference.lower() != survivor.ppm_reference.lower()
    ):
        raise DomainError(
            f"Both projects are on the PPM platform ({duplicate.ppm_reference} and "
            f"{survivor.ppm_reference}): merge them there first, or remove one reference, "
            "or the next import brings the duplicate back",
            field="survivor",
        )
    # Both rows locked, in id order, so two merges of the same pair cannot interleave.
    db.session.scalars(
        select(Project)
        .where(Project.id.in_((duplicate.id, survivor.id)))
        .order_by(Project.id)
        .with_for_update()
    ).all()
    before = audit_facts(survivor)
    moved = {"people": 0, "updates": 0, "support": 0}

    kept = {
        link.person_id: link
        for link in db.session.scalars(
            select(ProjectMember).where(ProjectMember.project_id == survivor.id)
        )
    }
    for link in db.session.scalars(
        select(ProjectMember).where(ProjectMember.project_id == duplicate.id)
    ).all():
        mine = kept.get(link.person_id)
        if mine is None:
            link.project_id = survivor.id
        else:
            if STRENGTH[link.role] < STRENGTH[mine.role]:
                mine.role = link.role
            db.session.delete(link)
        moved["people"] += 1
    db.session.flush()
    db.session.expire(duplicate, ["members"])  # the moved links are the survivor's now
    # A finished duplicate's final outcome is an ordinary update of a survivor still open.
    moved["updates"] = db.session.execute(
        update(ProjectUpdate)
        .where(ProjectUpdate.project_id == duplicate.id)
        .values(
            project_id=survivor.id,
            final=ProjectUpdate.final if survivor.status.finished else False,
        )
    ).rowcount
    moved["support"] = db.session.execute(
        update(Support).where(Support.project_id == duplicate.id).values(project_id=survivor.id)
    ).rowcount

    for field in FILLED_FROM_DUPLICATE:
        if not getattr(survivor, field) and getattr(duplicate, field):
            setattr(survivor, field, getattr(duplicate, field))
    if (
        survivor.starts_on
        and survivor.planned_end_on
        and survivor.planned_end_on < survivor.starts_on
    ):
        # Dates filled one at a time can disagree: keep the survivor's own pair.
        if before["starts_on"] is None:
            survivor.starts_on = None
        if before["planned_end_on"] is None:
            survivor.planned_end_on = None
    reference = duplicate.ppm_reference
    duplicate_facts = {"id": duplicate.id, **audit_facts(duplicate)}
    db.session.delete(duplicate)
    db.session.flush()
    if survivor.ppm_reference is None and reference:
        survivor.ppm_reference = reference  # after the duplicate has let go of it
    db.session.flush()
    db.session.expire(survivor, ["members"])
    audit.record(
        by,
        "project.merged",
        survivor,
        {**before, "merged_from": duplicate_facts},
        {**audit_facts(survivor), "moved": moved},
    )
    return moved
