"""Printable sign-in sheet for one session: a PDF for rooms without Wi-Fi.

The trainer prints it, learners sign it, and the trainer keys the register from it.
The same input always gives the same bytes (`invariant=1`), so the sheet can be
compared and cached.

Names such as "Łukasz Żółć" need a font with more than Latin-1, so the Unicode TrueType
font chosen in lms/core/fonts.py (DejaVu Sans from Debian's `fonts-dejavu-core`) is embedded.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from courses.models import Session
from lms.auth.models import User
from lms.core.fonts import Fonts, register_fonts
from lms.core.pdf import NumberedCanvas
from lms.core.timezones import to_local

FOOTER_TEXT = "Return this sheet to the trainer, who keys it into the register"
WALK_IN_ROWS = 5
MARGIN = 15 * mm
# Every row is tall enough to sign in, taller if a name or job title wraps.
ROW_HEIGHT = 11 * mm
PADDING = 4

# --- text ------------------------------------------------------------------------------------


def describe_time(starts_at: datetime, ends_at: datetime) -> str:
    """ "Tuesday 3 March 2026, 09:30 to 13:00" in UK time (the end's date too if it differs)."""
    start, end = to_local(starts_at), to_local(ends_at)
    day = "%A %-d %B %Y"
    if start.date() == end.date():
        return f"{start:{day}}, {start:%H:%M} to {end:%H:%M}"
    return f"{start:{day}}, {start:%H:%M} to {end:{day}}, {end:%H:%M}"


# Letters that Unicode does not decompose into a base letter and an accent.
_BASE_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae"})


def sort_key(learner: User) -> tuple[str, int]:
    """By name, ignoring case and accents ("Łukasz" sorts with "Lukasz"), then by id."""
    folded = unicodedata.normalize("NFKD", learner.full_name.casefold().translate(_BASE_LETTERS))
    return "".join(ch for ch in folded if not unicodedata.combining(ch)), learner.id or 0


def _role(learner: User) -> str:
    """Job title and department, the department left out when the title already names it."""
    title = (learner.job_title or "").strip()
    department = learner.department.name.strip() if learner.department else ""
    if department and department.casefold() not in title.casefold():
        return f"{title}, {department}" if title else department
    return title


# --- layout ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Styles:
    title: ParagraphStyle
    detail: ParagraphStyle
    intro: ParagraphStyle
    head: ParagraphStyle
    cell: ParagraphStyle
    small: ParagraphStyle
    number: ParagraphStyle


def _styles(fonts: Fonts) -> _Styles:
    base = ParagraphStyle("base", fontName=fonts.regular, fontSize=10, leading=12.5)
    return _Styles(
        title=ParagraphStyle(
            "title", base, fontName=fonts.bold, fontSize=16, leading=20, spaceAfter=4
        ),
        detail=ParagraphStyle("detail", base, fontSize=10.5, leading=14),
        intro=ParagraphStyle("intro", base, fontSize=9, leading=11.5, spaceBefore=4),
        head=ParagraphStyle("head", base, fontName=fonts.bold, fontSize=9.5, leading=11.5),
        cell=ParagraphStyle("cell", base),
        small=ParagraphStyle("small", base, fontSize=8.5, leading=10.5),
        number=ParagraphStyle("number", base, fontSize=9, alignment=TA_RIGHT),
    )


class _NumberedCanvas(NumberedCanvas):
    footer_text = FOOTER_TEXT
    footer_margin = MARGIN
    footer_y = MARGIN - 6 * mm


def _heading(session: Session, trainers: Sequence[User], styles: _Styles) -> list:
    cohort = session.cohort
    course = cohort.course
    location = session.location or cohort.venue or "Not recorded"
    trainer_names = ", ".join(trainer.full_name for trainer in trainers) or "Not assigned"
    details = [
        ("Course", f"{course.title} ({course.code})"),
        ("Cohort", cohort.code),
        ("Session", session.title),
        ("Date and time", describe_time(session.starts_at, session.ends_at) + " (UK time)"),
        ("Location", location),
        ("Trainer" if len(trainers) == 1 else "Trainers", trainer_names),
    ]
    flowables: list = [Paragraph("Sign-in sheet", styles.title)]
    for label, value in details:
        flowables.append(Paragraph(f"<b>{escape(label)}:</b> {escape(value)}", styles.detail))
    if session.cancelled:
        flowables.append(Paragraph("<b>This session has been cancelled.</b>", styles.detail))
    flowables.append(
        Paragraph(
            "Sign in when you arrive and write the time. If your name is not listed, "
            "add it in a blank row at the end.",
            styles.intro,
        )
    )
    flowables.append(Spacer(0, 4 * mm))
    return flowables


def _content_height(row: list, col_widths: list[float]) -> float:
    return max(
        (
            cell.wrap(col_width - 2 * PADDING, 10_000)[1]
            for cell, col_width in zip(row, col_widths, strict=True)
            if isinstance(cell, Paragraph)
        ),
        default=0,
    )


def _table(learners: Iterable[User], styles: _Styles, width: float) -> Table:
    header = [
        Paragraph("No.", styles.head),
        Paragraph("Name", styles.head),
        Paragraph("Job title and department", styles.head),
        Paragraph("Time in", styles.head),
        Paragraph("Signature", styles.head),
    ]
    rows: list[list] = [header]
    for number, learner in enumerate(sorted(learners, key=sort_key), start=1):
        rows.append(
            [
                Paragraph(str(number), styles.number),
                Paragraph(escape(learner.full_name), styles.cell),
                Paragraph(escape(_role(learner)), styles.small),
                "",
                "",
            ]
        )
    walk_ins_at = len(rows)
    rows.append([Paragraph("<b>Not on the list: write your name</b>", styles.small)] + [""] * 4)
    rows.extend([["", "", "", "", ""] for _ in range(WALK_IN_ROWS)])

    fixed = [10 * mm, 52 * mm, 48 * mm, 20 * mm]
    col_widths = [*fixed, width - sum(fixed)]
    heights: list[float | None] = [None] * len(rows)
    for index, row in enumerate(rows):
        if index > 0 and index != walk_ins_at:
            heights[index] = max(ROW_HEIGHT, _content_height(row, col_widths) + 2 * PADDING)
    table = Table(rows, colWidths=col_widths, rowHeights=heights, repeatRows=1)
    style = [
        ("GRID", (0, 0), (-1, -1), 0.6, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.87, 0.87, 0.87)),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
        ("TOPPADDING", (0, 0), (-1, -1), PADDING),
        ("BOTTOMPADDING", (0, 0), (-1, -1), PADDING),
        ("SPAN", (0, walk_ins_at), (-1, walk_ins_at)),
        ("BACKGROUND", (0, walk_ins_at), (-1, walk_ins_at), colors.Color(0.94, 0.94, 0.94)),
    ]
    table.setStyle(TableStyle(style))
    return table


def render_signin_sheet(session: Session, learners: list[User], *, trainers) -> bytes:
    """The sign-in sheet PDF (A4 portrait) for `session`, one row per expected learner.

    `learners` are the people expected at the session (in any order: the sheet sorts
    them by name); `trainers` are named in the heading. Reads `session.cohort.course`
    and each learner's `department`, so load those up front to avoid lazy loads.
    """
    fonts = register_fonts()
    styles = _styles(fonts)
    trainers = list(trainers)
    cohort = session.cohort
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 4 * mm,
        bottomMargin=MARGIN + 6 * mm,
        title=f"Sign-in sheet: {cohort.code}, {session.title}",
        author="PMO learning",
        subject=describe_time(session.starts_at, session.ends_at),
        creator="PMO learning",
        invariant=1,
    )
    running = f"{cohort.code} · {session.title} · {to_local(session.starts_at):%-d %B %Y}"

    def later_pages(canvas: Canvas, _doc) -> None:
        canvas.saveState()
        canvas.setFont(fonts.regular, 9)
        canvas.drawString(MARGIN, A4[1] - MARGIN, f"Sign-in sheet (continued): {running}")
        canvas.restoreState()

    story = [*_heading(session, trainers, styles), _table(learners, styles, doc.width)]
    doc.build(story, onLaterPages=later_pages, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()
