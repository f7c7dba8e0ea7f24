"""PMO support: anyone asks the PMO for support with a project; a PMO administrator
accepts it (naming the person responsible and the dates) or declines it with a reason;
the person who asked is told by mail through the outbox.

A project is supported in a financial year when any accepted support for it is active on
a day of that year (`active_in`): that is what counts towards the trust's target of
projects supported a year (PROJECTS_SUPPORTED_TARGET, 20 by default).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import Select, and_, case, distinct, exists, func, or_, select
from sqlalchemy.orm import joinedload
from sqlalchemy.sql.elements import ColumnElement

from lms.audit import audit
from lms.auth.models import Role, User, UserRole
from lms.core.db import utcnow
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.locks import lock_rows
from lms.core.outbox import queue_mail, queue_many_mail
from lms.core.timezones import start_of_local_day
from lms.cpd.years import CpdYear
from lms.projects.access import can_change, changeable_project_ids
from lms.projects.models import Project, Support, SupportService, SupportStatus
from lms.web.urls import external_url

NEED_LENGTH = 2000
REASON_LENGTH = 1000
DEFAULT_TARGET = 20
RESPONSIBLE_ROLES = (Role.ADMIN, Role.TRAINER)


class SupportError(DomainError):
    """A request for support, or the PMO's answer to one, was refused."""


class SupportRefused(SupportError):
    """Refused for one or more fields; `problems` says what is wrong with each."""

    def __init__(self, problems: list[DomainError]):
        super().__init__(problems[0].message)
        self.problems = problems


def _refuse_any(problems: list[DomainError]) -> None:
    if problems:
        raise SupportRefused(problems)


def _snapshot(support: Support) -> dict:
    return {
        "project_id": support.project_id,
        "status": support.status.value,
        "services": [service.value for service in support.services],
        "responsible_id": support.responsible_id,
        "starts_on": support.starts_on,
        "ends_on": support.ends_on,
        "decline_reason": support.decline_reason,
    }


# --- asking --------------------------------------------------------------------------------


def request_support(
    project: Project, *, by: User, services: Collection[SupportService], need: str
) -> Support:
    """Anyone may ask the PMO for one or several of its services for any project, saying
    what they need. The PMO administrators are told by mail."""
    need = (need or "").strip()
    problems = []
    if not services:
        problems.append(
            DomainError("Choose at least one kind of support you need", field="services")
        )
    if not need:
        problems.append(DomainError("Say what you need from the PMO", field="need"))
    elif len(need) > NEED_LENGTH:
        problems.append(
            DomainError(f"Say what you need in {NEED_LENGTH:,} characters or fewer", field="need")
        )
    _refuse_any(problems)
    support = Support(
        project=project,
        requested_by_id=by.id,
        need=need,
        status=SupportStatus.REQUESTED,
        **{service.value: service in services for service in SupportService},
    )
    db.session.add(support)
    db.session.flush()
    audit.record(by, "support.requested", support, None, _snapshot(support))
    _tell_the_pmo(support, project, by)
    return support


def withdraw(support: Support, *, by: User) -> None:
    """The person who asked takes the request back while it waits for a decision; it is
    deleted (the audit log keeps what it was)."""
    if support.requested_by_id != by.id:
        raise SupportError("Only the person who asked can withdraw this request")
    _hold_waiting(support)
    audit.record(by, "support.withdrawn", support, _snapshot(support), None)
    db.session.delete(support)
    db.session.flush()


# --- the PMO's answer ----------------------------------------------------------------------


def accept(
    support: Support,
    *,
    by: User,
    responsible: User | None,
    starts_on: date | None,
    ends_on: date | None = None,
    now: datetime | None = None,
) -> Support:
    """A PMO administrator accepts a waiting request, naming the person responsible (a
    PMO administrator or trainer) and when the support runs (open-ended without an end
    date). The person who asked, and the person responsible, are told by mail."""
    _decider(by)
    problems = []
    if responsible is None:
        problems.append(DomainError("Choose the person responsible", field="responsible_id"))
    elif not (responsible.is_active_account and responsible.has_role(*RESPONSIBLE_ROLES)):
        problems.append(
            DomainError(
                "Choose a PMO administrator or trainer whose account is active",
                field="responsible_id",
            )
        )
    elif support.coaching and responsible.id == support.requested_by_id:
        problems.append(
            DomainError(
                "Choose someone else to coach them: the coach and the coachee must be "
                "different people",
                field="responsible_id",
            )
        )
    if starts_on is None:
        problems.append(DomainError("Enter the date the support starts", field="starts_on"))
    elif ends_on is not None and ends_on < starts_on:
        problems.append(
            DomainError("The end date must be the same as or after the start date", field="ends_on")
        )
    _refuse_any(problems)
    _hold_waiting(support)
    before = _snapshot(support)
    support.status = SupportStatus.ACCEPTED
    support.responsible = responsible
    support.starts_on = starts_on
    support.ends_on = ends_on
    support.decline_reason = None
    support.decided_by_id = by.id
    support.decided_at = now or utcnow()
    db.session.flush()
    audit.record(by, "support.accepted", support, before, _snapshot(support))
    _tell_of_acceptance(support, responsible, by)
    return support


def decline(support: Support, *, by: User, reason: str, now: datetime | None = None) -> Support:
    """A PMO administrator declines a waiting request, giving the reason, which the
    person who asked is sent."""
    _decider(by)
    reason = (reason or "").strip()
    if not reason:
        raise SupportError("Give the reason for declining the request", field="reason")
    if len(reason) > REASON_LENGTH:
        raise SupportError(
            f"Give the reason in {REASON_LENGTH:,} characters or fewer", field="reason"
        )
    _hold_waiting(support)
    before = _snapshot(support)
    support.status = SupportStatus.DECLINED
    support.decline_reason = reason
    support.decided_by_id = by.id
    support.decided_at = now or utcnow()
    db.session.flush()
    audit.record(by, "support.declined", support, before, _snapshot(support))
    _mail_requester(support, "Your request for PMO support was declined", "support_declined")
    return support


def _decider(by: User) -> None:
    if not by.is_admin:
        raise SupportError("Only PMO administrators can decide requests for support")


def _hold_waiting(support: Support) -> None:
    """Holds the request's row to the end of the transaction and checks, afresh, that it
    still waits for a decision: two administrators answering at once cannot both."""
    lock_rows(Support, [support.id])
    status = db.session.scalar(select(Support.status).where(Support.id == support.id))
    if status is None:
        raise SupportError("This request has been withdrawn")
    db.session.refresh(support)
    if support.status != SupportStatus.REQUESTED:
        raise SupportError(f"This request has already been {support.status.value}")


def responsible_candidates() -> list[User]:
    """Who may be made responsible for support: active PMO administrators and trainers,
    by name."""
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.is_active_account.is_(True),
                exists().where(UserRole.user_id == User.id, UserRole.role.in_(RESPONSIBLE_ROLES)),
            )
            .order_by(func.lower(User.full_name), User.id)
        )
    )


# --- mail ----------------------------------------------------------------------------------


def _day(value: date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def _context(support: Support) -> dict:
    return {
        "support": support,
        "project": support.project,
        "requester": support.requested_by,
        "responsible": support.responsible,
        "services": support.services_text,
        "starts": _day(support.starts_on),
        "ends": _day(support.ends_on),
        "support_link": external_url("support.show", support_id=support.id),
    }


def _tell_the_pmo(support: Support, project: Project, by: User) -> None:
    """Each active PMO administrator but the one who asked hears of a new request."""
    admins = db.session.scalars(
        select(User).where(
            User.is_active_account.is_(True),
            User.id != by.id,
            exists().where(UserRole.user_id == User.id, UserRole.role == Role.ADMIN),
        )
    ).all()
    subject = f"New request for PMO support: {project.title}"
    queue_many_mail(
        "projects/mail/support_requested",
        [(admin.email, subject, {**_context(support), "admin": admin}) for admin in admins],
    )


def _mail_requester(support: Support, subject: str, template: str) -> None:
    queue_mail(
        support.requested_by.email,
        f"{subject}: {support.project.title}",
        f"projects/mail/{template}",
        **_context(support),
    )


def _tell_of_acceptance(support: Support, responsible: User, by: User) -> None:
    _mail_requester(support, "Your request for PMO support is accepted", "support_accepted")
    if responsible.id not in (by.id, support.requested_by_id):
        queue_mail(
            responsible.email,
            f"You are responsible for PMO support: {support.project.title}",
            "projects/mail/support_assigned",
            **_context(support),
        )


# --- reading -------------------------------------------------------------------------------


def may_see(support: Support, user: User) -> bool:
    """PMO administrators, the person who asked and the person responsible; and, unless
    it is a request for coaching (which is personal to the coachee), whoever may change
    the project (its leads and project managers, and who registered it while on it)."""
    if user.is_admin or user.id in (support.requested_by_id, support.responsible_id):
        return True
    return not support.coaching and can_change(support.project, user)


def supports(
    *,
    viewer: User | None = None,
    status: SupportStatus | None = None,
    year: CpdYear | None = None,
) -> Select:
    """Requests for support, those waiting for a decision first, then the newest.

    `viewer` narrows them to the ones that person may see (`may_see`; None: every
    request, for the PMO). `year` keeps the support active
    in that financial year and the requests made in it that were not accepted."""
    # A list shows people's names only: their roles are never read (nor loaded).
    query = select(Support).options(
        joinedload(Support.project),
        joinedload(Support.requested_by).lazyload(User.role_grants),
        joinedload(Support.responsible).lazyload(User.role_grants),
    )
    if viewer is not None:
        query = query.where(
            or_(
                Support.requested_by_id == viewer.id,
                Support.responsible_id == viewer.id,
                and_(
                    Support.coaching.is_(False),
                    Support.project_id.in_(changeable_project_ids(viewer.id)),
                ),
            )
        )
    if status is not None:
        query = query.where(Support.status == status)
    if year is not None:
        query = query.where(or_(active_in(year), _asked_unaccepted_in(year)))
    return query.order_by(_waiting_first(), Support.created_at.desc(), Support.id.desc())


def _asked_unaccepted_in(year: CpdYear) -> ColumnElement[bool]:
    return and_(
        Support.status != SupportStatus.ACCEPTED,
        Support.created_at >= start_of_local_day(year.first_day),
        Support.created_at < start_of_local_day(year.last_day + timedelta(days=1)),
    )


def of_project(project_id: int) -> Select:
    """A project's requests for support, for its page: waiting first, then the newest."""
    return (
        select(Support)
        .where(Support.project_id == project_id)
        .options(
            joinedload(Support.responsible).lazyload(User.role_grants),
            joinedload(Support.requested_by).lazyload(User.role_grants),
        )
        .order_by(_waiting_first(), Support.created_at.desc(), Support.id.desc())
    )


def _waiting_first() -> ColumnElement[int]:
    return case((Support.status == SupportStatus.REQUESTED, 0), else_=1)


def waiting_count() -> int:
    """How many requests wait for the PMO's decision."""
    return db.session.scalar(
        select(func.count(Support.id)).where(Support.status == SupportStatus.REQUESTED)
    )


# --- the target ----------------------------------------------------------------------------


def active_in(year: CpdYear) -> ColumnElement[bool]:
    """Accepted support active on at least one day of the year (an open-ended one from its
    start onwards)."""
    return and_(
        Support.status == SupportStatus.ACCEPTED,
        Support.starts_on <= year.last_day,
        or_(Support.ends_on.is_(None), Support.ends_on >= year.first_day),
    )


def supported_projects(year: CpdYear) -> int:
    """How many projects had support active in the financial year, each counted once."""
    return db.session.scalar(
        select(func.count(distinct(Support.project_id))).where(active_in(year))
    )


def supported_project_ids(year: CpdYear) -> Select:
    """The ids of the projects supported in the year: for a filter such as
    `Project.id.in_(supported_project_ids(year))` on the project register."""
    return select(Support.project_id).where(active_in(year))


def target() -> int:
    """The trust's target of projects supported a year."""
    return current_app.config.get("PROJECTS_SUPPORTED_TARGET", DEFAULT_TARGET)
