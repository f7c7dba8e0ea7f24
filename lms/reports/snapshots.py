"""Keeping a report page's figures for a few minutes (`ReportSnapshot`).

`figures_for` serves the snapshot of a page and its filters while it is younger than
`REPORTS_FRESH_SECONDS` (0 turns keeping off: every request works the figures out), and
otherwise works them out and keeps them. Two processes working the same page out at
once both keep theirs; the later one stays. `forget_all` makes every page work its
figures out again on its next request (the pages' "Work the figures out again" button);
`forget_stale` (run by `flask lms tick`) removes the snapshots no request would serve any
more, so one kept for every filter ever asked for does not pile up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from lms.core.extensions import db
from lms.reports.figures import Chart, Figure
from lms.reports.filters import ReportFilters
from lms.reports.models import ReportSnapshot

Build = Callable[[ReportFilters, datetime], list[Figure]]


def figures_for(
    page: str, filters: ReportFilters, now: datetime, build: Build
) -> tuple[list[Figure], datetime]:
    """The page's figures for the filters, and when they were worked out."""
    fresh_for = timedelta(seconds=current_app.config.get("REPORTS_FRESH_SECONDS", 0))
    if not fresh_for:
        return build(filters, now), now
    key = key_of(page, filters)
    kept = db.session.get(ReportSnapshot, key)
    if kept is not None and now - fresh_for < kept.computed_at <= now:
        return [decode(figure) for figure in kept.figures], kept.computed_at
    figures = build(filters, now)
    keep(key, figures, now)
    return figures, now


def forget_all() -> int:
    """Every page works its figures out again on its next request; how many were kept."""
    forgotten = db.session.execute(delete(ReportSnapshot)).rowcount
    db.session.commit()
    return forgotten


def forget_stale(now: datetime) -> int:
    """Removes the snapshots older than REPORTS_FRESH_SECONDS; returns how many. The
    caller commits."""
    fresh_for = timedelta(seconds=current_app.config.get("REPORTS_FRESH_SECONDS", 0))
    stale = delete(ReportSnapshot).where(ReportSnapshot.computed_at < now - fresh_for)
    return db.session.execute(stale).rowcount


def key_of(page: str, filters: ReportFilters) -> str:
    category, group = filters.category_id or "", filters.service_group_id or ""
    return f"{page}:{filters.year.starts}:{category}:{group}"


def keep(key: str, figures: list[Figure], now: datetime) -> None:
    """Keeps the figures worked out at `now` under `key` (commits)."""
    encoded = [encode(figure) for figure in figures]
    try:
        db.session.merge(ReportSnapshot(key=key, figures=encoded, computed_at=now))
        db.session.commit()
    except IntegrityError:  # another process kept the same page a moment ago
        db.session.rollback()


# --- figures as JSON -------------------------------------------------------------------


def _cell(value):
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    return value


def _value(cell):
    if isinstance(cell, dict):
        return Decimal(cell["decimal"])
    return cell


def encode(figure: Figure) -> dict:
    chart = figure.chart
    return {
        "key": figure.key,
        "title": figure.title,
        "columns": list(figure.columns),
        "rows": [[_cell(value) for value in row] for row in figure.rows],
        "chart": None
        if chart is None
        else {
            "kind": chart.kind,
            "label_column": chart.label_column,
            "value_columns": list(chart.value_columns),
            "maximum": _cell(chart.maximum),
        },
        "note": figure.note,
        "notes": list(figure.notes),
        "page_rows": figure.page_rows,
    }


def decode(data: dict) -> Figure:
    chart = data["chart"]
    return Figure(
        key=data["key"],
        title=data["title"],
        columns=tuple(data["columns"]),
        rows=tuple(tuple(_value(cell) for cell in row) for row in data["rows"]),
        chart=None
        if chart is None
        else Chart(
            kind=chart["kind"],
            label_column=chart["label_column"],
            value_columns=tuple(chart["value_columns"]),
            maximum=_value(chart["maximum"]),
        ),
        note=data["note"],
        notes=tuple(data["notes"]),
        page_rows=data["page_rows"],
    )
