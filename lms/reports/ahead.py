"""Working out the report pages admins open first, before they open them.

`flask lms tick` calls `work_out_default_pages`: this financial year's KPI dashboard and
impact view, with no filters, are worked out again whenever their snapshot is missing or
past half its time (REPORTS_FRESH_SECONDS), so with tick running every few minutes the
first admin of the day, and every one after, is served a kept page instead of waiting
for a year's aggregates. Other years and filters are worked out when asked for.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.reports.filters import ReportFilters, default_year
from lms.reports.impact import impact_figures
from lms.reports.kpi import dashboard_figures
from lms.reports.models import ReportSnapshot
from lms.reports.snapshots import Build, keep, key_of

DEFAULT_PAGES: tuple[tuple[str, Build], ...] = (
    ("dashboard", dashboard_figures),
    ("impact", impact_figures),
)


def work_out_default_pages(now: datetime) -> int:
    """Works out the default pages whose snapshot is missing or past half its time;
    returns how many it worked out (none when keeping is off)."""
    fresh_for = timedelta(seconds=current_app.config.get("REPORTS_FRESH_SECONDS", 0))
    if not fresh_for:
        return 0
    filters = ReportFilters(default_year(local_today(now)))
    worked_out = 0
    for page, build in DEFAULT_PAGES:
        key = key_of(page, filters)
        kept = db.session.get(ReportSnapshot, key)
        if kept is not None and now - fresh_for / 2 < kept.computed_at <= now:
            continue
        keep(key, build(filters, now), now)
        worked_out += 1
    return worked_out
