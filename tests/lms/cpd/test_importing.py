"""Importing past CPD entries from a CSV file: lms/cpd/importing.py and its page,
lms/cpd/import_views.py (/cpd/import and /cpd/import/template.csv)."""

from __future__ import annotations

import codecs
import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.audit.audit import AuditEvent
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.cpd import record
from lms.cpd.importing import (
    COLUMNS,
    MAX_BYTES,
    MAX_ROWS,
    TOO_LARGE,
    ImportFileError,
    ImportReport,
    import_entries,
)
from lms.cpd.models import CpdEntry, EntrySource
from lms.cpd.record import EntryDetails
from tests.helpers import PASSWORD, count, events, field_error, text_of

SAMPLE = (Path(__file__).parents[2] / "data" / "cpd-import.csv").read_bytes()
SAMPLE_TITLES = [
    "APM webinar: benefits realisation",
    "Coaching session with the PMO",
    "NHS ConfedExpo: digital transformation stream",
    "Reading: Managing Successful Projects with PRINCE2",
]
TODAY = date(2026, 12, 7)
HEADER = "date,title,category,hours,reflection"
CATEGORY_WORDS = (
    "Enter one of these categories: Course, Conference, Reading, Coaching, Mentoring, "
    "Work-based learning, Other"
)
ALREADY_THERE = "Already in your record (the same date, title and hours)"


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\r\n".join((header, *rows)) + "\r\n").encode()


def run(learner, data: bytes, today: date = TODAY) -> ImportReport:
    report = import_entries(data, learner=learner, today=today)
    db.session.commit()
    return report


def problems(report: ImportReport) -> dict[int, list[tuple[str | None, str]]]:
    return {
        row.line: [(problem.column, problem.message) for problem in row.problems]
        for row in report.not_added
    }


def entries_of(learner) -> list[CpdEntry]:
    return list(
        db.session.scalars(
            select(CpdEntry).where(CpdEntry.learner_id == learner.id).order_by(CpdEntry.title)
        )
    )


def titles_of(learner) -> list[str]:
    return [entry.title for entry in entries_of(learner)]


# --- the sample ----------------------------------------------------------------------------


def test_the_sample_keeps_the_shape_a_spreadsheet_saves():
    assert SAMPLE.startswith(codecs.BOM_UTF8) and b"\r\n" in SAMPLE
    assert b'"Tailoring PRINCE2 to a small project:\r\nkeep' in SAMPLE  # a cell over 2 lines
    assert b"02/10/2025" in SAMPLE and b"2025-09-18" in SAMPLE  # both date formats
    header = next(csv.reader(io.StringIO(SAMPLE.decode("utf-8-sig"))))
    assert [name.lower() for name in header] == [column.name for column in COLUMNS]


def test_the_sample_imports_every_row_as_the_learners_own_external_entries(
    app, learner, cpd_categories
):
    report = run(learner, SAMPLE)
    assert (report.added, report.not_added) == (4, [])
    assert titles_of(learner) == SAMPLE_TITLES
    by_title = {entry.title: entry for entry in entries_of(learner)}
    reading = by_title["Reading: Managing Successful Projects with PRINCE2"]
    assert reading.source == EntrySource.EXTERNAL and reading.certificate_id is None
    assert reading.category_id == cpd_categories["Reading"].id
    assert reading.activity_on == date(2025, 10, 2)  # 02/10/2025: day first
    assert reading.hours == Decimal("4")
    assert (
        reading.learned
        == "Tailoring PRINCE2 to a small project:\nkeep the stages, drop the paperwork."
    )
    assert (reading.provider, reading.applied, reading.ended_on) == ("AXELOS", "", None)
    expo = by_title["NHS ConfedExpo: digital transformation stream"]
    assert (expo.activity_on, expo.ended_on, expo.hours) == (
        date(2025, 11, 12),
        date(2025, 11, 13),
        Decimal("11"),
    )
    assert expo.applied == "I shared the lessons with our EPR project board."
    coaching = by_title["Coaching session with the PMO"]
    assert coaching.learned == "Setting up a RAID log for the ward\u2019s discharge project."
    assert coaching.provider == "Portfolio Management Office"


# --- rows with problems --------------------------------------------------------------------


def test_each_bad_row_is_reported_by_line_and_not_saved_while_good_rows_are(
    app, learner, cpd_categories
):
    report = run(
        learner,
        csv_file(
            "2026-04-01,Good one,Course,1.5,Learned A",
            "2026-02-30,Bad date,Course,1,R",
            "2026-12-08,Future,Course,1,R",
            "2026-04-02,No hours,Course,0,R",
            "2026-04-03,Too many hours,Course,25,R",
            "2026-04-04,Hours in words,Course,abc,R",
            "2026-04-05,No reflection,Course,1,",
            "2026-04-06,Unknown category,Webinar,1,R",
            f"2026-04-07,{'x' * 201},Course,1,R",
            "01/04/2026,Good two,reading,2,Learned B",
            ",,Nope,x,",
        ),
    )
    assert report.added == 2 and (report.refused, report.already_there) == (9, 0)
    assert problems(report) == {
        3: [
            ("date", "Enter the date of the activity as a real date, like 2026-04-01 or 01/04/2026")
        ],
        4: [("date", "The date of the activity must be today or in the past")],
        5: [("hours", "Enter a number of hours greater than 0")],
        6: [("hours", "Enter 24 hours or fewer: the most there are in a day")],
        7: [("hours", "Enter the hours as a number, like 1.5")],
        8: [("reflection", "Enter what you learned from the activity")],
        9: [("category", CATEGORY_WORDS)],
        10: [("title", "Enter a title of 200 characters or fewer")],
        12: [
            ("date", "Enter the date of the activity"),
            ("title", "Enter a title for the activity"),
            ("category", CATEGORY_WORDS),
            ("hours", "Enter the hours as a number, like 1.5"),
            ("reflection", "Enter what you learned from the activity"),
        ],
    }
    assert titles_of(learner) == ["Good one", "Good two"]
    assert {entry.activity_on for entry in entries_of(learner)} == {date(2026, 4, 1)}


def test_the_optional_columns_are_checked_by_the_entry_forms_rules(app, learner, cpd_categories):
    header = HEADER + ",end date,provider,applied"
    report = run(
        learner,
        csv_file(
            "2026-04-02,Ends first,Course,1,R,2026-04-01,,",
            "2026-04-02,End not a date,Course,1,R,soon,,",
            "2026-04-02,Two days,Course,30,R,2026-04-03,,",
            "2026-04-02,Two days too long,Course,49,R,2026-04-03,,",
            f"2026-04-02,Long provider,Course,1,R,,{'p' * 201},",
            f"2026-04-02,Long applied,Course,1,R,,,{'a' * 5001}",
            "1850-04-02,Long ago,Course,1,R,,,",
            header=header,
        ),
    )
    assert problems(report) == {
        2: [("end date", "The last day must be the same as or after the first day")],
        3: [("end date", "Enter the end date as a real date, like 2026-04-01 or 01/04/2026")],
        5: [("hours", "Enter 48 hours or fewer: the most there are in 2 days")],
        6: [("provider", "Enter a provider of 200 characters or fewer")],
        7: [("applied", "Enter 5000 characters or fewer")],
        8: [("date", "Enter a date between the years 1900 and 2200")],
    }
    assert titles_of(learner) == ["Two days"]


def test_a_retired_category_is_not_accepted_and_not_offered(app, learner, cpd_categories):
    cpd_categories["Other"].retired = True
    db.session.commit()
    report = run(learner, csv_file("2026-04-01,Retired,Other,1,R"))
    assert problems(report) == {2: [("category", CATEGORY_WORDS.removesuffix(", Other"))]}
    assert count(CpdEntry) == 0


def test_categories_are_matched_in_any_case_and_spacing(app, learner, cpd_categories):
    report = run(learner, csv_file("2026-04-01,On the ward,  WORK-BASED   learning ,1,R"))
    assert report.added == 1
    assert entries_of(learner)[0].category_id == cpd_categories["Work-based learning"].id


def test_line_numbers_are_a_spreadsheets_blank_lines_and_cells_over_lines_included(
    app, learner, cpd_categories
):
    data = csv_file(
        '2026-04-01,Notes,Course,1,"First line\nsecond line\nthird line"',
        "",
        ",,,,",
        "2026-04-02,Bad,Course,abc,R",
    )
    report = run(learner, data)
    # header 1, the three-line cell's row 2, a blank line 3, an empty row 4, then 5
    assert list(problems(report)) == [5] and report.added == 1
    assert entries_of(learner)[0].learned == "First line\nsecond line\nthird line"


def test_hidden_characters_go_and_formula_looking_cells_are_kept_as_text(
    app, learner, cpd_categories
):
    data = csv_file(
        '2026-04-01,"=HYPERLINK(""http://x"")",Course,1,"@SUM(1)\r\nnext line\x07"',
        "2026-04-02,Zero\u200bwidth \u202eright,Course,1,+plus",
    )
    report = run(learner, data)
    assert report.added == 2
    by_date = {entry.activity_on.day: entry for entry in entries_of(learner)}
    assert by_date[1].title == '=HYPERLINK("http://x")'
    assert by_date[1].learned == "@SUM(1)\nnext line"
    assert (by_date[2].title, by_date[2].learned) == ("Zerowidth right", "+plus")


# --- repeats -------------------------------------------------------------------------------


def test_importing_the_same_file_twice_adds_nothing_the_second_time(app, learner, cpd_categories):
    run(learner, SAMPLE)
    again = run(learner, SAMPLE)
    assert (again.added, again.already_there, again.refused) == (0, 4, 0)
    assert problems(again) == {line: [(None, ALREADY_THERE)] for line in (2, 3, 4, 5)}
    assert titles_of(learner) == SAMPLE_TITLES
    assert len(events("cpd_entry.added")) == 4


def test_a_row_like_an_entry_already_in_the_record_is_skipped(
    app, learner, make_entry, make_certificate
):
    make_entry(learner, on=date(2026, 4, 1), hours="2.50", title="Ward Rounds Audit")
    certificate = make_certificate(learner)
    from_certificate = db.session.scalar(
        select(CpdEntry).where(CpdEntry.certificate_id == certificate.id)
    )
    report = run(
        learner,
        csv_file(
            "2026-04-01,ward rounds  audit,Course,2.5,Same date title and hours",
            "2026-04-01,Ward rounds audit,Course,3,Other hours",
            "2026-04-02,Ward rounds audit,Course,2.5,Another day",
            f"{from_certificate.activity_on.isoformat()},{certificate.course_title},Course,"
            f"{certificate.cpd_hours},The course again",
        ),
    )
    assert problems(report) == {2: [(None, ALREADY_THERE)], 5: [(None, ALREADY_THERE)]}
    assert report.added == 2


def test_a_row_repeated_in_the_file_is_added_once(app, learner, cpd_categories):
    report = run(
        learner,
        csv_file(
            "2026-04-01,Same,Course,1,R",
            "2026-04-02,Other,Course,1,R",
            "2026-04-01,SAME,Reading,1.00,Different words",
        ),
    )
    assert report.added == 2
    assert problems(report) == {4: [(None, "The same as line 2 (the same date, title and hours)")]}


def test_another_learners_entries_do_not_count_as_already_there(
    app, learner, make_user, make_entry
):
    other = make_user()
    make_entry(other, on=date(2026, 4, 1), hours="1", title="Shared course")
    report = run(learner, csv_file("2026-04-01,Shared course,Course,1,R"))
    assert report.added == 1 and len(entries_of(other)) == 1


# --- audit ---------------------------------------------------------------------------------


def test_each_entry_added_is_audited_as_the_entry_form_audits_it(
    app, learner, make_user, cpd_categories
):
    run(learner, csv_file("2026-04-01,Audited,Course,1.5,R", "2026-04-02,Bad,Course,0,R"))
    [imported] = events("cpd_entry.added")
    [entry] = entries_of(learner)
    assert (imported.actor_id, imported.entity_type, imported.entity_id) == (
        learner.id,
        "CpdEntry",
        str(entry.id),
    )
    typed = make_user()
    details = EntryDetails(
        title="Audited",
        category_id=cpd_categories["Course"].id,
        activity_on=date(2026, 4, 1),
        hours=Decimal("1.5"),
        learned="R",
    )
    record.add_entry(typed, details, today=TODAY)
    db.session.commit()
    by_form = events("cpd_entry.added")[-1]
    assert (imported.before, imported.after) == (by_form.before, by_form.after)
    assert imported.after == {
        "title": "Audited",
        "activity_on": "2026-04-01",
        "hours": "1.5",
        "category_id": cpd_categories["Course"].id,
    }


def test_the_statements_do_not_grow_with_the_rows(app, learner, cpd_categories, count_queries):
    def rows(start: int, number: int) -> bytes:
        return csv_file(
            *(
                f"2026-04-{n % 28 + 1:02d},Entry {n},Course,1,R"
                for n in range(start, start + number)
            )
        )

    with count_queries() as few:
        run(learner, rows(0, 5))
    with count_queries() as many:
        run(learner, rows(100, 300))
    assert many.count == few.count
    assert count(CpdEntry) == 305 and count(AuditEvent) == 305


# --- the file ------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp1252"])
def test_utf8_with_or_without_a_bom_and_windows_1252_read_the_same(
    app, learner, cpd_categories, encoding
):
    text = f"{HEADER}\r\n2026-04-01,Zoë\u2019s café course,Course,1,Crème brûlée £5\r\n"
    assert run(learner, text.encode(encoding)).added == 1
    [entry] = entries_of(learner)
    assert (entry.title, entry.learned) == ("Zoë\u2019s café course", "Crème brûlée £5")


def test_headers_match_in_any_case_order_and_spacing_and_other_columns_are_ignored(
    app, learner, cpd_categories
):
    header = " Reflection ,HOURS,Notes,Category,End_Date, title ,DATE,Pro vider,APPLIED"
    report = run(
        learner,
        csv_file(
            "Learned,2,ignored,Course,2026-04-02,Reordered,2026-04-01,APM,Used it", header=header
        ),
    )
    assert report.added == 1
    [entry] = entries_of(learner)
    assert (entry.title, entry.hours, entry.ended_on, entry.provider, entry.applied) == (
        "Reordered",
        Decimal("2"),
        date(2026, 4, 2),
        "APM",
        "Used it",
    )


def test_a_short_row_reads_its_missing_cells_as_empty(app, learner, cpd_categories):
    report = run(learner, csv_file("2026-04-01,Short,Course"))
    assert problems(report) == {
        2: [
            ("hours", "Enter the number of hours, like 1.5"),
            ("reflection", "Enter what you learned from the activity"),
        ]
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The selected file is empty"),
        (codecs.BOM_UTF8 + b"\r\n \r\n,,\r\n", "The selected file is empty"),
        (HEADER.encode() + b"\r\n", "The selected file has no entries below its first line"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n", "is not a CSV file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not a CSV file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "is not a CSV file"),
        (
            b"name,email\nTom,tom@example.nhs.uk\n",
            "The selected file is not a CPD CSV file. Its first line must name the columns: "
            "date, title, category, hours, reflection",
        ),
        (b"date,title,category\n2026-04-01,x,Course\n", "missing the columns hours, reflection"),
        (b"Date,Title,Hours,Reflection\n", "The selected file is missing the column category"),
        (HEADER.encode() + b"\r\n2026-04-01,\x81\x8d,Course,1,R\r\n", "could not be read"),
    ],
)
def test_a_file_that_cannot_be_imported_says_why_and_saves_nothing(
    app, learner, cpd_categories, data, message
):
    with pytest.raises(ImportFileError, match=re.escape(message)) as raised:
        import_entries(data, learner=learner, today=TODAY)
    assert raised.value.field == "file"
    db.session.commit()
    assert (count(CpdEntry), count(AuditEvent)) == (0, 0)


def test_a_file_broken_after_good_rows_saves_none_of_them(app, learner, cpd_categories):
    data = csv_file("2026-04-01,Good,Course,1,R", f'2026-04-02,Big,Course,1,"{"x" * 200_000}"')
    with pytest.raises(ImportFileError, match="Line 3 of the file could not be read"):
        import_entries(data, learner=learner, today=TODAY)
    db.session.commit()
    assert count(CpdEntry) == 0


def test_a_file_over_1_mb_is_refused_as_bytes_or_as_a_stream(app, learner, cpd_categories):
    row = "2026-04-01,Padded,Course,1," + "x" * 4000
    data = csv_file(*[row] * (MAX_BYTES // len(row) + 1))
    assert len(data) > MAX_BYTES
    for source in (data, io.BytesIO(data)):
        with pytest.raises(ImportFileError, match=TOO_LARGE):
            import_entries(source, learner=learner, today=TODAY)
    assert count(CpdEntry) == 0


def test_a_file_of_more_than_2000_entries_is_refused(app, learner, cpd_categories):
    rows = [f"2026-04-01,Entry {n},Course,1,R" for n in range(MAX_ROWS + 1)]
    with pytest.raises(ImportFileError, match="more than 2,000 entries"):
        import_entries(csv_file(*rows), learner=learner, today=TODAY)
    assert run(learner, csv_file(*rows[:MAX_ROWS])).added == MAX_ROWS


# --- the page ------------------------------------------------------------------------------


def upload(client, data: bytes | None, filename: str = "cpd.csv", **fields):
    form = {} if data is None else {"file": (io.BytesIO(data), filename)}
    return client.post("/cpd/import", data=form | fields, content_type="multipart/form-data")


def table_rows(page: str) -> list[tuple[str, list[str]]]:
    """(line, [what was wrong]) for each row of the report's table."""
    rows = re.findall(r'<tr class="nhsuk-table__row">(.*?)</tr>', page, re.DOTALL)[1:]
    found = []
    for row in rows:
        cells = re.findall(r'<td class="nhsuk-table__cell">(.*?)</td>', row, re.DOTALL)
        items = re.findall(r"<li>(.*?)</li>", cells[1], re.DOTALL)
        found.append((cells[0].strip(), [" ".join(item.split()) for item in items]))
    return found


def test_the_page_explains_the_columns_and_offers_a_file_upload(client, as_learner, cpd_categories):
    cpd_categories["Mentoring"].retired = True
    db.session.commit()
    response = client.get("/cpd/import")
    page = text_of(response)
    assert response.status_code == 200
    assert page.count("<h1") == 1 and "Import past CPD entries" in page
    for column in COLUMNS:
        assert f"<li>{column.name}: " in page
    assert (
        "category: one of Course, Conference, Reading, Coaching, Work-based learning, Other" in page
    )
    assert 'enctype="multipart/form-data"' in page
    assert re.search(r'<label class="nhsuk-label[^"]*" for="file">\s*Upload a CSV file', page)
    assert re.search(
        r'<input class="nhsuk-file-upload__input" id="file" name="file" type="file"', page
    )
    assert 'href="/cpd/import/template.csv"' in page


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    for address in ("/cpd/import", "/cpd/import/template.csv"):
        response = client.get(address)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert upload(client, SAMPLE).status_code == 302 and count(CpdEntry) == 0


def test_the_template_has_the_header_and_an_example_row_that_imports(
    app, client, as_learner, cpd_categories
):
    response = client.get("/cpd/import/template.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"] == 'attachment; filename="cpd-import-template.csv"'
    )
    header, example = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header == [column.name for column in COLUMNS]
    assert example[:4] == ["2025-11-20", "Project risk workshop", "Course", "3.5"]
    assert run(as_learner, response.get_data()).added == 1


def test_uploading_the_sample_says_how_many_were_added_then_nothing_the_second_time(
    client, as_learner, cpd_categories
):
    response = upload(client, SAMPLE)
    page = text_of(response)
    assert response.status_code == 200, page[:2000]
    assert "4 entries added to your CPD record." in page and "Every row was added." in page
    assert count(CpdEntry) == 4

    page = text_of(upload(client, SAMPLE))
    assert "0 entries added to your CPD record." in page
    assert table_rows(page) == [(line, [ALREADY_THERE]) for line in ("2", "3", "4", "5")]
    assert count(CpdEntry) == 4


def test_the_page_lists_what_was_wrong_on_each_line(client, as_learner, cpd_categories):
    future = (local_today() + timedelta(days=1)).isoformat()
    data = csv_file(
        "2026-01-05,Fine,Course,1,R",
        f"{future},Future,Course,abc,R",
        "2026-01-06,<b>Bold</b>,Webinar,1,",
    )
    page = text_of(upload(client, data))
    assert "1 entry added to your CPD record." in page
    assert table_rows(page) == [
        (
            "3",
            [
                "Date: The date of the activity must be today or in the past",
                "Hours: Enter the hours as a number, like 1.5",
            ],
        ),
        (
            "4",
            [f"Category: {CATEGORY_WORDS}", "Reflection: Enter what you learned from the activity"],
        ),
    ]
    assert "<b>Bold</b>" not in upload(client, data).get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (None, None, "Select a CSV file to import"),
        (SAMPLE, "cpd.xlsx", "The selected file must be a CSV"),
        (b"", "cpd.csv", "The selected file is empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "cpd.pdf.csv", "The selected file is not a CSV file"),
        (
            b"Date,Title,Category,Hours\n",
            "cpd.csv",
            "The selected file is missing the column reflection",
        ),
        (b"x" * (MAX_BYTES + 1), "cpd.csv", TOO_LARGE),
    ],
)
def test_a_missing_or_unusable_file_is_explained_beside_the_field(
    client, as_learner, cpd_categories, data, filename, message
):
    response = upload(client, data, filename)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "file").startswith(message)
    assert "There is a problem" in page and "<title>Error: " in page
    assert count(CpdEntry) == 0


def test_a_body_over_the_apps_limit_is_refused_beside_the_field(make_app, learner, cpd_categories):
    app = make_app(MAX_CONTENT_LENGTH=64 * 1024)
    client = app.test_client()
    anonymous = upload(client, b"x" * (100 * 1024))
    assert anonymous.status_code == 413 and "Upload a CSV file" not in text_of(anonymous)
    client.post("/login", data={"email": learner.email, "password": PASSWORD})
    response = upload(client, b"x" * (100 * 1024))
    assert response.status_code == 413
    assert field_error(response.get_data(as_text=True), "file") == TOO_LARGE


def test_the_import_goes_into_the_learners_own_record_whatever_is_sent(
    client, as_learner, make_user, cpd_categories
):
    other = make_user()
    response = upload(
        client,
        SAMPLE,
        learner_id=str(other.id),
        learner=other.email,
        user_id=str(other.id),
    )
    assert response.status_code == 200
    assert titles_of(as_learner) == SAMPLE_TITLES and entries_of(other) == []
    assert {event.actor_id for event in events("cpd_entry.added")} == {as_learner.id}


def test_the_form_needs_its_csrf_token(make_app, learner, cpd_categories):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    login_page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    client.post("/login", data={"email": learner.email, "password": PASSWORD, "csrf_token": token})
    page = client.get("/cpd/import").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

    refused = upload(client, SAMPLE)  # no token
    assert refused.status_code == 400 and count(CpdEntry) == 0
    assert upload(client, SAMPLE, csrf_token=token).status_code == 200
    assert count(CpdEntry) == 4
