"""The CPD record's exports for appraisal: lms/cpd/exports.py and export_views.py
(/cpd/export.pdf and /cpd/export.csv)."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from certificates import revoke, verification_url
from certificates.models import RevocationReason
from lms.core.extensions import db
from lms.core.timezones import local_today
from lms.cpd import exports, record
from lms.cpd.models import CpdEntry, CpdEvidence, EntrySource
from lms.cpd.years import CpdYear, year_of
from tests.helpers import run_tool

PDF = "/cpd/export.pdf"
CSV = "/cpd/export.csv"


def words(text: str) -> str:
    """Whitespace collapsed: pypdf breaks lines where the layout wrapped them."""
    return " ".join(text.split())


def pdf_text(pdf: bytes) -> str:
    return words("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def csv_of(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "a byte-order mark, so Excel reads UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def current_year() -> CpdYear:
    return year_of(local_today())


def certificate_entry(learner) -> CpdEntry:
    return db.session.scalars(
        select(CpdEntry).where(
            CpdEntry.learner_id == learner.id, CpdEntry.source == EntrySource.CERTIFICATE
        )
    ).one()


# --- the PDF --------------------------------------------------------------------------------


def test_the_pdf_lists_every_entry_and_a_certificates_number_and_address(
    app, client, as_learner, make_entry, make_certificate
):
    certificate = make_certificate(as_learner)
    on = certificate_entry(as_learner).activity_on  # the days attended: today's year or last
    make_entry(as_learner, on, hours="1.5", title="Read Managing Successful Projects")
    make_entry(
        as_learner,
        on,
        hours="2.25",
        category="Conference",
        title="PMO Conference 2026",
        provider="APM",
        learned="How other trusts run a portfolio office",
        applied="Started a risk log for my project",
    )

    response = client.get(f"{PDF}?year={year_of(on).starts}")

    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.get_data())
    assert f"CPD record {year_of(on).label}" in text
    assert "Zoë Ashworth" in text
    for title, hours in (
        ("Read Managing Successful Projects", "1.5 hours"),
        ("PMO Conference 2026", "2.25 hours"),
        ("Occasional project managers", "7.5 hours"),
    ):
        assert title in text
        assert hours in text
    assert "Certified course" in text
    assert f"Certificate number {certificate.number}" in text
    assert "Accredited by APM (reference APM-CPD-0042)" in text
    assert verification_url(certificate) in text
    assert "What I learned How other trusts run a portfolio office" in text
    assert "How I have applied it or will apply it Started a risk log for my project" in text
    assert "Provider: APM" in text
    # 1.5 + 2.25 + 7.5 of the trust's 35 hours
    assert "11.25 of 35 hours (32%): 23.75 hours to go" in text
    assert "Page 1 of 1" in text


def test_the_pdf_names_the_learners_job_and_body_and_the_years_dates(
    app, client, make_user, login, make_entry
):
    learner = make_user(full_name="Łukasz Żółć", job_title="Project support officer")
    record.set_preferences(
        learner, target_hours=Decimal("30"), professional_body="APM", share_reflections=False
    )
    make_entry(learner, date(2025, 6, 2), hours="30", title="Secondment to the PMO")
    db.session.commit()
    login(learner)

    text = pdf_text(client.get(f"{PDF}?year=2025").get_data())

    assert "CPD record 2025/26" in text
    assert "Łukasz Żółć" in text
    assert "Project support officer" in text
    assert "Professional body: APM" in text
    assert "CPD year: 1 April 2025 to 31 March 2026" in text
    assert "30 of 30 hours: target met" in text


def test_a_revoked_certificates_entry_is_marked_and_not_counted(
    app, client, as_learner, admin, make_certificate
):
    certificate = make_certificate(as_learner)
    revoke(certificate, RevocationReason.ISSUED_IN_ERROR, "Wrong person", by=admin)
    db.session.commit()
    year = year_of(certificate_entry(as_learner).activity_on).starts

    text = pdf_text(client.get(f"{PDF}?year={year}").get_data())
    [row] = csv_of(client.get(f"{CSV}?year={year}"))[1:]

    assert "Occasional project managers" in text
    assert "Certificate revoked: not counted" in text
    assert "0 of 35 hours (0%)" in text
    assert "No hours counted in this year." in text
    assert row[5] == "no"
    assert row[7] == certificate.number


def test_two_exports_of_the_same_record_are_the_same_bytes_served_as_an_attachment(
    app, client, as_learner, make_entry
):
    make_entry(as_learner, local_today(), title="Reading")

    first, second = client.get(PDF), client.get(PDF)

    assert first.get_data() == second.get_data()
    label = current_year().label.replace("/", "-")
    assert first.headers["Content-Disposition"] == f'attachment; filename="cpd-record-{label}.pdf"'
    assert "no-store" in first.headers["Cache-Control"]
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    metadata = PdfReader(io.BytesIO(first.get_data())).metadata
    assert metadata.title == f"CPD record {current_year().label}: Zoë Ashworth"
    assert metadata.author == "Zoë Ashworth"


def test_a_long_record_wraps_runs_to_numbered_pages_and_passes_qpdf(
    app, client, make_user, login, make_entry, tmp_path
):
    learner = make_user(full_name="Łukasz Żółć")
    reflection = " ".join(f"lesson{n}" for n in range(400))  # several lines, every one kept
    unbroken = "Portfolio" * 20  # one 180-character word, split to fit
    for day in range(1, 13):
        make_entry(
            learner,
            date(2025, 5, day),
            title=f"Entry {day}: " + "a long title about project governance " * 4,
            learned=reflection,
            applied=f"Line one\nline two {unbroken}",
        )
    login(learner)

    pdf = client.get(f"{PDF}?year=2025").get_data()

    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) > 2
    text = pdf_text(pdf)
    assert f"Page 1 of {len(pages)}" in text
    assert f"Page {len(pages)} of {len(pages)}" in text
    assert "Łukasz Żółć: CPD record 2025/26" in text
    for day in range(1, 13):
        assert f"Entry {day}: a long title" in text
    assert all(f"lesson{n} " in text for n in (0, 199, 399))
    assert "Portfolio" * 5 in text.replace(" ", "")
    path = tmp_path / "record.pdf"
    path.write_bytes(pdf)
    checked = run_tool("qpdf", "--check", str(path))
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_an_empty_year_still_exports(app, client, as_learner):
    text = pdf_text(client.get(PDF).get_data())
    assert "No CPD recorded in this year." in text
    assert csv_of(client.get(CSV)) == [list(exports.CSV_HEADER)]


def test_control_characters_and_markup_in_an_entry_print_as_text(
    app, client, as_learner, make_entry
):
    make_entry(
        as_learner,
        local_today(),
        title="<b>Risk</b> & issues\x07\x0b <para>",  # no NUL: PostgreSQL refuses it
        learned="Line\r\nbreak\ttab\x1b",
    )
    response = client.get(PDF)
    assert response.status_code == 200
    assert "<b>Risk</b> & issues <para>" in pdf_text(response.get_data())


# --- the CSV --------------------------------------------------------------------------------


def test_the_csvs_rows_are_the_years_entries(app, client, as_learner, make_entry, make_certificate):
    certificate = make_certificate(as_learner)
    on = certificate_entry(as_learner).activity_on
    make_entry(
        as_learner,
        on,
        hours="3",
        category="Conference",
        title="Łódź PMO summit",
        provider="APM",
        learned="Benefits maps",
        applied="Drew one for my project",
        ended_on=None,
    )

    response = client.get(f"{CSV}?year={year_of(on).starts}")

    assert response.mimetype == "text/csv"
    assert "no-store" in response.headers["Cache-Control"]
    label = year_of(on).label.replace("/", "-")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="cpd-record-{label}.csv"'
    )
    header, *rows = csv_of(response)
    assert header == [
        "Date",
        "End date",
        "Title",
        "Category",
        "Hours",
        "Counted",
        "Provider",
        "Certificate number",
        "Verification URL",
        "What I learned",
        "How I applied it",
    ]
    entry = certificate_entry(as_learner)
    assert sorted(rows) == sorted(
        [
            [
                on.isoformat(),
                entry.ended_on.isoformat(),
                "Occasional project managers",
                "Certified course",
                "7.5",
                "yes",
                entry.provider,
                certificate.number,
                verification_url(certificate),
                "",
                "",
            ],
            [
                on.isoformat(),
                "",
                "Łódź PMO summit",
                "Conference",
                "3",
                "yes",
                "APM",
                "",
                "",
                "Benefits maps",
                "Drew one for my project",
            ],
        ]
    )


def test_a_formula_looking_cell_is_made_safe(app, client, as_learner, make_entry):
    make_entry(
        as_learner,
        local_today(),
        title='=HYPERLINK("http://evil.example","Click")',
        learned="+1 more lesson",
        applied="@SUM(A1)",
    )

    [row] = csv_of(client.get(CSV))[1:]

    assert row[2] == '\'=HYPERLINK("http://evil.example","Click")'
    assert row[9] == "'+1 more lesson"
    assert row[10] == "'@SUM(A1)"


# --- whose record, which year ---------------------------------------------------------------


def test_another_learners_entries_never_appear_in_my_export(
    app, client, as_learner, make_user, make_entry
):
    today = local_today()
    make_entry(as_learner, today, title="My own reading")
    someone = make_user(full_name="Someone Else")
    make_entry(someone, today, title="Their private reflection")

    pdf = pdf_text(client.get(f"{PDF}?learner={someone.id}").get_data())
    rows = csv_of(client.get(f"{CSV}?learner_id={someone.id}"))

    assert "My own reading" in pdf
    assert "Their private reflection" not in pdf
    assert "Someone Else" not in pdf
    assert [row[2] for row in rows[1:]] == ["My own reading"]


def test_the_year_runs_from_1_april_to_31_march(app, client, as_learner, make_entry):
    make_entry(as_learner, date(2026, 3, 31), title="Last day of 2025/26")
    make_entry(as_learner, date(2026, 4, 1), title="First day of 2026/27")

    earlier = pdf_text(client.get(f"{PDF}?year=2025").get_data())
    later = pdf_text(client.get(f"{PDF}?year=2026").get_data())

    assert "CPD record 2025/26" in earlier
    assert "Last day of 2025/26" in earlier
    assert "First day of 2026/27" not in earlier
    assert "CPD record 2026/27" in later
    assert "First day of 2026/27" in later
    assert "Last day of 2025/26" not in later
    assert [row[2] for row in csv_of(client.get(f"{CSV}?year=2025"))[1:]] == ["Last day of 2025/26"]
    assert [row[2] for row in csv_of(client.get(f"{CSV}?year=2026"))[1:]] == [
        "First day of 2026/27"
    ]


@pytest.mark.parametrize(
    "year", ["abc", "1800", "99999", "", "-2025", "2025.0", "²⁰²⁵", "next", "3000"]
)
def test_a_bad_year_means_the_current_one(app, client, as_learner, make_entry, year):
    make_entry(as_learner, local_today(), title="This year's reading")
    label = current_year().label.replace("/", "-")

    for address, kind in ((PDF, "pdf"), (CSV, "csv")):
        response = client.get(address, query_string={"year": year})
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == (
            f'attachment; filename="cpd-record-{label}.{kind}"'
        )
    assert "This year's reading" in pdf_text(client.get(PDF, query_string={"year": year}).data)


def test_a_year_after_the_current_one_means_the_current_one(app, client, as_learner):
    following = current_year().following.starts
    response = client.get(f"{CSV}?year={following}")
    assert current_year().label.replace("/", "-") in response.headers["Content-Disposition"]


@pytest.mark.parametrize("address", [PDF, CSV, f"{PDF}?year=2025"])
def test_logged_out_visitors_are_sent_to_log_in(app, client, address):
    response = client.get(address)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# --- cost -----------------------------------------------------------------------------------


def _add_entries(learner, categories, how_many: int, on: date) -> None:
    """`how_many` external entries on `on`, every tenth with an evidence file, in one go."""
    for number in range(how_many):
        entry = CpdEntry(
            learner_id=learner.id,
            source=EntrySource.EXTERNAL,
            title=f"Entry {number}",
            category=categories["Reading"],
            activity_on=on,
            hours=Decimal("1.25"),
            learned="What I learned",
            applied="How I applied it",
            evidence=None,
        )
        if number % 10 == 0:
            content = b"notes %d" % number
            entry.evidence = CpdEvidence(
                filename="notes.txt",
                media_type="text/plain",
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                content=content,
            )
        db.session.add(entry)
    db.session.commit()


def _statements(client, count_queries, address: str) -> int:
    client.get(address)  # the first request of a process warms caches
    with count_queries() as counter:
        response = client.get(address)
        response.get_data()
    assert response.status_code == 200
    return counter.count


def test_the_exports_cost_the_same_statements_for_5_and_500_entries(
    app, client, as_learner, cpd_categories, make_certificate, count_queries
):
    make_certificate(as_learner)
    on = certificate_entry(as_learner).activity_on
    addresses = [f"{PDF}?year={year_of(on).starts}", f"{CSV}?year={year_of(on).starts}"]
    _add_entries(as_learner, cpd_categories, 4, on)
    few = [_statements(client, count_queries, address) for address in addresses]

    _add_entries(as_learner, cpd_categories, 495, on)
    many = [_statements(client, count_queries, address) for address in addresses]

    assert len(csv_of(client.get(addresses[1]))) == 1 + 500
    assert many == few


# --- words ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "words"),
    [
        (date(2026, 3, 3), None, "3 March 2026"),
        (date(2026, 3, 3), date(2026, 3, 3), "3 March 2026"),
        (date(2026, 3, 3), date(2026, 3, 5), "3 to 5 March 2026"),
        (date(2026, 3, 28), date(2026, 4, 2), "28 March to 2 April 2026"),
        (date(2025, 12, 30), date(2026, 1, 2), "30 December 2025 to 2 January 2026"),
    ],
)
def test_an_entrys_days_in_words(first, last, words):
    assert exports.describe_span(first, last) == words
