"""What the KPI dashboard and the impact view share: reading the year and filters from
the query, building the page's figures once, and serving them as the page, one figure
as CSV, or all of them as XLSX — the same figures each time, so the numbers agree.

A query the form refuses shows the page with the message beside the field (422) and the
defaults' figures; a download asked for with such a query is refused (400) rather than
served for other filters than its address names.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from flask import Response, abort, request
from markupsafe import Markup

from lms.core.db import utcnow
from lms.core.timezones import local_today
from lms.reports.charts import charts_for
from lms.reports.exports import csv_response, xlsx_response
from lms.reports.figures import Figure
from lms.reports.filters import FilterForm, ReportFilters
from lms.reports.snapshots import Build, figures_for
from lms.web.forms import INVALID


@dataclass(frozen=True)
class Report:
    """One report page's figures for the filters the query asks for."""

    title: str
    form: FilterForm
    filters: ReportFilters
    figures: list[Figure]
    now: datetime
    worked_out_at: datetime  # when the figures were worked out (lms.reports.snapshots)

    @property
    def status(self) -> int:
        return INVALID if self.form.errors else 200

    @property
    def subtitle(self) -> str:
        return self.form.describe(self.filters)

    @cached_property
    def shown(self) -> list[Figure]:
        """The figures as the page and the board report show them (long ones cut short)."""
        return [figure.on_page() for figure in self.figures]

    @cached_property
    def charts(self) -> dict[str, Markup]:
        """Each shown figure's SVG by key, drawn once for the page."""
        return charts_for(self.shown)

    def figure(self, key: str) -> Figure:
        """The figure called `key`; 404 for one the page does not have."""
        return next((figure for figure in self.figures if figure.key == key), None) or abort(404)

    def csv(self, key: str, name: str) -> Response:
        return csv_response(self.figure(key), f"{name}-{key}-{self.filters.year.starts}.csv")

    def xlsx(self, name: str) -> Response:
        return xlsx_response(
            self.figures,
            f"{name}-{self.filters.year.starts}.xlsx",
            title=self.title,
            subtitle=self.subtitle,
            generated_at=self.now,
        )


def read_report(page: str, title: str, build: Build, *, download: bool = False) -> Report:
    """The page `build` makes for this request's `?year=&category=&group=`, as kept for a
    few minutes (`lms.reports.snapshots`). A `download` with a query the form refuses is
    refused (400) before any figure is worked out."""
    now = utcnow()
    today = local_today(now)
    form = FilterForm(formdata=request.args or None, today=today)
    if not form.validate() and download:
        abort(400)
    filters = form.filters(today)
    figures, worked_out_at = figures_for(page, filters, now, build)
    return Report(title, form, filters, figures, now, worked_out_at)
