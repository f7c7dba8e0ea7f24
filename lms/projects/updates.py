"""A project's dated updates and, on closing or stopping it, its final outcome.

Updates are a record: once written they are not changed (a new update corrects an old
one), so the project's history, and the impact reports read from it, stay as they were
reported. Each is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from lms.audit import audit
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.projects.access import can_change
from lms.projects.models import Answer, Project, ProjectStatus, ProjectUpdate, Rag
from lms.projects.register import NotAllowed, ProjectRefused

NARRATIVE_LENGTH = 2000
YES_NO_PARTLY = (Answer.YES, Answer.NO, Answer.PARTLY)


@dataclass
class UpdateDetails:
    reported_on: date | None
    rag: Rag | None
    milestones_met: Answer | None
    on_time: Answer | None
    on_budget: Answer | None
    benefits_realised: Answer | None
    narrative: str = ""


def update_problems(details: UpdateDetails, *, today: date, final: bool = False) -> list:
    problems = []

    def refuse(field: str, message: str) -> None:
        problems.append(DomainError(message, field=field))

    if details.reported_on is None:
        refuse("reported_on", "Enter the date of the update")
    elif details.reported_on > today:
        refuse("reported_on", "The date of the update cannot be in the future")
    if details.rag is None:
        refuse("rag", "Choose red, amber or green")
    for field, what in (
        ("milestones_met", "whether the milestones were met"),
        ("on_time", "whether it is on time"),
        ("on_budget", "whether it is on budget"),
    ):
        if getattr(details, field) not in YES_NO_PARTLY:
            refuse(field, f"Say {what}: yes, no or partly")
    if details.benefits_realised is None:
        refuse("benefits_realised", "Say whether benefits were realised")
    narrative = details.narrative.strip()
    if len(narrative) > NARRATIVE_LENGTH:
        refuse("narrative", f"Enter {NARRATIVE_LENGTH} characters or fewer")
    elif final and not narrative:
        refuse("narrative", "Say briefly how the project ended")
    return problems


def _facts(update: ProjectUpdate) -> dict:
    return {
        "reported_on": update.reported_on.isoformat(),
        "rag": update.rag.value,
        "milestones_met": update.milestones_met.value,
        "on_time": update.on_time.value,
        "on_budget": update.on_budget.value,
        "benefits_realised": update.benefits_realised.value,
        "final": update.final,
    }


def _record(project: Project, details: UpdateDetails, by: User, *, final: bool) -> ProjectUpdate:
    update = ProjectUpdate(
        project_id=project.id,
        author_id=by.id,
        reported_on=details.reported_on,
        rag=details.rag,
        milestones_met=details.milestones_met,
        on_time=details.on_time,
        on_budget=details.on_budget,
        benefits_realised=details.benefits_realised,
        narrative=details.narrative.strip(),
        final=final,
    )
    db.session.add(update)
    db.session.flush()
    audit.record(by, "project_update.recorded", update, None, _facts(update))
    return update


def _may_report(project: Project, by: User) -> None:
    if not can_change(project, by):
        raise NotAllowed("Only the project's lead, its project manager or the PMO can report on it")


def add_update(project: Project, details: UpdateDetails, *, by: User, today: date) -> ProjectUpdate:
    _may_report(project, by)
    if project.status.finished:
        raise DomainError("This project has finished: its final outcome is recorded")
    problems = update_problems(details, today=today)
    if problems:
        raise ProjectRefused(problems)
    return _record(project, details, by, final=False)


def close(
    project: Project, outcome: ProjectStatus, details: UpdateDetails, *, by: User, today: date
) -> ProjectUpdate:
    """Closes (completed) or stops the project, recording its final outcome."""
    _may_report(project, by)
    if project.status.finished:
        raise DomainError("This project has already finished")
    problems = update_problems(details, today=today, final=True)
    if not isinstance(outcome, ProjectStatus) or not outcome.finished:
        problems.insert(0, DomainError("Choose closed or stopped", field="outcome"))
    if problems:
        raise ProjectRefused(problems)
    before = project.status.value
    project.status = outcome
    update = _record(project, details, by, final=True)
    audit.record(by, "project.closed", project, {"status": before}, {"status": outcome.value})
    return update


def updates_of(project_id: int) -> Select:
    """The project's updates, newest first, with their authors."""
    return (
        select(ProjectUpdate)
        .options(joinedload(ProjectUpdate.author).lazyload(User.role_grants))
        .where(ProjectUpdate.project_id == project_id)
        .order_by(ProjectUpdate.reported_on.desc(), ProjectUpdate.id.desc())
    )
