"""Report pages keep their figures for REPORTS_FRESH_SECONDS (lms/reports/snapshots.py):
every process serves a page worked out once, until it is that old or an admin asks for
the figures to be worked out again. (The other report tests turn keeping off.)"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from lms.core.db import utcnow
from lms.core.extensions import db
from lms.core.timezones import local_today, to_local
from lms.reports import ahead, snapshots
from lms.reports.figures import Chart, Figure
from lms.reports.filters import ReportFilters, default_year
from lms.reports.kpi import PEOPLE_TRAINED
from lms.reports.models import ReportSnapshot
from tests.helpers import sign_in, text_of

FIGURE = Figure(
    key="rates",
    title="Rates",
    columns=("Measure", "Count", "Rate (%)"),
    rows=(
        ("Completion", 3, Decimal("42.9")),
        ("Pass", 0, None),
        ("=HYPERLINK()", 1, Decimal("3.40")),
    ),
    chart=Chart(kind="bar", value_columns=(2,), maximum=Decimal("100")),
    note="A note.",
    notes=("Too few to compare.",),
    page_rows=20,
)


def test_a_figure_comes_back_from_its_snapshot_as_it_was():
    assert snapshots.decode(snapshots.encode(FIGURE)) == FIGURE


@pytest.fixture
def keeping(app):
    app.config["REPORTS_FRESH_SECONDS"] = 300
    return app


def test_the_page_is_served_from_its_snapshot_until_it_is_worked_out_again(
    keeping, client, admin, make_certificate
):
    sign_in(client, admin.get_id())
    first = client.get("/reports/")
    assert first.status_code == 200
    assert "Figures worked out at" in text_of(first)
    kept = db.session.scalars(select(ReportSnapshot)).all()
    assert [row.key for row in kept] == [f"dashboard:{financial_year_now().starts}::"]

    make_certificate()  # someone completes a course: the kept figures do not know yet
    assert _trained(client) == 0
    response = client.post("/reports/refresh", data={"next": "/reports/"})
    assert response.status_code == 302 and response.location == "/reports/"
    assert _trained(client) == 1


def test_a_snapshot_older_than_its_time_is_worked_out_again(keeping, client, admin):
    filters = ReportFilters(financial_year_now())
    built = []

    def build(filters, now):
        built.append(now)
        return [FIGURE]

    now = utcnow()
    snapshots.figures_for("test", filters, now, build)
    snapshots.figures_for("test", filters, now + timedelta(seconds=299), build)
    assert len(built) == 1
    snapshots.figures_for("test", filters, now + timedelta(seconds=301), build)
    assert len(built) == 2
    # Each page and set of filters is kept on its own.
    snapshots.figures_for("test", ReportFilters(filters.year, category_id=3), now, build)
    assert len(built) == 3


def test_tick_forgets_snapshots_past_their_time_and_keeps_fresh_ones(keeping):
    """One snapshot a page and filters ever asked for would pile up: tick removes those
    no request would serve any more."""
    filters = ReportFilters(financial_year_now())
    now = utcnow()
    snapshots.figures_for("stale", filters, now - timedelta(seconds=301), lambda *_: [FIGURE])
    snapshots.figures_for("fresh", filters, now - timedelta(seconds=60), lambda *_: [FIGURE])
    output = keeping.test_cli_runner().invoke(args=["lms", "tick"]).output
    assert "Removed 1 report snapshot(s) past their time." in output
    pages = {key.split(":")[0] for key in db.session.scalars(select(ReportSnapshot.key))}
    assert pages == {"fresh", "dashboard", "impact"}  # the last two worked out ahead


def test_tick_works_out_this_years_pages_before_anyone_asks(keeping, client, admin):
    output = keeping.test_cli_runner().invoke(args=["lms", "tick"]).output
    assert "Worked out 2 report page(s) before anyone asked for them." in output
    year = financial_year_now().starts
    kept = {row.key: row.computed_at for row in db.session.scalars(select(ReportSnapshot))}
    assert set(kept) == {f"dashboard:{year}::", f"impact:{year}::"}
    again = keeping.test_cli_runner().invoke(args=["lms", "tick"]).output
    assert "Worked out 0 report page(s)" in again
    sign_in(client, admin.get_id())
    page = text_of(client.get("/reports/"))
    worked_out_at = to_local(kept[f"dashboard:{year}::"]).strftime("%H:%M")
    assert f"Figures worked out at {worked_out_at}" in page


def test_tick_does_its_own_work_even_when_the_reports_fail(keeping, monkeypatch):
    """The report work runs after tick's own has committed: a failure there is logged,
    and what tick did before it stays done."""
    filters = ReportFilters(financial_year_now())
    snapshots.figures_for("stale", filters, utcnow() - timedelta(seconds=301), lambda *_: [])

    def broken(now):
        raise RuntimeError("a report that cannot be worked out")

    monkeypatch.setattr("lms.cli.work_out_default_pages", broken)
    result = keeping.test_cli_runner().invoke(args=["lms", "tick"])
    assert result.exit_code == 0, result.output
    assert "Removed 1 report snapshot(s) past their time." in result.output
    assert "Could not work the report pages out ahead" in result.output
    db.session.rollback()
    assert db.session.scalars(select(ReportSnapshot)).all() == []


def test_a_default_page_is_worked_out_again_past_half_its_time(keeping):
    now = utcnow()
    assert ahead.work_out_default_pages(now) == 2
    assert ahead.work_out_default_pages(now + timedelta(seconds=149)) == 0
    assert ahead.work_out_default_pages(now + timedelta(seconds=151)) == 2


def test_nothing_is_worked_out_ahead_when_keeping_is_off(app):
    assert ahead.work_out_default_pages(utcnow()) == 0
    assert db.session.scalars(select(ReportSnapshot)).all() == []


def test_refresh_goes_back_only_to_a_page_of_this_site(keeping, client, admin):
    sign_in(client, admin.get_id())
    response = client.post("/reports/refresh", data={"next": "https://evil.example/"})
    assert response.location == "/reports/"


def financial_year_now():

    return default_year(local_today())


def _trained(client) -> int:

    page = text_of(client.get("/reports/"))
    after = page.split(f"{PEOPLE_TRAINED}:", 1)[1]
    return int(after.split("of", 1)[0].replace("<strong>", "").replace("</strong>", "").strip())
