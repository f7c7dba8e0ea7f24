"""The staff directory as admins run it: find, add, edit, deactivate and grant roles."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.orm import selectinload

from lms.audit import audit
from lms.auth import accounts
from lms.auth.models import PasswordToken, Role, User, UserRole
from lms.core import outbox
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.core.locks import lock_rows
from lms.people.models import Department, ServiceGroup


class DirectoryError(DomainError):
    pass


@dataclass
class PersonDetails:
    """What an admin may set on a person; validated for shape by the form."""

    email: str
    full_name: str
    job_title: str | None = None
    staff_number: str | None = None
    department: str | None = None
    service_group: str | None = None
    line_manager_email: str | None = None
    roles: set[Role] = field(default_factory=set)


def search(
    text: str | None = None, *, role: Role | None = None, active: bool | None = None
) -> Select:
    """People matching a name, email or staff number, by name; the caller paginates."""
    return (
        select(User)
        .where(*_matching(text, role, active))
        .options(selectinload(User.department), selectinload(User.role_grants))
        .order_by(func.lower(User.full_name), User.id)
    )


def _matching(text: str | None, role: Role | None, active: bool | None) -> list[ColumnElement]:
    conditions = []
    if text and text.strip():
        wanted = text.strip().lower()
        conditions.append(
            or_(
                func.lower(User.full_name).contains(wanted, autoescape=True),
                func.lower(User.email).contains(wanted, autoescape=True),
                func.lower(User.staff_number).contains(wanted, autoescape=True),
            )
        )
    if role is not None:
        conditions.append(User.role_grants.any(UserRole.role == role))
    if active is not None:
        conditions.append(User.is_active_account.is_(active))
    return conditions


def _not_yet_invited() -> list[ColumnElement]:
    """Active, with no password, and never sent an invitation.

    People who have a password (set through a reset link, or made by create-admin or the
    demo data) have an account they can use, so they are never "not yet invited".
    """
    return [
        User.is_active_account.is_(True),
        User.password_hash.is_(None),
        ~exists().where(
            PasswordToken.user_id == User.id, PasswordToken.purpose == accounts.INVITATION
        ),
    ]


NOT_YET_INVITED_LIMIT = 1_000


def count_not_yet_invited(
    text: str | None = None, *, role: Role | None = None, active: bool | None = None
) -> int:
    """How many of the people `search` would find have not been invited yet, counted up
    to NOT_YET_INVITED_LIMIT + 1 (one query; past the limit the page says "more than",
    and counting a trust's 20,000 people costs no more than counting 2,000)."""
    found = (
        select(User.id)
        .where(*_matching(text, role, active), *_not_yet_invited())
        .limit(NOT_YET_INVITED_LIMIT + 1)
    )
    return db.session.scalar(select(func.count()).select_from(found.subquery()))


def invite_not_yet_invited(
    text: str | None = None,
    *,
    role: Role | None = None,
    active: bool | None = None,
    by: User | None,
) -> int:
    """Invites everyone `search` would find who has not been invited yet; returns how many.

    Running it again invites no one twice: each person invited now has an invitation.
    Two admins (or a double click) at once neither: the people found are locked, then
    looked at again, so the second finds the first's invitations and sends nothing.
    """
    found = db.session.scalars(
        select(User.id).where(*_matching(text, role, active), *_not_yet_invited()).order_by(User.id)
    ).all()
    lock_rows(User, found)
    ids = db.session.scalars(
        select(User.id).where(User.id.in_(found), *_not_yet_invited()).order_by(User.id)
    ).all()
    return accounts.send_invitations(ids, by=by)


def department_named(name: str | None) -> Department | None:
    return _get_or_create(Department, name)


def service_group_named(name: str | None) -> ServiceGroup | None:
    return _get_or_create(ServiceGroup, name)


def _get_or_create(model, name: str | None):
    name = (name or "").strip()
    if not name:
        return None
    found = db.session.scalar(select(model).where(func.lower(model.name) == name.lower()))
    if found is None:
        found = model(name=name)
        db.session.add(found)
    return found


def manages_indirectly(manager: User, person: User) -> bool:
    """True if `person` is `manager` or sits above them in the management chain."""
    seen: set[int] = set()
    current: User | None = manager
    while current is not None and current.id not in seen:
        if current.id == person.id:
            return True
        seen.add(current.id)
        current = current.line_manager
    return False


def _snapshot(user: User) -> dict:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "job_title": user.job_title,
        "staff_number": user.staff_number,
        "department": user.department.name if user.department else None,
        "service_group": user.service_group.name if user.service_group else None,
        "line_manager": user.line_manager.email if user.line_manager else None,
        "active": user.is_active_account,
    }


def _normalise(details: PersonDetails) -> None:
    details.email = details.email.strip()
    details.full_name = details.full_name.strip()
    details.staff_number = (details.staff_number or "").strip() or None
    details.line_manager_email = (details.line_manager_email or "").strip() or None


def _check_unique(details: PersonDetails, user: User | None) -> None:
    taken = db.session.scalar(User.by_email(details.email))
    if taken is not None and taken is not user:
        raise DirectoryError("Another person already has this email address", field="email")
    if details.staff_number:
        holder = db.session.scalar(select(User).where(User.staff_number == details.staff_number))
        if holder is not None and holder is not user:
            raise DirectoryError(
                "Another person already has this staff number", field="staff_number"
            )


def _resolve_manager(details: PersonDetails, user: User | None) -> User | None:
    if not details.line_manager_email:
        return None
    manager = db.session.scalar(User.by_email(details.line_manager_email))
    if manager is None:
        raise DirectoryError("No one has this email address", field="line_manager_email")
    if user is not None and manages_indirectly(manager, user):
        raise DirectoryError(
            "This person cannot be their own manager, directly or through others",
            field="line_manager_email",
        )
    return manager


def _apply(user: User, details: PersonDetails, manager: User | None) -> None:
    user.email = details.email.strip()
    user.full_name = details.full_name.strip()
    user.job_title = (details.job_title or "").strip() or None
    user.staff_number = (details.staff_number or "").strip() or None
    user.department = department_named(details.department)
    user.service_group = service_group_named(details.service_group)
    user.line_manager = manager


def create_person(details: PersonDetails, *, by: User | None, invite: bool = True) -> User:
    """Adds a person and (unless `invite` is false) mails them an invitation to set their
    password."""
    _normalise(details)
    _check_unique(details, None)
    manager = _resolve_manager(details, None)
    user = User(email="", full_name="")
    _apply(user, details, manager)
    db.session.add(user)
    db.session.flush()
    audit.record(by, "user.created", user, None, _snapshot(user))
    _set_roles(user, details.roles, by=by)
    if invite:
        accounts.send_invitation(user, by=by)
    return user


def update_person(user: User, details: PersonDetails, *, by: User) -> None:
    """Changes a person's details and roles; each change is audited with before and after."""
    _normalise(details)
    _check_unique(details, user)
    manager = _resolve_manager(details, user)
    before = _snapshot(user)
    _apply(user, details, manager)
    after = _snapshot(user)
    audit.record_changes(by, "user.updated", user, before, after)
    if before["email"].lower() != after["email"].lower():
        _tell_old_address(user, before["email"])
    _set_roles(user, details.roles, by=by)


def _tell_old_address(user: User, old_email: str) -> None:
    """Mails the old address that the login email changed, so that someone who did not
    expect it can say so (the staff import does the same for many people at once)."""
    service_name = current_app.config["SERVICE_NAME"]
    outbox.queue_mail(
        old_email,
        f"Your login email for {service_name} has changed",
        "people/mail/login_email_changed",
        full_name=user.full_name,
        old_email=old_email,
        new_email=user.email,
        support_contact=current_app.config["SUPPORT_CONTACT"],
        from_staff_records=False,
    )


def _set_roles(user: User, roles: set[Role], *, by: User | None) -> None:
    before = set(user.roles)
    if before == roles:
        return
    if by is not None and user.id == by.id and Role.ADMIN in before and Role.ADMIN not in roles:
        raise DirectoryError("You cannot remove your own admin role", field="roles")
    for grant in list(user.role_grants):
        if grant.role not in roles:
            user.role_grants.remove(grant)
    for role in roles - before:
        user.role_grants.append(UserRole(role=role))
    audit.record(
        by,
        "user.roles_changed",
        user,
        {"roles": sorted(r.value for r in before)},
        {"roles": sorted(r.value for r in roles)},
    )


def deactivate(user: User, *, by: User) -> None:
    """Stops a person logging in and ends their sessions at once."""
    if user.id == by.id:
        raise DirectoryError("You cannot deactivate your own account")
    if not user.is_active_account:
        return
    user.is_active_account = False
    accounts.end_sessions(user)
    audit.record(by, "user.deactivated", user, {"active": True}, {"active": False})


def reactivate(user: User, *, by: User | None) -> None:
    if user.is_active_account:
        return
    user.is_active_account = True
    audit.record(by, "user.reactivated", user, {"active": False}, {"active": True})


def resend_invitation(user: User, *, by: User) -> None:
    """Sends an invitation, first or again; any earlier unused one stops working."""
    if not user.is_active_account:
        raise DirectoryError("Reactivate this person before sending an invitation")
    accounts.send_invitation(user, by=by)


def make_admin(email: str, full_name: str, password: str) -> User:
    """`flask lms create-admin`: the person with this email (added if new, reactivated if
    not) gets this password and the admin role.

    The same steps as the people pages and a password reset: the password is checked
    like any other, setting it ends the person's sessions and retires their unused
    links, and each change is audited.
    """
    user = db.session.scalar(User.by_email(email))
    if user is None:
        details = PersonDetails(email=email, full_name=full_name)
        user = create_person(details, by=None, invite=False)
    else:
        reactivate(user, by=None)
    accounts.set_password(user, password)
    _set_roles(user, set(user.roles) | {Role.ADMIN}, by=None)
    audit.record(None, "user.admin_created", user, None, {"roles": ["admin"]})
    return user
