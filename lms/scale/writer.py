"""Bulk inserts for seeding: many rows per statement through SQLAlchemy Core, ids chosen
here so later rows can point at earlier ones without reading them back."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice

from sqlalchemy import Connection, Table, func, select

CHUNK = 5_000


class Writer:
    def __init__(self, connection: Connection, progress: Callable[[str, int], None] | None):
        self.connection = connection
        self.progress = progress or (lambda label, rows: None)
        self.counts: dict[str, int] = {}
        self.step = ""  # what the progress bar says is being seeded
        self._next_ids: dict[str, int] = {}
        self._tables: dict[str, Table] = {}

    def ids(self, table: Table, count: int) -> range:
        """The next `count` primary keys of `table` (the table starts empty)."""
        first = self._next_ids.get(table.name, 1)
        self._tables[table.name] = table
        self._next_ids[table.name] = first + count
        return range(first, first + count)

    def insert(self, table: Table, rows: Iterable[dict]) -> int:
        """Inserts the rows in chunks of many rows per statement; returns how many."""
        total = 0
        iterator = iter(rows)
        while chunk := list(islice(iterator, CHUNK)):
            self.connection.execute(table.insert(), chunk)
            total += len(chunk)
            self.progress(self.step, len(chunk))
        self.counts[table.name] = self.counts.get(table.name, 0) + total
        return total

    def finish(self) -> None:
        """The planner's statistics, as a live database would have them (PostgreSQL's
        autovacuum would take a while; without them it picks plans for empty tables), and
        PostgreSQL's sequences start where the seeded ids end."""
        self.connection.exec_driver_sql("ANALYZE")
        if self.connection.dialect.name != "postgresql":
            return
        for name, table in self._tables.items():
            sequence = self.connection.scalar(select(func.pg_get_serial_sequence(name, "id")))
            if sequence:
                highest = select(func.coalesce(func.max(table.c.id), 1)).scalar_subquery()
                self.connection.execute(select(func.setval(sequence, highest)))
