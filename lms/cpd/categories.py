"""The categories learners file external CPD under, kept by admins: added, renamed, put
in order and retired (a retired category keeps its entries but is not offered again)."""

from __future__ import annotations

from sqlalchemy import Select, func, select

from lms.audit import audit
from lms.auth.models import User
from lms.core.domain import DomainError
from lms.core.extensions import db
from lms.cpd.models import CpdCategory

NAME_LENGTH = 80
# What learners file external CPD under until admins change the list (the migration that
# made the table wrote these too).
DEFAULT_CATEGORIES = (
    "Course",
    "Conference",
    "Reading",
    "Coaching",
    "Mentoring",
    "Work-based learning",
    "Other",
)
RESERVED = "certified course"  # what entries from certificates are called


def categories(*, offered_only: bool = False) -> Select:
    query = select(CpdCategory).order_by(
        CpdCategory.position, func.lower(CpdCategory.name), CpdCategory.id
    )
    return query.where(CpdCategory.retired.is_(False)) if offered_only else query


def ensure_default_categories() -> None:
    """Adds the default categories to an empty list (a database made without the
    migrations' data, as the tests' and the demo's are once emptied)."""
    if db.session.scalar(select(func.count()).select_from(CpdCategory)):
        return
    db.session.add_all(
        CpdCategory(name=name, position=position, retired=False)
        for position, name in enumerate(DEFAULT_CATEGORIES, start=1)
    )
    db.session.flush()


def add_category(name: str, *, by: User) -> CpdCategory:
    name = _name(name, None)
    position = db.session.scalar(select(func.coalesce(func.max(CpdCategory.position), 0)))
    category = CpdCategory(name=name, position=position + 1, retired=False)
    db.session.add(category)
    db.session.flush()
    audit.record(by, "cpd_category.created", category, None, {"name": name})
    return category


def change_category(category: CpdCategory, name: str, retired: bool, *, by: User) -> None:
    """Renames a category (its entries move with it) or retires or restores it."""
    before = {"name": category.name, "retired": category.retired}
    category.name = _name(name, category)
    category.retired = retired
    db.session.flush()
    audit.record_changes(
        by, "cpd_category.changed", category, before, {"name": category.name, "retired": retired}
    )


def _name(name: str, category: CpdCategory | None) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("Enter a name for the category", field="name")
    if len(name) > NAME_LENGTH:
        raise DomainError(f"Enter a name of {NAME_LENGTH} characters or fewer", field="name")
    if name.lower() == RESERVED:
        raise DomainError(
            "Certified course is what entries from certificates are called. Choose another name",
            field="name",
        )
    clash = db.session.scalar(
        select(CpdCategory.id).where(func.lower(CpdCategory.name) == name.lower())
    )
    if clash is not None and (category is None or clash != category.id):
        raise DomainError("There is already a category with this name", field="name")
    return name
