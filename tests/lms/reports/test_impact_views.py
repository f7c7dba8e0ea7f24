"""lms/reports/impact_views.py: /reports/impact, its XLSX and CSV exports: who may see
them, bad queries, the exports' numbers against the page's, and statements that do not
grow with the data."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert, select

from courses.models import Cohort, Enrolment, EnrolmentStatus
from lms.auth.models import Role, User
from lms.core.extensions import db
from lms.impact.models import (
    ConfidenceRating,
    FollowUp,
    Phase,
    ReactionAnswer,
    ReactionQuestion,
    ReactionResponse,
)
from lms.projects.models import Answer, Project, ProjectUpdate, Rag
from lms.reports.figures import shown
from tests.helpers import field_error, sign_in, text_of
from tests.lms.reports.test_impact import figures, impact_world, utc

__all__ = ["impact_world"]  # the fixture, shared with the service tests

PAGE = "/reports/impact?year=2026"


@pytest.fixture
def admin_client(client, admin):
    sign_in(client, admin.get_id())
    return client


# --- who may see it ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", [PAGE, "/reports/impact.xlsx?year=2026", "/reports/impact/leading.csv?year=2026"]
)
def test_only_pmo_admins_see_it(client, make_user, url):
    learner = make_user(full_name="Lena Learner")
    trainer = make_user(full_name="Theo Trainer", roles=[Role.TRAINER])
    manager = make_user(full_name="Mia Manager")
    make_user(full_name="Rory Report", line_manager_id=manager.id)
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for person in (learner, trainer, manager):
        sign_in(client, person.get_id())
        assert client.get(url).status_code == 403, person.full_name
    admin = make_user(roles=[Role.ADMIN])
    sign_in(client, admin.get_id())
    assert client.get(url).status_code == 200


def test_the_page_shows_each_figure_with_its_table(admin_client, impact_world):
    response = admin_client.get(PAGE)
    assert response.status_code == 200
    page = text_of(response)
    assert "Impact of the training" in page
    for figure in figures().values():
        assert figure.title in page
        assert f"/reports/impact/{figure.key}.csv?year=2026" in page
    assert "Too few projects to compare: 2 led by trained people, 2 by others." in page
    assert "50.0" in page and "3.60" in page and "0.67" in page
    assert "<caption" in page and 'scope="col"' in page
    assert "<script>" not in page and "style=" not in page
    assert "/reports/impact.xlsx?year=2026" in page


def test_the_filters_narrow_the_page(admin_client, impact_world):
    page = text_of(admin_client.get(f"{PAGE}&group={impact_world.surgery.id}"))
    assert "33.3" in page  # Surgery: 1 of 3 trained led a project
    assert "Financial year 2026/27, Surgery" in page


@pytest.mark.parametrize(
    "query, field",
    [
        ("year=abc", "year"),
        ("year=1999", "year"),
        ("year=2026&category=nonsense", "category"),
        ("year=2026&group=99999", "group"),
    ],
)
def test_a_bad_query_shows_the_error_beside_the_field(admin_client, query, field):
    response = admin_client.get(f"/reports/impact?{query}")
    assert response.status_code == 422
    assert field_error(text_of(response), field)


@pytest.mark.parametrize(
    "url",
    [
        "/reports/impact.xlsx?year=abc",
        "/reports/impact/leading.csv?year=x",
        "/reports/impact.xlsx?year=2026&category=nonsense",
        "/reports/impact/applied.csv?year=2026&group=99999",
    ],
)
def test_exports_with_a_bad_query_are_refused(admin_client, url):
    # The page would show the message beside the field (422); a download cannot, and the
    # defaults' figures are not what its address names: 400.
    assert admin_client.get(url).status_code == 400
    assert admin_client.get(url.split("?")[0] + "?year=2026").status_code == 200


def test_an_unknown_figure_has_no_csv(admin_client):
    assert admin_client.get("/reports/impact/nothing.csv?year=2026").status_code == 404


# --- the exports' numbers are the page's ---------------------------------------------------


def _number(value):
    """A spreadsheet cell as the figure holds it: text, a whole count or a Decimal."""
    if isinstance(value, float):
        return Decimal(str(value))
    return value


def test_the_xlsx_holds_the_pages_numbers(admin_client, impact_world):
    response = admin_client.get("/reports/impact.xlsx?year=2026")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data), read_only=True)
    cells = [
        tuple(_number(value) for value in row if value is not None)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
    ]
    page = text_of(admin_client.get(PAGE))
    for figure in figures().values():
        for row in figure.rows:
            expected = tuple(cell for cell in row if cell is not None)
            assert any(
                found[: len(expected)] == expected or found[-len(expected) :] == expected
                for found in cells
            ), (figure.key, row)
            for cell in row:
                if isinstance(cell, Decimal):
                    assert shown(cell) in page
    text = " ".join(str(value) for row in cells for value in row)
    for person in impact_world.people.values():
        assert person.full_name not in text and person.email not in text


def test_xlsx_text_reads_as_the_page_shows_it(admin_client, impact_world):
    # Two more follow-up answers of 2026/27, in words a spreadsheet would take for a
    # formula: a learner's bulleted list and a sum. With the world's 3, 5 are listed.
    written = ["- Used a RAID log for the ward move", "=SUM(savings) was our aim"]
    for name, words_, day in (("Ann", written[0], 11), ("Fay", written[1], 12)):
        enrolment = db.session.scalar(
            select(Enrolment).where(Enrolment.learner_id == impact_world.people[name].id)
        )
        db.session.add(
            FollowUp(
                enrolment_id=enrolment.id,
                months=6,
                due_on=date(2026, 11, 1),
                queued_at=utc(2026, 11, 1),
                answered_at=utc(2026, 11, day, 9),
                applied=words_,
            )
        )
    db.session.commit()
    page = text_of(admin_client.get(PAGE))
    response = admin_client.get("/reports/impact.xlsx?year=2026")
    book = load_workbook(io.BytesIO(response.data))
    cells = {
        cell.value: cell
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }
    for text in written:
        assert f">{text}<" in page  # the page's cell
        assert text in cells, text  # the same text, with no leading quote
        assert cells[text].data_type == "s"  # stored as text, never a formula
    assert not any(cell.data_type == "f" for cell in cells.values())
    # The CSV keeps its leading quote, so a spreadsheet opening it runs nothing.
    csv_text = admin_client.get("/reports/impact/applied.csv?year=2026").get_data(True)
    found = [line[3] for line in csv.reader(io.StringIO(csv_text.lstrip("\ufeff"))) if line]
    assert sorted("'" + text for text in written) == sorted(c for c in found if c[:1] == "'")


def test_a_csv_holds_one_figure(admin_client, impact_world):
    response = admin_client.get("/reports/impact/reaction-trainers.csv?year=2026")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["Trainer", "Responses", "Average score"]
    assert rows[1:] == [["Rita Hale", "3", "3.40"], ["Tomasz Nowak", "2", ""]]


def test_no_learner_is_named_in_the_page_or_the_csvs(admin_client, impact_world):
    texts = [text_of(admin_client.get(PAGE))]
    for key in figures():
        texts.append(admin_client.get(f"/reports/impact/{key}.csv?year=2026").get_data(True))
    for text in texts:
        for person in impact_world.people.values():
            assert person.full_name not in text and person.email not in text
    assert "Thanks, Ann Applegate" not in texts[0]  # a reaction's words are never shown


# --- statements ----------------------------------------------------------------------------


def _grow(enrolments: int) -> None:
    """`enrolments` more completed learners on one course in 2026/27, each with confidence
    ratings, a reaction response, a follow-up and a project they lead with an update:
    inserted in bulk, so the test stays quick at 10,000."""
    cohort = db.session.scalar(select(Cohort).where(Cohort.code == "PM-A"))
    first = db.session.scalar(select(User.id).order_by(User.id.desc()).limit(1)) + 1
    question = db.session.scalar(select(ReactionQuestion.id).limit(1))
    people = range(first, first + enrolments)
    db.session.execute(
        insert(User),
        [{"id": n, "email": f"grown{n}@example.nhs.uk", "full_name": f"Grown {n}"} for n in people],
    )
    db.session.execute(
        insert(Enrolment),
        [
            {
                "id": n,
                "cohort_id": cohort.id,
                "learner_id": n,
                "status": EnrolmentStatus.COMPLETED,
                "requested_at": utc(2026, 4, 2),
                "ended_at": utc(2026, 6, 1),
            }
            for n in people
        ],
    )
    db.session.execute(
        insert(ConfidenceRating),
        [
            {
                "enrolment_id": n,
                "phase": phase,
                "outcome_index": 0,
                "outcome": "a",
                "score": 3,
                "rated_at": utc(2026, 6, 1),
            }
            for n in people
            for phase in Phase
        ],
    )
    db.session.execute(
        insert(ReactionResponse),
        [{"id": n, "enrolment_id": n, "submitted_at": utc(2026, 6, 1)} for n in people],
    )
    db.session.execute(
        insert(ReactionAnswer),
        [{"response_id": n, "question_id": question, "score": 4} for n in people],
    )
    db.session.execute(
        insert(FollowUp),
        [
            {
                "enrolment_id": n,
                "months": 3,
                "due_on": date(2026, 9, 1),
                "queued_at": utc(2026, 9, 1),
                "answered_at": utc(2026, 9, 2),
                "applied": f"Applied {n}",
            }
            for n in people
        ],
    )
    db.session.execute(
        insert(Project),
        [{"id": n, "title": f"Grown {n}", "starts_on": date(2026, 7, 1)} for n in people],
    )
    db.session.execute(
        insert(ProjectUpdate),
        [
            {
                "project_id": n,
                "reported_on": date(2026, 8, 1),
                "rag": Rag.GREEN,
                "milestones_met": Answer.YES,
                "on_time": Answer.YES,
                "on_budget": Answer.NO,
                "benefits_realised": Answer.TOO_EARLY,
            }
            for n in people
        ],
    )
    db.session.commit()


URLS = [PAGE, "/reports/impact.xlsx?year=2026", "/reports/impact/applied.csv?year=2026"]


def _statements(client, count_queries) -> dict[str, int]:
    counted = {}
    for url in URLS:
        client.get(url)
        with count_queries() as counter:
            response = client.get(url)
            response.get_data()
        assert response.status_code == 200, url
        counted[url] = counter.count
    return counted


def test_statements_do_not_grow_with_the_enrolments(admin_client, impact_world, count_queries):
    _grow(100)
    few = _statements(admin_client, count_queries)
    assert figures()["leading"].rows[0][1] == 104  # 4 of the world's + 100
    _grow(10_000)
    many = _statements(admin_client, count_queries)
    assert figures()["leading"].rows[0][1] == 10_104
    assert many == few
    assert few[PAGE] <= 12, few  # the user, the form's two lists, six figures
