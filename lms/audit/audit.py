"""Append-only audit events: who did what to which record, with before and after.

`record()` adds the event to the caller's transaction, so an audit event exists
exactly when the change it describes was committed.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask import has_request_context, request
from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Select,
    String,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from lms.core.db import Base, utcnow
from lms.core.extensions import db
from lms.core.timezones import start_of_local_day

# Keys whose values must never reach the audit log, whatever a caller passes.
_SECRET_KEYS = ("password", "token", "secret", "hash")

# Security events: signing in and out, passwords, who may do what, the credentials that
# open a calendar, and changes to a register already marked (they decide certificates).
# Only these keep the address they came from, and only for RETENTION_AUDIT_IP_DAYS
# (lms/retention.py); an address says where a person was, so other events record none.
SECURITY_ACTION_PREFIXES = ("login.", "password.")
SECURITY_ACTIONS = frozenset(
    {
        "logout",
        "user.admin_created",
        "user.roles_changed",
        "user.deactivated",
        "user.reactivated",
        "calendar_feed.created",
        "calendar_feed.regenerated",
        "attendance.changed",
        "attendance.check_in_undone",
    }
)
_WITH_IP_ADDRESS = text("ip_address IS NOT NULL")


def is_security_action(action: str) -> bool:
    return action in SECURITY_ACTIONS or action.startswith(SECURITY_ACTION_PREFIXES)


class AuditEvent(Base):
    __tablename__ = "audit_event"
    # The few events still carrying an address, by age: retention finds those past
    # their time without reading the rest of the log.
    __table_args__ = (
        Index(
            "ix_audit_event_occurred_at_with_ip_address",
            "occurred_at",
            postgresql_where=_WITH_IP_ADDRESS,
            sqlite_where=_WITH_IP_ADDRESS,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    # Kept as text so the log still reads correctly if the account changes later.
    actor_label: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(80), index=True)
    entity_type: Mapped[str] = mapped_column(String(80), index=True)
    entity_id: Mapped[str | None] = mapped_column(String(80))
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    ip_address: Mapped[str | None] = mapped_column(String(45))

    actor = relationship("User")


class AppendOnlyViolation(RuntimeError):
    """Raised by the application; the database refuses too (triggers made by migration
    3c4d5e6f7a82), so neither the ORM, `text()` nor a database client can rewrite history."""


@event.listens_for(Session, "before_flush")
def _refuse_changes_to_audit_events(session, flush_context, instances):
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent):
            raise AppendOnlyViolation("audit events are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_changes_to_audit_events(state):
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEvent for mapper in state.all_mappers
    ):
        raise AppendOnlyViolation("audit events are append-only")


def _clean_value(value: Any) -> Any:
    if isinstance(value, dict):
        return _clean(value)
    if isinstance(value, list):
        return [_clean_value(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return sorted(str(item) for item in value)
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    return str(value)


def _clean(values: dict[str, Any] | None) -> dict[str, Any] | None:
    """JSON-ready values with every secret-looking key removed, at any depth."""
    if values is None:
        return None
    return {
        key: _clean_value(value)
        for key, value in values.items()
        if not any(secret in str(key).lower() for secret in _SECRET_KEYS)
    }


def build(
    actor,
    action: str,
    entity,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    entity_type: str | None = None,
) -> AuditEvent:
    """An audit event, not yet added to the session (see `record` and `record_many`).

    `actor` is a User or None (the system, or an anonymous visitor); `entity` is a
    model instance, or None with `entity_type` naming what was touched.
    """
    entity_id = None
    if entity is not None:
        if getattr(entity, "id", None) is None:
            db.session.flush()
        entity_id = str(entity.id)
        entity_type = entity_type or type(entity).__name__
    return AuditEvent(
        occurred_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", None) or "system",
        action=action,
        entity_type=entity_type or "System",
        entity_id=entity_id,
        before=_clean(before),
        after=_clean(after),
        ip_address=(
            request.remote_addr if has_request_context() and is_security_action(action) else None
        ),
    )


def record(
    actor,
    action: str,
    entity,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    entity_type: str | None = None,
) -> AuditEvent:
    """Adds an audit event to the current transaction."""
    event_row = build(actor, action, entity, before, after, entity_type=entity_type)
    db.session.add(event_row)
    return event_row


def record_many(events: list[AuditEvent]) -> None:
    """Writes events made by `build` with one INSERT, in the current transaction.

    The ORM batches inserts on PostgreSQL but sends one per row on SQLite; a register of
    100 learners must cost the same statements as one of 5.
    """
    columns = [column.key for column in AuditEvent.__table__.columns if column.key != "id"]
    rows = [{key: getattr(event, key) for key in columns} for event in events]
    if rows:
        db.session.execute(insert(AuditEvent), rows)


def blank_ip_addresses(*, occurred_before: datetime, limit: int) -> int:
    """Blanks the IP address of up to `limit` events that happened before the given time;
    returns how many. The one change to an event the database allows (a Core statement,
    so the ORM guards above, which refuse any change, are not asked)."""
    table = AuditEvent.__table__
    ids = db.session.scalars(
        select(table.c.id)
        .where(table.c.ip_address.is_not(None), table.c.occurred_at < occurred_before)
        .limit(limit)
    ).all()
    if not ids:
        return 0
    blanked = db.session.execute(update(table).where(table.c.id.in_(ids)).values(ip_address=None))
    return blanked.rowcount


def record_changes(actor, action: str, entity, before: dict, after: dict) -> AuditEvent | None:
    """Records only the fields that differ between two snapshots; nothing if none do."""
    changed = [key for key in before if before[key] != after.get(key)]
    if not changed:
        return None
    return record(
        actor,
        action,
        entity,
        {key: before[key] for key in changed},
        {key: after.get(key) for key in changed},
    )


def events(
    *,
    actor: str | None = None,
    entity_type: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Select:
    """Audit events, newest first, filtered; the caller paginates."""
    query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if actor:
        query = query.where(
            func.lower(AuditEvent.actor_label).contains(actor.strip().lower(), autoescape=True)
        )
    if entity_type:
        query = query.where(AuditEvent.entity_type == entity_type)
    if date_from:
        query = query.where(AuditEvent.occurred_at >= start_of_local_day(date_from))
    if date_to:
        query = query.where(
            AuditEvent.occurred_at < start_of_local_day(date_to + timedelta(days=1))
        )
    return query


def entity_types() -> list[str]:
    """Each kind of record the log mentions, A to Z. A "loose index scan": one probe of
    the entity_type index per kind, instead of reading every event for DISTINCT."""
    kinds = select(func.min(AuditEvent.entity_type).label("name")).cte("kinds", recursive=True)
    following = select(AuditEvent.entity_type).where(AuditEvent.entity_type > kinds.c.name)
    kinds = kinds.union_all(
        select(
            following.with_only_columns(func.min(AuditEvent.entity_type)).scalar_subquery()
        ).where(kinds.c.name.is_not(None))
    )
    return list(db.session.scalars(select(kinds.c.name).where(kinds.c.name.is_not(None))))
