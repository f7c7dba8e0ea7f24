"""The PPM import's pages: lms/projects/import_views.py (/admin/projects/import and
/admin/projects/import/template.csv). The service is tested in test_importing.py."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest

from lms.core.extensions import db
from lms.projects.importing import COLUMNS, MAX_BYTES, TOO_LARGE
from lms.projects.models import Project
from tests.helpers import PASSWORD, count, events, field_error, text_of
from tests.lms.projects.test_importing import (
    GROUP_WORDS,
    SAMPLE,
    SAMPLE_CREATED,
    STATUS_WORDS,
    add_groups,
    add_people,
)

ADDRESS = "/admin/projects/import"
TEMPLATE = "/admin/projects/import/template.csv"


@pytest.fixture
def people(app, make_user) -> dict:
    """The service groups and people the sample names (as in test_importing.py)."""
    add_groups()
    return add_people(make_user)


def imported() -> int:
    return len(events("project.imported"))


def upload(client, data: bytes | None, filename: str = "ppm.csv", **fields):
    form = {} if data is None else {"file": (io.BytesIO(data), filename)}
    return client.post(ADDRESS, data=form | fields, content_type="multipart/form-data")


def summary(page: str) -> dict[str, str]:
    """The summary list's keys and values as text."""
    pairs = re.findall(
        r'<dt class="nhsuk-summary-list__key">(.*?)</dt>\s*'
        r'<dd class="nhsuk-summary-list__value">(.*?)</dd>',
        page,
        re.DOTALL,
    )
    return {html.unescape(key.strip()): html.unescape(value.strip()) for key, value in pairs}


def table_rows(page: str) -> list[tuple[str, str, str, list[str]]]:
    """(line, reference, outcome in words, [details]) for each row of the report's table."""
    rows = re.findall(r'<tr class="nhsuk-table__row">(.*?)</tr>', page, re.DOTALL)[1:]
    found = []
    for row in rows:
        cells = re.findall(r'<td class="nhsuk-table__cell">(.*?)</td>', row, re.DOTALL)
        words = [" ".join(re.sub(r"<[^>]+>", " ", cell).split()) for cell in cells[:3]]
        items = re.findall(r"<li>(.*?)</li>", cells[3], re.DOTALL) or [cells[3]]
        details = [html.unescape(" ".join(item.split())) for item in items if item.strip()]
        found.append((*map(html.unescape, words), details))
    return found


def test_the_page_explains_the_columns_and_offers_a_file_upload(client, as_admin):
    response = client.get(ADDRESS)
    page = text_of(response)
    assert response.status_code == 200
    assert page.count("<h1") == 1 and "Import projects from the PPM platform" in page
    for column in ("Reference", "Title", "Service group", "Status", "Lead", "Team members"):
        assert f"<li>{column}" in page
    assert "Proposed, Active, On hold, Closed, Stopped" in page
    assert "are left on it" in page  # people the file does not name stay
    assert 'enctype="multipart/form-data"' in page
    assert re.search(r'<label class="nhsuk-label[^"]*" for="file">\s*Upload the PPM', page)
    assert re.search(
        r'<input class="nhsuk-file-upload__input" id="file" name="file" type="file"', page
    )
    assert f'href="{TEMPLATE}"' in page


def test_uploading_the_sample_shows_the_counts_and_every_line(client, as_admin, people):
    response = upload(client, SAMPLE)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    assert "8 created, 0 updated, 0 unchanged, 5 rejected." in text_of(response)
    assert summary(page) == {
        "Created": "8",
        "Updated": "0",
        "Unchanged": "0",
        "Rejected (not saved)": "5",
    }
    rows = table_rows(page)
    assert [row[0] for row in rows] == [str(line) for line in range(2, 15)]
    assert rows[0] == ("2", "PPM-0101", "Created", [])
    assert rows[4] == ("6", "PPM-0105", "Not saved", ["Title: Enter the project's title"])
    assert rows[5] == (
        "7",
        "PPM-0106",
        "Not saved",
        [
            f"Service group: Estates and Facilities {GROUP_WORDS}",
            f"Status: Paused {STATUS_WORDS}",
        ],
    )
    assert rows[7] == (
        "9",
        "PPM-0108",
        "Not saved",
        ["Lead: Nobody in the system has the staff number 20099"],
    )
    assert rows[8][:3] == ("10", "ppm-0101", "Not saved")
    assert 'nhsuk-tag nhsuk-tag--red">\n  Not saved' in page
    assert sorted(p.ppm_reference for p in db.session.query(Project)) == SAMPLE_CREATED
    assert {event.actor_id for event in events("project.imported")} == {as_admin.id}


def test_uploading_the_sample_again_changes_nothing(client, as_admin, people):
    upload(client, SAMPLE)
    page = upload(client, SAMPLE).get_data(as_text=True)
    assert "0 created, 0 updated, 8 unchanged, 5 rejected." in html.unescape(page)
    assert [row[2] for row in table_rows(page)].count("Unchanged") == 8
    assert count(Project) == 8 and len(events("project.imported")) == 8


def test_an_update_says_what_changed(client, as_admin, people):
    upload(client, SAMPLE)
    page = upload(client, SAMPLE.replace(b",ON HOLD,", b",Active,")).get_data(as_text=True)
    assert ("4", "PPM-0103", "Updated", ["Changed: Status"]) in table_rows(page)


def test_what_the_file_says_is_shown_as_text_never_as_markup(client, as_admin, people):
    data = b"Reference,Title,Status\r\n<b>PPM</b>,Bold,<i>Busy</i>\r\n"
    page = upload(client, data).get_data(as_text=True)
    assert "<b>PPM</b>" not in page and "<i>Busy</i>" not in page
    assert "&lt;b&gt;PPM&lt;/b&gt;" in page
    assert count(Project) == 0


def test_a_learner_is_refused_the_pages_and_the_upload(client, as_learner, people):
    assert client.get(ADDRESS).status_code == 403
    assert client.get(TEMPLATE).status_code == 403
    assert upload(client, SAMPLE).status_code == 403
    assert (count(Project), imported()) == (0, 0)


def test_an_anonymous_visitor_is_sent_to_log_in(client, people):
    for address in (ADDRESS, TEMPLATE):
        response = client.get(address)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert upload(client, SAMPLE).status_code == 302 and count(Project) == 0


def test_the_template_has_the_header_and_an_example_row(client, as_admin):
    response = client.get(TEMPLATE)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"]
        == 'attachment; filename="ppm-projects-template.csv"'
    )
    header, example = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header == [column.name for column in COLUMNS]
    assert example[:2] == ["PPM-0101", "Digital outpatient letters"]


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (None, None, "Select a CSV file to import"),
        (SAMPLE, "ppm.xlsx", "The selected file must be a CSV"),
        (b"", "ppm.csv", "The selected file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "ppm.csv", "The selected file is not a CSV"),
        (
            b"name,email\nTom,tom@example.nhs.uk\n",
            "ppm.csv",
            "The selected file is not a PPM project export",
        ),
        (
            b"Reference,Status\nPPM-1,Active\n",
            "ppm.csv",
            "The selected file is missing the column Title",
        ),
        (b"x" * (MAX_BYTES + 1), "ppm.csv", TOO_LARGE),
    ],
)
def test_a_missing_or_unusable_file_is_explained_beside_the_field(
    client, as_admin, people, data, filename, message
):
    response = upload(client, data, filename)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "file").startswith(message)
    assert "There is a problem" in page and "<title>Error: " in page
    assert (count(Project), imported()) == (0, 0)


def test_a_body_over_the_apps_limit_is_refused_beside_the_field(make_app, admin, learner):
    app = make_app(MAX_CONTENT_LENGTH=64 * 1024)
    client = app.test_client()
    anonymous = upload(client, b"x" * (100 * 1024))
    assert anonymous.status_code == 413 and "Upload the PPM" not in text_of(anonymous)
    client.post("/login", data={"email": learner.email, "password": PASSWORD})
    refused = upload(client, b"x" * (100 * 1024))
    assert refused.status_code == 413 and "Upload the PPM" not in text_of(refused)
    client.post("/logout")
    client.post("/login", data={"email": admin.email, "password": PASSWORD})
    response = upload(client, b"x" * (100 * 1024))
    assert response.status_code == 413
    assert field_error(response.get_data(as_text=True), "file") == TOO_LARGE


def test_the_form_needs_its_csrf_token(make_app, admin, people):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token})
    page = client.get(ADDRESS).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    refused = upload(client, SAMPLE)  # no token
    assert refused.status_code == 400 and count(Project) == 0
    assert upload(client, SAMPLE, csrf_token=token).status_code == 200
    assert count(Project) == 8


def test_the_page_costs_the_same_statements_for_a_short_and_a_long_report(
    client, as_admin, people, count_queries
):
    def rows(start: int, number: int) -> bytes:
        lines = [
            f"PPM-{n:05d},Project {n},Corporate,20001,20002" for n in range(start, start + number)
        ]
        return ("Reference,Title,Service group,Lead,Team members\r\n" + "\r\n".join(lines)).encode()

    with count_queries() as few:
        assert upload(client, rows(0, 5)).status_code == 200
    with count_queries() as many:
        assert upload(client, rows(100, 50)).status_code == 200
    assert many.count == few.count
    assert count(Project) == 55
