"""The certificate PDF: every fact printed and extractable, the same bytes every time, a QR
code that scans back to the verification address, and nothing outside the border.

Pure unit tests: a `CertificatePage` in, PDF bytes out, no app or database. The PDF is
checked by real clients (qpdf, poppler's pdftoppm, zbarimg), installed by
scripts/ensure-debian-packages (`make browser`).
"""

from __future__ import annotations

import dataclasses
import struct
import zlib
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from certificates.render import (
    BORDER_INNER,
    LAYOUT,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    WIDTH,
    CertificatePage,
    describe_accreditation,
    describe_days,
    describe_hours,
    fit_text,
    layout,
    render_certificate,
    uk_date,
    wrap,
)
from lms.core.fonts import register_fonts
from tests.helpers import run_tool as run

URL = "https://lms.example.nhs.uk/verify/7K2M-9QXD-4HPT-ZR8W-3N6B-XC1F-JV5A"
NAMES = ["Zoë Łukasz-O'Néill", "Siân Ffion ap Gwyn", "Dvořák"]


def a_page(**changes) -> CertificatePage:
    page = CertificatePage(
        organisation_name="Example NHS Foundation Trust",
        learner_name="Zoë Łukasz-O'Néill",
        course_title="Project Management Core Concepts",
        cpd_hours=Decimal("7.50"),
        accreditation_body="Association for Project Management",
        accreditation_reference="APM-ACC-1234",
        session_dates=(date(2026, 3, 3), date(2026, 3, 10), date(2026, 3, 17)),
        issued_on=date(2026, 12, 5),
        expires_on=date(2029, 12, 5),
        number="PMO-2026-00042",
        verification_url=URL,
        signatory_name="Dr Amara Okafor",
        signatory_title="Head of the Project Management Office",
    )
    return dataclasses.replace(page, **changes)


def words(text: str) -> str:
    """Whitespace collapsed: pypdf breaks lines where the layout wrapped them."""
    return " ".join(text.split())


def pdf_text(pdf: bytes) -> str:
    return words("\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages))


def tiny_png(path: Path, width: int = 8, height: int = 4) -> Path:
    """An NHS-blue RGB PNG, written by hand (signature, IHDR, IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes((0x00, 0x5E, 0xB8)) * width  # filter byte 0, then the pixels
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )
    return path


# --- what is printed -----------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_every_fact_is_printed_and_extractable(name):
    text = pdf_text(render_certificate(a_page(learner_name=name)))

    assert name in text
    assert "Example NHS Foundation Trust" in text
    assert "Certificate of completion" in text
    assert "Project Management Core Concepts" in text
    assert "7.5 CPD hours" in text
    assert "Accredited by Association for Project Management (reference APM-ACC-1234)" in text
    assert "Dates attended: 3, 10 and 17 March 2026" in text
    assert "Issued on 5 December 2026" in text
    assert "Valid until 5 December 2029" in text
    assert "PMO-2026-00042" in text
    assert URL in text
    assert "Dr Amara Okafor" in text
    assert "Head of the Project Management Office" in text


def test_without_accreditation_expiry_or_dates_those_lines_are_left_out():
    page = a_page(
        accreditation_body=None, accreditation_reference=None, expires_on=None, session_dates=()
    )
    text = pdf_text(render_certificate(page))

    assert "Accredited" not in text
    assert "Valid until" not in text
    assert "Dates attended" not in text
    assert "Issued on 5 December 2026" in text


def test_the_metadata_comes_from_the_page_and_carries_no_time():
    metadata = PdfReader(BytesIO(render_certificate(a_page()))).metadata

    assert metadata.title == "Certificate of completion PMO-2026-00042"
    assert metadata.author == "Example NHS Foundation Trust"
    assert metadata.subject == "Project Management Core Concepts: Zoë Łukasz-O'Néill"
    assert metadata.creator == f"Example NHS Foundation Trust (certificate layout {LAYOUT})"
    assert metadata["/CreationDate"] == metadata["/ModDate"] == "D:20000101000000+00'00'"


def test_the_page_is_a4_landscape():
    box = PdfReader(BytesIO(render_certificate(a_page()))).pages[0].mediabox

    assert (round(float(box.width)), round(float(box.height))) == (842, 595)


# --- the same bytes ------------------------------------------------------------------------


def test_the_same_page_renders_to_the_same_bytes():
    assert render_certificate(a_page()) == render_certificate(a_page())


def test_a_different_number_renders_to_different_bytes():
    assert render_certificate(a_page()) != render_certificate(a_page(number="PMO-2026-00043"))


# --- real PDF clients ----------------------------------------------------------------------


def test_qpdf_finds_nothing_wrong(tmp_path):
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(render_certificate(a_page()))

    checked = run("qpdf", "--check", str(pdf))

    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_qr_code_scans_back_to_the_verification_address(tmp_path):
    pdf = tmp_path / "certificate.pdf"
    pdf.write_bytes(render_certificate(a_page()))

    drawn = run("pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "page"))
    assert drawn.returncode == 0, drawn.stderr
    scanned = run("zbarimg", "--raw", "-q", str(tmp_path / "page.png"))

    assert scanned.stdout.strip() == URL, scanned.stderr


# --- long names and titles -----------------------------------------------------------------


def long_text(parts: list[str], length: int) -> str:
    text = " ".join(parts * (length // len(" ".join(parts)) + 1))[:length]
    return text.strip() + "x" * (length - len(text.strip()))


LONG_NAME = long_text(NAMES, 200)
LONG_TITLE = long_text(["Advanced", "portfolio,", "programme", "and", "project", "delivery"], 300)


def positions(pdf: bytes) -> list[tuple[str, float, float, float, str]]:
    """(text, x, y, size, font) of every fragment of text drawn on the page."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x, y, size * tm[0] * cm[0], font["/BaseFont"]))

    PdfReader(BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return found


def test_a_long_name_and_title_stay_inside_the_border_and_can_be_read_whole():
    assert (len(LONG_NAME), len(LONG_TITLE)) == (200, 300)
    pdf = render_certificate(a_page(learner_name=LONG_NAME, course_title=LONG_TITLE))
    fonts = register_fonts()

    fragments = positions(pdf)
    assert fragments
    for text, x, y, size, font in fragments:
        width = stringWidth(text, fonts.bold if font.endswith("-Bold") else fonts.regular, size)
        assert BORDER_INNER < x < PAGE_WIDTH - BORDER_INNER - width, text
        assert BORDER_INNER < y < PAGE_HEIGHT - BORDER_INNER - size, text
    text = pdf_text(pdf)
    assert words(LONG_NAME) in text
    assert words(LONG_TITLE) in text
    assert "7.5 CPD hours" in text and URL in text


def test_a_long_name_shrinks_to_the_smallest_size_then_wraps():
    middle = layout(a_page(learner_name=LONG_NAME, course_title=LONG_TITLE)).middle
    name, title = middle[1].fit, middle[3].fit

    assert (name.size, title.size) == (18, 14)
    assert len(name.lines) > 1 and len(title.lines) > 1


def test_a_short_name_prints_at_the_largest_size_on_one_line():
    middle = layout(a_page()).middle

    assert middle[1].fit.size == 30
    assert middle[1].fit.lines == ("Zoë Łukasz-O'Néill",)


def test_fit_text_picks_the_largest_half_point_that_fits_one_line():
    font = register_fonts().bold
    text = "Bartholomew-Fitzgerald " * 3
    one_point = stringWidth(words(text), font, 1)

    fit = fit_text(text, font, 25 * one_point, largest=30, smallest=10)

    assert fit == fit_text(words(text), font, 25 * one_point, largest=30, smallest=10)
    assert fit.size == 25 and fit.lines == (words(text),)
    assert fit_text(text, font, 25.4 * one_point, largest=30, smallest=10).size == 25
    assert fit_text(text, font, 1000 * one_point, largest=30, smallest=10).size == 30


def test_fit_text_wraps_at_the_smallest_size_within_the_width():
    font = register_fonts().bold

    fit = fit_text(LONG_TITLE, font, WIDTH, largest=22, smallest=14)

    assert fit.size == 14
    assert all(stringWidth(line, font, 14) <= WIDTH for line in fit.lines)
    assert " ".join(fit.lines) == words(LONG_TITLE)


def test_a_word_longer_than_the_line_is_cut():
    font = register_fonts().regular

    lines = wrap("Ab " + "x" * 300 + " cd", font, 12, 200)

    assert all(stringWidth(line, font, 12) <= 200 for line in lines)
    assert lines[0] == "Ab"
    assert "".join(lines[1:]).replace(" ", "") == "x" * 300 + "cd"


def test_a_very_long_page_shrinks_everything_rather_than_overflow():
    page = a_page(learner_name=LONG_NAME * 2, course_title=LONG_TITLE * 2)
    pdf = render_certificate(page)
    fonts = register_fonts()

    for text, x, y, size, font in positions(pdf):
        width = stringWidth(text, fonts.bold if font.endswith("-Bold") else fonts.regular, size)
        assert BORDER_INNER < x < PAGE_WIDTH - BORDER_INNER - width, text
        assert BORDER_INNER < y < PAGE_HEIGHT - BORDER_INNER - size, text
    assert layout(page).middle[1].fit.size < 18


# --- the logo ------------------------------------------------------------------------------


def test_a_logo_is_drawn_top_left(tmp_path):
    logo = tiny_png(tmp_path / "logo.png")

    pdf = render_certificate(a_page(logo_path=logo))

    page = PdfReader(BytesIO(pdf)).pages[0]
    assert len(page.images) == 1
    assert "Zoë Łukasz-O'Néill" in pdf_text(pdf)
    assert render_certificate(a_page(logo_path=logo)) == pdf


# --- words ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "printed"),
    [
        (Decimal("1"), "1 CPD hour"),
        (Decimal("1.00"), "1 CPD hour"),
        (Decimal("7.50"), "7.5 CPD hours"),
        (Decimal("6.00"), "6 CPD hours"),
        (Decimal("6"), "6 CPD hours"),
        (Decimal("0.5"), "0.5 CPD hours"),
        (Decimal("60.00"), "60 CPD hours"),
        (Decimal("1E+1"), "10 CPD hours"),
    ],
)
def test_hours_are_printed_without_trailing_zeros(hours, printed):
    assert describe_hours(hours) == printed


@pytest.mark.parametrize(
    ("days", "printed"),
    [
        ([], ""),
        ([date(2026, 12, 5)], "5 December 2026"),
        ([date(2026, 3, 17), date(2026, 3, 3), date(2026, 3, 10)], "3, 10 and 17 March 2026"),
        ([date(2026, 3, 3), date(2026, 3, 3)], "3 March 2026"),
        ([date(2026, 3, 24), date(2026, 4, 7)], "24 March and 7 April 2026"),
        ([date(2025, 12, 15), date(2026, 1, 12)], "15 December 2025 and 12 January 2026"),
        (
            [date(2026, 3, 3) + (date(2026, 4, 28) - date(2026, 3, 3)) * n // 5 for n in range(6)],
            "3 March to 28 April 2026 (6 days)",
        ),
        ([date(2026, 3, day) for day in (2, 9, 16, 23, 30)], "2 to 30 March 2026 (5 days)"),
        (
            [
                date(2025, 12, 1),
                date(2025, 12, 8),
                date(2026, 1, 5),
                date(2026, 1, 12),
                date(2026, 1, 19),
            ],
            "1 December 2025 to 19 January 2026 (5 days)",
        ),
    ],
)
def test_days_attended_are_listed_or_given_as_a_range(days, printed):
    assert describe_days(days) == printed


def test_dates_are_in_uk_style():
    assert uk_date(date(2026, 12, 5)) == "5 December 2026"


def test_the_accreditation_line_needs_a_body():
    assert describe_accreditation("APM", "ACC-1") == "Accredited by APM (reference ACC-1)"
    assert describe_accreditation("APM", None) == "Accredited by APM"
    assert describe_accreditation(None, "ACC-1") == ""
