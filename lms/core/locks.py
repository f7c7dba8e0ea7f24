"""Row locks that hold until the transaction ends, on PostgreSQL and SQLite alike."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select, update

from lms.core.db import TimestampMixin
from lms.core.extensions import db


def lock_rows(model: type[TimestampMixin], ids: Collection[int]) -> None:
    """Holds these rows until the transaction ends, so whoever comes next waits and then
    reads what this transaction wrote: row locks (SELECT ... FOR UPDATE) on PostgreSQL;
    on SQLite, whose first write is the first thing it can lock, a write that changes
    nothing takes the database's write lock."""
    if not ids:
        return
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(
            update(model).where(model.id.in_(ids)).values(updated_at=model.updated_at),
            execution_options={"synchronize_session": False},
        )
        return
    db.session.execute(select(model.id).where(model.id.in_(ids)).with_for_update()).all()
