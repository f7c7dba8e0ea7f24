"""The CPD record's exports for appraisal: one CPD year as a PDF and as a CSV.

`gather` reads a learner's year in a fixed number of statements (the entries with their
category and certificate, the year's totals, the learner's profile) and turns it into a
`RecordExport` of text-level facts; `record_pdf` and `record_csv` know nothing of the
models or the request and draw that. An entry whose certificate is revoked stays listed,
marked, and is not counted, as on the record page (`counts()`).

The PDF is deterministic, as certificates are (certificates/render.py): ReportLab's
invariant mode and document metadata taken from the export alone, so two exports of the
same record are the same bytes. Names print in any script DejaVu Sans covers
(lms/core/fonts.py).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from flask import current_app
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    HRFlowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from certificates import verification_url
from certificates.render import MONTHS, describe_accreditation, uk_date
from courses.catalogue.catalogue import hours_text
from lms.auth.models import User
from lms.core.extensions import db
from lms.core.fonts import Fonts, register_fonts
from lms.core.pdf import NumberedCanvas
from lms.cpd import record
from lms.cpd.models import CpdEntry
from lms.cpd.years import CpdYear
from lms.web.spreadsheets import safe_cell

LEARNED = "What I learned"
APPLIED = "How I have applied it or will apply it"
REVOKED = "Certificate revoked: not counted"


@dataclass(frozen=True)
class ExportLine:
    """One entry of the record, as text-level facts."""

    activity_on: date
    ended_on: date | None
    title: str
    category: str
    hours: Decimal
    counted: bool  # False while its certificate is revoked
    provider: str
    learned: str
    applied: str
    certificate_number: str = ""
    accreditation: str = ""  # "Accredited by APM (reference APM-CPD-0042)", or empty
    verification_url: str = ""


@dataclass(frozen=True)
class RecordExport:
    """A learner's CPD year: who, the year, what it adds up to and every entry in it."""

    organisation_name: str
    learner_name: str
    job_title: str
    professional_body: str
    summary: record.YearSummary  # the year, its target and its hours by category
    lines: tuple[ExportLine, ...]  # newest first, as on the record page

    @property
    def year(self) -> CpdYear:
        return self.summary.year


def filename(year: CpdYear, extension: str) -> str:
    """ "cpd-record-2026-27.pdf"."""
    return f"cpd-record-{year.label.replace('/', '-')}.{extension}"


# --- gathering ------------------------------------------------------------------------------


def line_of(entry: CpdEntry) -> ExportLine:
    """An entry as printed; reads only what `record.entries` loads with it."""
    certificate = entry.certificate
    line = ExportLine(
        activity_on=entry.activity_on,
        ended_on=entry.ended_on,
        title=entry.title,
        category=entry.category_name,
        hours=entry.hours,
        counted=entry.counted,
        provider=entry.provider or "",
        learned=entry.learned or "",
        applied=entry.applied or "",
    )
    if certificate is None:
        return line
    return replace(
        line,
        certificate_number=certificate.number,
        accreditation=describe_accreditation(
            certificate.accreditation_body, certificate.accreditation_reference
        ),
        verification_url=verification_url(certificate),
    )


def gather(learner: User, year: CpdYear) -> RecordExport:
    """The learner's own record for `year`, in three statements however many entries."""
    profile = record.profile_of(learner.id)
    summary = record.year_summary(learner.id, year, record.target_of(profile))
    entries = db.session.scalars(record.entries(learner.id, year)).all()
    return RecordExport(
        organisation_name=current_app.config["ORGANISATION_NAME"],
        learner_name=learner.full_name,
        job_title=learner.job_title or "",
        professional_body=(profile.professional_body if profile else None) or "",
        summary=summary,
        lines=tuple(line_of(entry) for entry in entries),
    )


# --- words ----------------------------------------------------------------------------------


def describe_span(first: date, last: date | None) -> str:
    """ "3 March 2026"; "3 to 5 March 2026"; "28 March to 2 April 2026"; "30 December
    2025 to 2 January 2026"."""
    if last is None or last == first:
        return uk_date(first)
    if first.year != last.year:
        return f"{uk_date(first)} to {uk_date(last)}"
    if first.month != last.month:
        return f"{first.day} {MONTHS[first.month - 1]} to {uk_date(last)}"
    return f"{first.day} to {uk_date(last)}"


def _year_span(year: CpdYear) -> str:
    return describe_span(year.first_day, year.last_day)


def describe_progress(summary: record.YearSummary) -> str:
    """ "12.5 of 35 hours (35%): 22.5 hours to go", or "35 of 35 hours: target met"."""
    done = f"{hours_text(summary.total)} of {hours_text(summary.target)} hours"
    if not summary.remaining:
        return f"{done}: target met"
    return f"{done} ({summary.percent}%): {hours_text(summary.remaining)} hours to go"


def _printable(text: str) -> str:
    """`text` for a Paragraph: escaped, line breaks kept, control characters dropped."""
    lines = [
        "".join(
            " " if char == "\t" else char
            for char in line
            if char == "\t" or unicodedata.category(char) != "Cc"
        )
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    ]
    return "<br/>".join(escape(line) for line in lines)


# --- the PDF --------------------------------------------------------------------------------

MARGIN = 18 * mm
NHS_BLUE = colors.HexColor("#005EB8")
NHS_DARK_BLUE = colors.HexColor("#003087")
TEXT = colors.HexColor("#212B32")
RULE = colors.HexColor("#D8DDE0")
REVOKED_RED = colors.HexColor("#D5281B")


@dataclass(frozen=True)
class _Styles:
    title: ParagraphStyle
    name: ParagraphStyle
    detail: ParagraphStyle
    heading: ParagraphStyle
    entry: ParagraphStyle
    meta: ParagraphStyle
    label: ParagraphStyle
    body: ParagraphStyle
    warning: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle


def _styles(fonts: Fonts) -> _Styles:
    base = ParagraphStyle("base", fontName=fonts.regular, fontSize=10, leading=13, textColor=TEXT)
    bold = ParagraphStyle("bold", base, fontName=fonts.bold)
    return _Styles(
        title=ParagraphStyle(
            "title", bold, fontSize=20, leading=25, textColor=NHS_DARK_BLUE, spaceAfter=6
        ),
        name=ParagraphStyle("name", bold, fontSize=13, leading=17),
        detail=ParagraphStyle("detail", base, fontSize=10.5, leading=14),
        heading=ParagraphStyle(
            "heading",
            bold,
            fontSize=13.5,
            leading=17,
            textColor=NHS_BLUE,
            spaceBefore=12,
            spaceAfter=4,
        ),
        entry=ParagraphStyle("entry", bold, fontSize=11, leading=14, spaceAfter=2),
        meta=ParagraphStyle("meta", base, fontSize=9.5, leading=12.5),
        label=ParagraphStyle("label", bold, fontSize=9.5, leading=12.5, spaceBefore=4),
        body=ParagraphStyle("body", base),
        warning=ParagraphStyle("warning", bold, fontSize=10, leading=13, textColor=REVOKED_RED),
        cell=base,
        cell_bold=bold,
    )


class _NumberedCanvas(NumberedCanvas):
    footer_margin = MARGIN
    footer_y = MARGIN - 8 * mm
    footer_size = 8.5
    footer_colour = TEXT


def _heading(export: RecordExport, styles: _Styles) -> list:
    year = export.year
    flowables: list = [
        Paragraph(escape(f"CPD record {year.label}"), styles.title),
        Paragraph(_printable(export.learner_name), styles.name),
    ]
    if export.job_title:
        flowables.append(Paragraph(_printable(export.job_title), styles.detail))
    if export.professional_body:
        flowables.append(
            Paragraph(
                f"<b>Professional body:</b> {_printable(export.professional_body)}",
                styles.detail,
            )
        )
    flowables += [
        Paragraph(
            f"<b>CPD year:</b> {escape(_year_span(year))}",
            styles.detail,
        ),
        Paragraph(f"<b>Total:</b> {escape(describe_progress(export.summary))}", styles.detail),
    ]
    return flowables


def _totals(export: RecordExport, styles: _Styles, width: float) -> list:
    flowables: list = [Paragraph("Hours by category", styles.heading)]
    summary = export.summary
    if not summary.by_category:
        return [*flowables, Paragraph("No hours counted in this year.", styles.body)]
    rows = [[Paragraph("Category", styles.cell_bold), Paragraph("Hours", styles.cell_bold)]]
    rows += [
        [
            Paragraph(_printable(row.name), styles.cell),
            Paragraph(hours_text(row.hours), styles.cell),
        ]
        for row in summary.by_category
    ]
    rows.append(
        [
            Paragraph("Total", styles.cell_bold),
            Paragraph(hours_text(summary.total), styles.cell_bold),
        ]
    )
    table = Table(rows, colWidths=[width - 30 * mm, 30 * mm], repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
                ("LINEABOVE", (0, -1), (-1, -1), 1, TEXT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return [*flowables, table]


def _entry(line: ExportLine, styles: _Styles) -> list:
    facts = [
        describe_span(line.activity_on, line.ended_on),
        line.category,
        f"{hours_text(line.hours)} hours" if line.hours != 1 else "1 hour",
    ]
    if line.provider:
        facts.append(f"Provider: {line.provider}")
    top: list = [
        Paragraph(_printable(line.title), styles.entry),
        Paragraph(" · ".join(_printable(fact) for fact in facts), styles.meta),
    ]
    if line.certificate_number:
        top.append(
            Paragraph(f"Certificate number {_printable(line.certificate_number)}", styles.meta)
        )
        if line.accreditation:
            top.append(Paragraph(_printable(line.accreditation), styles.meta))
        top.append(
            Paragraph(f"Check it is genuine at {_printable(line.verification_url)}", styles.meta)
        )
    if not line.counted:
        top.append(Paragraph(REVOKED, styles.warning))
    reflection: list = []
    for label, text in ((LEARNED, line.learned), (APPLIED, line.applied)):
        if text.strip():
            reflection += [
                Paragraph(escape(label), styles.label),
                Paragraph(_printable(text.strip()), styles.body),
            ]
    # The entry's heading never sits alone at the foot of a page.
    return [KeepTogether(top + reflection[:2]), *reflection[2:]]


def _entries(export: RecordExport, styles: _Styles) -> list:
    count = len(export.lines)
    flowables: list = [
        Paragraph(f"Entries ({count})" if count else "Entries", styles.heading),
    ]
    if not count:
        return [*flowables, Paragraph("No CPD recorded in this year.", styles.body)]
    for index, line in enumerate(export.lines):
        if index:
            flowables.append(
                HRFlowable(width="100%", thickness=0.5, color=RULE, spaceBefore=6, spaceAfter=6)
            )
        flowables += _entry(line, styles)
    return flowables


def record_pdf(export: RecordExport) -> bytes:
    """The record as an A4 portrait PDF; the same export always gives the same bytes."""
    fonts = register_fonts()
    styles = _styles(fonts)
    buffer = io.BytesIO()
    title = f"CPD record {export.year.label}"
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{title}: {export.learner_name}",
        author=export.learner_name,
        subject=f"Continuing professional development, {_year_span(export.year)}",
        creator=export.organisation_name,
        invariant=1,
    )

    class Numbered(_NumberedCanvas):
        footer_text = f"{export.learner_name}: {title}"

    story = [
        *_heading(export, styles),
        *_totals(export, styles, doc.width),
        Spacer(0, 2 * mm),
        *_entries(export, styles),
    ]
    doc.build(story, canvasmaker=Numbered)
    return buffer.getvalue()


# --- the CSV --------------------------------------------------------------------------------

CSV_HEADER = (
    "Date",
    "End date",
    "Title",
    "Category",
    "Hours",
    "Counted",
    "Provider",
    "Certificate number",
    "Verification URL",
    LEARNED,
    "How I applied it",
)
BOM = "\ufeff"  # so Excel reads the file as UTF-8


def csv_rows(lines: Sequence[ExportLine]) -> list[list[str]]:
    """One row per entry, every cell safe to open in a spreadsheet."""
    return [
        [
            safe_cell(cell)
            for cell in (
                line.activity_on.isoformat(),
                line.ended_on.isoformat() if line.ended_on else "",
                line.title,
                line.category,
                hours_text(line.hours),
                "yes" if line.counted else "no",
                line.provider,
                line.certificate_number,
                line.verification_url,
                line.learned,
                line.applied,
            )
        ]
        for line in lines
    ]


def record_csv(export: RecordExport) -> str:
    """The year's entries as CSV text, starting with a byte-order mark."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(name) for name in CSV_HEADER])
    writer.writerows(csv_rows(export.lines))
    return BOM + out.getvalue()
