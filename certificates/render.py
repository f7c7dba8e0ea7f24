"""The certificate PDF: one A4 landscape page drawn from a `CertificatePage`.

The renderer knows nothing of the models: issuing builds a `CertificatePage` (text-level
facts, as they were on the day of issue) and keeps the bytes this returns together with
`LAYOUT`, the name of the layout that drew them. The same page always renders to the
same bytes: ReportLab's invariant mode, and metadata taken from the page alone.

Text is fitted, never clipped: a long name or title is set smaller, down to a minimum
size, and then wrapped; if the whole page still does not fit, every size steps down
together (see `layout`). Names print in any script DejaVu Sans covers, from
lms/core/fonts.py. The QR code is drawn from segno's module matrix as a single filled
path, which is several times faster than ReportLab's own QR widget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import segno
from reportlab.lib.colors import Color, HexColor, white
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from lms.core.fonts import Fonts, register_fonts

LAYOUT = "2026-12"  # the name of this layout; stored with every certificate it rendered


@dataclass(frozen=True)
class CertificatePage:
    """Everything printed on one certificate, as text-level facts."""

    organisation_name: str
    learner_name: str
    course_title: str
    # e.g. Decimal("7.50") prints "7.5 CPD hours", Decimal("6") "6 CPD hours", Decimal("1")
    # "1 CPD hour"
    cpd_hours: Decimal
    accreditation_body: str | None
    accreditation_reference: str | None
    # days attended (may be many; printed as a compact list or range, e.g. "3, 10 and 17
    # March 2026" or "3 March to 28 April 2026 (6 days)")
    session_dates: tuple[date, ...]
    issued_on: date
    expires_on: date | None
    number: str  # e.g. "PMO-2026-00042"
    verification_url: str  # e.g. "https://lms.example.nhs.uk/verify/7K2M-9QXD-..."
    signatory_name: str
    signatory_title: str
    logo_path: Path | None = None  # optional PNG/JPEG drawn top-left, scaled to fit a box


# --- words ---------------------------------------------------------------------------------

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
# More days than this print as a range ("3 March to 28 April 2026 (6 days)").
MAX_LISTED_DAYS = 4


def uk_date(day: date) -> str:
    """ "5 December 2026" (month names written out here, so no locale can change them)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def describe_hours(hours: Decimal) -> str:
    """ "7.5 CPD hours", "6 CPD hours", "1 CPD hour": no trailing zeros, no exponent."""
    text = f"{hours:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} CPD hour" if hours == 1 else f"{text} CPD hours"


def _and(parts: Sequence[str]) -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def describe_days(days: Sequence[date]) -> str:
    """The days attended, compactly: "3, 10 and 17 March 2026", "24 March and 7 April
    2026", "15 December 2025 and 12 January 2026"; more than MAX_LISTED_DAYS days as a
    range with their count, "3 March to 28 April 2026 (6 days)". Empty if there are none."""
    days = sorted(set(days))
    if not days:
        return ""
    first, last = days[0], days[-1]
    if len(days) > MAX_LISTED_DAYS:
        if (first.year, first.month) == (last.year, last.month):
            span = f"{first.day} to {uk_date(last)}"
        elif first.year == last.year:
            span = f"{first.day} {MONTHS[first.month - 1]} to {uk_date(last)}"
        else:
            span = f"{uk_date(first)} to {uk_date(last)}"
        return f"{span} ({len(days)} days)"
    if first.year != last.year:
        return _and([uk_date(day) for day in days])
    if first.month == last.month:
        return f"{_and([str(day.day) for day in days])} {MONTHS[first.month - 1]} {first.year}"
    return f"{_and([f'{day.day} {MONTHS[day.month - 1]}' for day in days])} {first.year}"


def describe_accreditation(body: str | None, reference: str | None) -> str:
    """ "Accredited by <body> (reference <ref>)"; empty without a body."""
    if not body:
        return ""
    return f"Accredited by {body} (reference {reference})" if reference else f"Accredited by {body}"


# --- fitting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """Text set at one size, broken into lines that each fit the width asked for."""

    size: float
    lines: tuple[str, ...]


def _split_word(word: str, font: str, size: float, width: float) -> list[str]:
    """A word wider than the line, cut into pieces that fit (a name with no spaces)."""
    pieces, piece, piece_width = [], "", 0.0
    for char in word:
        char_width = stringWidth(char, font, size)
        if piece and piece_width + char_width > width:
            pieces.append(piece)
            piece, piece_width = "", 0.0
        piece += char
        piece_width += char_width
    pieces.append(piece)
    return pieces


def wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """Greedy word wrap of `text` at `size` into lines no wider than `width`."""
    space = stringWidth(" ", font, size)
    lines: list[str] = []
    line, line_width = "", 0.0
    for word in text.split():
        word_width = stringWidth(word, font, size)
        if word_width > width:
            pieces = _split_word(word, font, size, width)
            if line:
                lines.append(line)
            lines.extend(pieces[:-1])
            line, line_width = pieces[-1], stringWidth(pieces[-1], font, size)
        elif not line:
            line, line_width = word, word_width
        elif line_width + space + word_width <= width:
            line, line_width = f"{line} {word}", line_width + space + word_width
        else:
            lines.append(line)
            line, line_width = word, word_width
    if line:
        lines.append(line)
    return tuple(lines)


def fit_text(text: str, font: str, width: float, *, largest: float, smallest: float) -> Fit:
    """`text` on one line at the largest size (in half points, at most `largest`) that fits
    `width`; if even `smallest` is too wide, wrapped at `smallest`."""
    text = " ".join(text.split())
    at_one_point = stringWidth(text, font, 1)
    size = largest if at_one_point * largest <= width else int(2 * width / at_one_point) / 2
    if size >= smallest:
        return Fit(size, (text,) if text else ())
    return Fit(smallest, wrap(text, font, smallest, width))


# --- layout --------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
NHS_BLUE = HexColor("#005EB8")
NHS_DARK_BLUE = HexColor("#003087")
TEXT = HexColor("#212B32")  # NHS text colour: near-black, 15:1 on white
QR_DARK = HexColor("#000000")

BORDER_OUTER = 8 * mm
BORDER_INNER = 11 * mm
LEFT = 18 * mm
RIGHT = PAGE_WIDTH - 18 * mm
TOP = PAGE_HEIGHT - 17 * mm
BOTTOM = 16 * mm
WIDTH = RIGHT - LEFT
LOGO_BOX = (45 * mm, 18 * mm)
QR_SIZE = 30 * mm  # with its quiet zone
QR_QUIET = 4  # modules of white round the code, as the standard asks
QR_GAP = 3 * mm  # between the QR code and the text beside it
SIGNATURE_WIDTH = 72 * mm
SIGNING_ROOM = 12 * mm  # above the line to sign on
LEADING = 1.2  # line height as a multiple of the font size
ASCENT = 0.95  # top of the tallest accented capital, as a multiple of the size
SMALLEST_SCALE = 0.6  # the least the whole page shrinks to before it stops shrinking


@dataclass(frozen=True)
class TextBlock:
    """One fitted piece of text, its font and colour, and the space above it."""

    fit: Fit
    font: str
    colour: Color = TEXT
    space_before: float = 0.0

    @property
    def height(self) -> float:
        return self.space_before + LEADING * self.fit.size * len(self.fit.lines)


def _height(texts: Sequence[TextBlock]) -> float:
    return sum(text.height for text in texts)


def _middle(page: CertificatePage, fonts: Fonts, scale: float) -> list[TextBlock]:
    """What was done and by whom, top to bottom, with every size and gap times `scale`."""

    def text(words, font, largest, smallest, space_before, colour=TEXT) -> TextBlock:
        # Rounded, so a scaled size prints as "11.05", not "11.049999999999999".
        largest, smallest = round(largest * scale, 2), round(smallest * scale, 2)
        fit = fit_text(words, font, WIDTH, largest=largest, smallest=smallest)
        return TextBlock(fit, font, colour, space_before * scale)

    texts = [
        text("This is to certify that", fonts.regular, 13, 11, 0),
        text(page.learner_name, fonts.bold, 30, 18, 6, NHS_DARK_BLUE),
        text("has completed", fonts.regular, 13, 11, 8),
        text(page.course_title, fonts.bold, 22, 14, 6),
        text(describe_hours(page.cpd_hours), fonts.bold, 14, 12, 10),
    ]
    accreditation = describe_accreditation(page.accreditation_body, page.accreditation_reference)
    if accreditation:
        texts.append(text(accreditation, fonts.regular, 12, 10, 6))
    days = describe_days(page.session_dates)
    if days:
        texts.append(text(f"Dates attended: {days}", fonts.regular, 12, 10, 4))
    return texts


def _details(page: CertificatePage, fonts: Fonts) -> list[TextBlock]:
    """The certificate's number, dates and where to check it, set beside the QR code."""
    width = RIGHT - QR_SIZE - QR_GAP - (LEFT + SIGNATURE_WIDTH + 8 * mm)
    lines = [
        (f"Certificate number {page.number}", fonts.bold, 11, 9),
        (f"Issued on {uk_date(page.issued_on)}", fonts.regular, 11, 9),
    ]
    if page.expires_on:
        lines.append((f"Valid until {uk_date(page.expires_on)}", fonts.regular, 11, 9))
    lines += [
        ("Check it is genuine at", fonts.regular, 10, 8.5),
        (page.verification_url, fonts.regular, 10, 8.5),
    ]
    return [
        TextBlock(fit_text(words, font, width, largest=largest, smallest=smallest), font)
        for words, font, largest, smallest in lines
    ]


@dataclass(frozen=True)
class Layout:
    """Every text on the page at the size it prints, and where the stacks start."""

    header: list[TextBlock]  # centred from TOP down
    middle: list[TextBlock]  # centred from middle_top down
    middle_top: float
    signatory: list[TextBlock]  # left-aligned under the line to sign on, at signature_y
    signature_y: float
    details: list[TextBlock]  # right-aligned beside the QR code, their foot level with its foot


def layout(page: CertificatePage) -> Layout:
    """Sizes and places for every text: each at its own best size (see `fit_text`), and
    if the middle is then too tall for the space between header and footer, all of its
    sizes and gaps stepped down together (to SMALLEST_SCALE at most)."""
    fonts = register_fonts()
    beside_logo = WIDTH - 2 * (LOGO_BOX[0] + 4 * mm) if page.logo_path else WIDTH
    header = [
        TextBlock(
            fit_text(page.organisation_name, fonts.bold, beside_logo, largest=14, smallest=10),
            fonts.bold,
            NHS_BLUE,
        ),
        TextBlock(
            fit_text("Certificate of completion", fonts.bold, beside_logo, largest=30, smallest=20),
            fonts.bold,
            NHS_DARK_BLUE,
        ),
    ]
    signatory = [
        TextBlock(
            fit_text(page.signatory_name, fonts.bold, SIGNATURE_WIDTH, largest=12, smallest=10),
            fonts.bold,
            space_before=3,
        ),
        TextBlock(
            fit_text(page.signatory_title, fonts.regular, SIGNATURE_WIDTH, largest=11, smallest=9),
            fonts.regular,
        ),
    ]
    signature_y = max(BOTTOM + 16 * mm, BOTTOM + _height(signatory))
    details = _details(page, fonts)
    footer_top = max(BOTTOM + QR_SIZE, signature_y + SIGNING_ROOM, BOTTOM + _height(details))

    top = TOP - max(_height(header), LOGO_BOX[1] if page.logo_path else 0) - 8 * mm
    bottom = footer_top + 6 * mm
    scale = 1.0
    while True:
        middle = _middle(page, fonts, scale)
        height = _height(middle)
        if height <= top - bottom or scale <= SMALLEST_SCALE:
            break
        scale = round(scale - 0.05, 2)
    # A short middle sits halfway down the space it has, a tall one fills it.
    middle_top = top - max(0.0, (top - bottom - height) / 2)
    return Layout(header, middle, middle_top, signatory, signature_y, details)


# --- drawing -------------------------------------------------------------------------------


def _draw_stack(
    canvas: Canvas, texts: Sequence[TextBlock], top: float, x: float, align: str
) -> None:
    """Draws the texts one under another from `top`, each line aligned on `x` ("left",
    "centre" or "right")."""
    draw = {
        "left": canvas.drawString,
        "centre": canvas.drawCentredString,
        "right": canvas.drawRightString,
    }[align]
    for text in texts:
        size = text.fit.size
        top -= text.space_before
        canvas.setFont(text.font, size)
        canvas.setFillColor(text.colour)
        for line in text.fit.lines:
            draw(x, top - ASCENT * size, line)
            top -= LEADING * size


def _draw_border(canvas: Canvas) -> None:
    canvas.setStrokeColor(NHS_BLUE)
    canvas.setLineWidth(3)
    canvas.rect(
        BORDER_OUTER,
        BORDER_OUTER,
        PAGE_WIDTH - 2 * BORDER_OUTER,
        PAGE_HEIGHT - 2 * BORDER_OUTER,
        stroke=1,
        fill=0,
    )
    canvas.setLineWidth(0.75)
    canvas.rect(
        BORDER_INNER,
        BORDER_INNER,
        PAGE_WIDTH - 2 * BORDER_INNER,
        PAGE_HEIGHT - 2 * BORDER_INNER,
        stroke=1,
        fill=0,
    )


def qr_runs(matrix: Sequence[Sequence[int]]) -> list[tuple[int, int, int]]:
    """The dark modules as (row, first column, length) runs, one per stretch of a row."""
    runs = []
    for row_index, row in enumerate(matrix):
        start = None
        for column, dark in enumerate(row):
            if dark and start is None:
                start = column
            elif not dark and start is not None:
                runs.append((row_index, start, column - start))
                start = None
        if start is not None:
            runs.append((row_index, start, len(row) - start))
    return runs


QR_MASK = 0


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    """The QR code for `url` in a `size` square (quiet zone included) with its lower left
    corner at (x, y), drawn as one filled path of a rectangle per dark run.

    The path is written in module units (the scale is set once), so its coordinates are
    small integers: ReportLab would format ~1,500 floats per code, the slowest part of
    the page, and the file would be larger for it.

    The mask is fixed: choosing the best of the eight (segno's default) took 3 of the
    page's 8 ms, and every mask gives a code any reader decodes (zbarimg does, in the
    tests) at the same error correction."""
    matrix = segno.make(url, error="m", mask=QR_MASK).matrix
    count = len(matrix)
    module = size / (count + 2 * QR_QUIET)
    canvas.setFillColor(white)
    canvas.rect(x, y, size, size, stroke=0, fill=1)
    canvas.saveState()
    # Origin at the lower left of the code itself; one unit is one module.
    canvas.transform(module, 0, 0, module, x + QR_QUIET * module, y + QR_QUIET * module)
    canvas.setFillColor(QR_DARK)
    bottom = count - 1  # PDF's y runs up, the matrix's rows run down
    runs = qr_runs(matrix)
    canvas.addLiteral(
        "\n".join(f"{column} {bottom - row} {length} 1 re" for row, column, length in runs) + "\nf"
    )
    canvas.restoreState()


def render_certificate(page: CertificatePage) -> bytes:
    """The certificate as PDF bytes (A4 landscape); the same page gives the same bytes."""
    placed = layout(page)
    buffer = BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1)
    canvas.setTitle(f"Certificate of completion {page.number}")
    canvas.setAuthor(page.organisation_name)
    canvas.setSubject(f"{page.course_title}: {page.learner_name}")
    canvas.setCreator(f"{page.organisation_name} (certificate layout {LAYOUT})")

    _draw_border(canvas)
    if page.logo_path:
        width, height = LOGO_BOX
        canvas.drawImage(
            str(page.logo_path),
            LEFT,
            TOP - height,
            width,
            height,
            preserveAspectRatio=True,
            anchor="nw",
            mask="auto",
        )
    _draw_stack(canvas, placed.header, TOP, PAGE_WIDTH / 2, "centre")
    _draw_stack(canvas, placed.middle, placed.middle_top, PAGE_WIDTH / 2, "centre")

    canvas.setStrokeColor(TEXT)
    canvas.setLineWidth(0.75)
    canvas.line(LEFT, placed.signature_y, LEFT + SIGNATURE_WIDTH, placed.signature_y)
    _draw_stack(canvas, placed.signatory, placed.signature_y, LEFT, "left")

    qr_x = RIGHT - QR_SIZE
    _draw_qr(canvas, page.verification_url, qr_x, BOTTOM, QR_SIZE)
    details_top = BOTTOM + _height(placed.details)
    _draw_stack(canvas, placed.details, details_top, qr_x - QR_GAP, "right")

    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
