"""The KPI dashboard's pages (/reports/, its CSV, XLSX and board report): who may see them,
what a bad query gets, that every export carries the page's numbers, and that the page's
cost does not grow with the data. The numbers themselves are checked by hand in
tests/lms/reports/test_kpi.py, whose world these tests reuse."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import insert

from courses.models import Cohort, CohortStatus, Enrolment, EnrolmentStatus
from lms.auth.models import User
from lms.core.extensions import db
from lms.reports.figures import shown
from tests.helpers import field_error, run_tool, sign_in, text_of
from tests.lms.reports.test_kpi import kpi_world  # noqa: F401 (a fixture)

YEAR_2026 = "/reports/?year=2026"
PAGES = [
    "/reports/?year=2026",
    "/reports/dashboard.xlsx?year=2026",
    "/reports/dashboard/funnel.csv?year=2026",
    "/reports/board.pdf?year=2026",
]


def as_(client, user) -> None:
    sign_in(client, user.get_id())


def words(page: str) -> str:
    """The page's text without its tags, on one line."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))


def tables(page: str) -> dict[str, list[list[str]]]:
    """Each table of the page, by its caption: its body rows as the cells' text."""
    found = {}
    for match in re.finditer(r"<table.*?</table>", page, re.DOTALL):
        table = match.group(0)
        caption = re.search(r"<caption[^>]*>(.*?)</caption>", table, re.DOTALL)
        body = re.search(r"<tbody[^>]*>(.*?)</tbody>", table, re.DOTALL)
        rows = []
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1) if body else "", re.DOTALL):
            cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)
            rows.append([re.sub(r"<[^>]+>|\s+", " ", cell).strip() for cell in cells])
        title = re.sub(r"<[^>]+>|\s+", " ", caption.group(1)).strip() if caption else ""
        found[title] = rows
    return found


def table_titled(page: str, title: str) -> list[list[str]]:
    found = tables(page)
    return next(rows for caption, rows in found.items() if title in caption)


# --- who may see it ------------------------------------------------------------------------


@pytest.fixture
def manager_of_someone(manager, make_user):
    make_user(line_manager_id=manager.id)
    return manager


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("who", ["learner", "trainer", "manager_of_someone"])
def test_only_pmo_admins_see_the_dashboard(client, request, who, url):
    as_(client, request.getfixturevalue(who))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", PAGES)
def test_nobody_logged_out_sees_it(client, url):
    response = client.get(url)
    assert response.status_code in (302, 401)


# --- the page ------------------------------------------------------------------------------


@pytest.mark.usefixtures("kpi_world")
def test_the_page_shows_the_headlines_and_every_figure(client, admin):
    as_(client, admin)
    response = client.get(YEAR_2026)
    page = text_of(response)
    assert response.status_code == 200
    # Hand-counted in test_kpi.py: 3 people trained of 120 (2.5%), 2 projects of 20.
    flat = words(page)
    assert re.search(r"People trained: 3 of 120 \(2\.5%\)", flat)
    assert re.search(r"Projects supported by the PMO: 2 of 20 \(10\.0%\)", flat)
    assert '<progress id="headline-1" class="lms-progress" max="100" value="2">' in page
    # The funnel (test_kpi.py): 6 enrolled (L6-WS's cancelled place left out); 1 leading
    # (L1-PM: L5 leads P4 but has no certificate): 1/6 = 16.7%, of 2 certified 50.0%.
    funnel = table_titled(page, "From enrolment to leading a project")
    assert funnel[0][:2] == ["Enrolled", "6"]
    assert funnel[-1][:4] == ["Leading a project within 12 months", "1", "16.7", "50.0"]
    assert 'href="/reports/board.pdf?year=2026"' in page
    assert 'href="/reports/dashboard.xlsx?year=2026"' in page
    assert 'href="/reports/dashboard/funnel.csv?year=2026"' in page
    assert 'href="/reports/attendance"' in page
    assert page.count('class="lms-chart"') >= 3


def test_the_current_year_is_the_default(client, admin):
    as_(client, admin)
    page = text_of(client.get("/reports/"))
    assert re.search(r'<option value="2026" selected>2026/27</option>', page)


def test_the_filters_are_kept_in_every_link(client, admin, request):
    world = request.getfixturevalue("kpi_world")
    as_(client, admin)
    category, group = world.pm.category_id, world.surgery.id
    page = text_of(client.get(f"/reports/?year=2026&category={category}&group={group}"))
    query = f"year=2026&category={category}&group={group}"
    assert f'href="/reports/dashboard.xlsx?{query}"' in page
    assert f'href="/reports/board.pdf?{query}"' in page
    # Project management and Surgery: L1 only (test_kpi.py).
    flat = words(page)
    assert "People trained: 1 of 120 (0.8%)" in flat


def test_the_form_sent_back_as_it_is_shows_the_same_page(client, admin):
    as_(client, admin)
    page = text_of(client.get(YEAR_2026))
    chosen = dict(
        re.findall(r'<select[^>]*name="(\w+)".*?<option value="([^"]*)" selected', page, re.S)
    )
    assert chosen.keys() == {"year", "category", "group"}
    assert client.get("/reports/", query_string=chosen).status_code == 200


@pytest.mark.parametrize(
    "query, field",
    [
        ("year=abc", "year"),
        ("year=1999", "year"),
        ("year=2026&category=99999", "category"),
        ("year=2026&category=x", "category"),
        ("year=2026&group=-1", "group"),
    ],
)
def test_a_bad_filter_is_shown_beside_its_field(client, admin, query, field):
    as_(client, admin)
    response = client.get(f"/reports/?{query}")
    assert response.status_code == 422
    assert field_error(text_of(response), field)


@pytest.mark.parametrize("url", PAGES[1:])
@pytest.mark.parametrize("bad", ["year=abc", "year=2026&category=99999", "year=2026&group=x"])
def test_an_export_with_a_bad_filter_is_refused(client, admin, url, bad):
    # The page shows the message beside the field (422); a download has no form to show
    # it on, and serving the defaults would give figures its address does not name: 400.
    as_(client, admin)
    assert client.get(url.replace("year=2026", bad)).status_code == 400
    assert client.get(url).status_code == 200


def test_an_unknown_figure_has_no_csv(client, admin):
    as_(client, admin)
    assert client.get("/reports/dashboard/nothing.csv?year=2026").status_code == 404


# --- exports carry the page's numbers ------------------------------------------------------


def _same(page_cell: str, export_cell) -> bool:
    """A page's cell and an export's cell carry the same value."""
    if export_cell in (None, ""):
        return page_cell == shown(None)
    if isinstance(export_cell, int | float | Decimal) and not isinstance(export_cell, bool):
        page_value = page_cell.replace(",", "").rstrip("%")
        return Decimal(page_value) == Decimal(str(export_cell))
    return page_cell == str(export_cell)


@pytest.mark.usefixtures("kpi_world")
def test_the_xlsx_has_the_pages_numbers(client, admin):
    as_(client, admin)
    page = text_of(client.get(YEAR_2026))
    response = client.get("/reports/dashboard.xlsx?year=2026")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data), data_only=True)
    compared = 0
    for title, sheet in [
        ("Targets", "targets"),
        ("From enrolment to leading a project", "funnel"),
        ("Attendance, completion and pass rates", "rates"),
        ("Trend by month", "trend"),
    ]:
        rows = {row[0]: row[1:] for row in table_titled(page, title)}
        for values in workbook[sheet].iter_rows(values_only=True):
            if values and values[0] in rows:
                on_page = rows.pop(values[0])
                assert all(_same(a, b) for a, b in zip(on_page, values[1:], strict=False)), (
                    on_page,
                    values,
                )
                compared += 1
        assert not rows, f"rows of {title} missing from the XLSX: {rows}"
    assert compared == 2 + 5 + 3 + 12


@pytest.mark.usefixtures("kpi_world")
def test_each_csv_has_the_pages_numbers(client, admin):
    as_(client, admin)
    page = text_of(client.get(YEAR_2026))
    for title, key in [
        ("Targets", "targets"),
        ("From enrolment to leading a project", "funnel"),
        ("Attendance, completion and pass rates", "rates"),
        ("Trend by month", "trend"),
    ]:
        response = client.get(f"/reports/dashboard/{key}.csv?year=2026")
        assert response.status_code == 200
        lines = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
        rows = {row[0]: row[1:] for row in table_titled(page, title)}
        found = {line[0]: line[1:] for line in lines if line and line[0] in rows}
        assert found.keys() == rows.keys()
        for label, on_page in rows.items():
            assert all(
                _same(a, b if b != "" else None)
                for a, b in zip(on_page, found[label], strict=False)
            ), (on_page, found[label])


@pytest.mark.usefixtures("kpi_world")
def test_the_board_report_holds_the_dashboard_and_the_impact_figures(client, admin):
    as_(client, admin)
    response = client.get("/reports/board.pdf?year=2026")
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    flat = re.sub(r"\s+", " ", text)
    # The dashboard's figures, and the impact view's (lms/reports/impact.py), by title.
    for title in (
        "From enrolment to leading a project",
        "Attendance, completion and pass rates",
        "People trained who went on to lead a project",
        "Reaction scores by course",
        "What follow-up respondents applied",
    ):
        assert title in flat, title


@pytest.mark.usefixtures("kpi_world")
def test_the_board_report_is_a_sound_pdf(client, admin, tmp_path):
    as_(client, admin)
    response = client.get("/reports/board.pdf?year=2026")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    path = tmp_path / "board.pdf"
    path.write_bytes(response.data)
    checked = run_tool("qpdf", "--check", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


# --- cost ----------------------------------------------------------------------------------


def _grow(course, learners: int, cohorts: int, prefix: str) -> None:
    """`learners` people each on `cohorts` cohorts of `course`: learners x cohorts
    completed enrolments in 2026/27, inserted in bulk."""
    moment = datetime(2026, 6, 1, 9, tzinfo=UTC)
    db.session.execute(
        insert(User),
        [
            {
                "email": f"{prefix}{n}@example.nhs.uk",
                "full_name": f"{prefix} {n}",
                "password_hash": "x",
            }
            for n in range(learners)
        ],
    )
    db.session.execute(
        insert(Cohort),
        [
            {
                "course_id": course.id,
                "code": f"{prefix}-{n}",
                "capacity": learners,
                "status": CohortStatus.CLOSED,
            }
            for n in range(cohorts)
        ],
    )
    people = db.session.scalars(
        User.__table__.select().with_only_columns(User.id).where(User.email.like(f"{prefix}%"))
    ).all()
    groups = db.session.scalars(
        Cohort.__table__.select()
        .with_only_columns(Cohort.id)
        .where(Cohort.code.like(f"{prefix}-%"))
    ).all()
    db.session.execute(
        insert(Enrolment),
        [
            {
                "cohort_id": cohort,
                "learner_id": person,
                "status": EnrolmentStatus.COMPLETED,
                "requested_at": moment,
                "confirmed_at": moment,
                "ended_at": moment,
            }
            for cohort in groups
            for person in people
        ],
    )
    db.session.commit()


def test_the_page_costs_the_same_statements_with_100_and_10000_enrolments(
    client, admin, make_course, count_queries
):
    course = make_course(category="Project management")
    as_(client, admin)
    _grow(course, learners=10, cohorts=10, prefix="small")
    with count_queries() as small:
        assert client.get(YEAR_2026).status_code == 200
    _grow(make_course(category="Workshops"), learners=100, cohorts=99, prefix="large")  # 9,900 more
    with count_queries() as large:
        response = client.get(YEAR_2026)
    assert response.status_code == 200
    assert "People trained: 110 of 120" in words(text_of(response))
    assert small.count == large.count
    # The admin and their roles (2), the form's programmes and service groups (2), and the
    # five aggregate statements of the figures (lms/reports/kpi.py).
    assert large.count == 9, large.statements
