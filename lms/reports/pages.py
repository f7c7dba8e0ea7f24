"""What the KPI dashboard and the impact view share: reading the year and filters from
the query, building the page's figures once, and serving them as the page, one figure
as CSV, or all of them as XLSX — the same figures each time, so the numbers agree.

A query the form refuses shows the page with the message beside the field (422) and the
defaults' figures; the downloads, which have no form to show, use the defaults.
"""

from __future__ import annotations

from collections.abc import Callable
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
from lms.web.forms import INVALID

Build = Callable[[ReportFilters, datetime], list[Figure]]


@dataclass(frozen=True)
class Report:
    """One report page's figures for the filters the query asks for."""

    title: str
    form: FilterForm
    filters: ReportFilters
    figures: list[Figure]
    now: datetime

    @property
    def status(self) -> int:
        return INVALID if self.form.errors else 200

    @property
    def subtitle(self) -> str:
        return self.form.describe(self.filters)

    @cached_property
    def charts(self) -> dict[str, Markup]:
        """Each figure's SVG by key, drawn once for the page."""
        return charts_for(self.figures)

    def figure(self, key: str) -> Figure:
        """The figure called `key`; 404 for one the page does not have."""
        return next((figure for figure in self.figures if figure.key == key), None) or abort(
            404
        )

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


def read_report(title: str, build: Build) -> Report:
    """The page `build` makes for this request's `?year=&category=&group=`."""
    now = utcnow()
    today = local_today(now)
    form = FilterForm(formdata=request.args or None, today=today)
    form.validate()
    filters = form.filters(today)
    return Report(title, form, filters, build(filters, now), now)
