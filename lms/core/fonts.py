"""The fonts every PDF embeds: the sign-in sheet, certificates and CPD exports.

Names such as "Łukasz Żółć" or "Dvořák" need more than Latin-1, so a Unicode TrueType
font is embedded: DejaVu Sans from Debian's `fonts-dejavu-core` (installed on the
project's machines by scripts/ensure-debian-packages), else Liberation Sans, else
ReportLab's own Bitstream Vera (which lacks "Ł", so a warning is logged). The files are
read from the system, never from this repository.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

log = logging.getLogger(__name__)

_SYSTEM_FONTS = Path("/usr/share/fonts/truetype")
# (regular, bold) files, best first.
FONT_CANDIDATES: tuple[tuple[Path, Path], ...] = (
    (
        _SYSTEM_FONTS / "dejavu/DejaVuSans.ttf",
        _SYSTEM_FONTS / "dejavu/DejaVuSans-Bold.ttf",
    ),
    (
        _SYSTEM_FONTS / "liberation/LiberationSans-Regular.ttf",
        _SYSTEM_FONTS / "liberation/LiberationSans-Bold.ttf",
    ),
)
_VERA = Path(reportlab.__file__).resolve().parent / "fonts"
FALLBACK_FONT = (_VERA / "Vera.ttf", _VERA / "VeraBd.ttf")

# Our own names, so another library registering "DejaVuSans" cannot clash with them.
REGULAR = "LmsSans"
BOLD = "LmsSans-Bold"


@dataclass(frozen=True)
class Fonts:
    """The registered font names to draw with, and the files behind them."""

    regular: str
    bold: str
    regular_file: Path
    bold_file: Path


_lock = threading.Lock()
_fonts: Fonts | None = None


def register_fonts() -> Fonts:
    """Registers the PDF fonts with ReportLab once per process (thread-safe); returns them."""
    global _fonts
    if _fonts is not None:
        return _fonts
    with _lock:
        if _fonts is None:
            chosen = next(
                (pair for pair in FONT_CANDIDATES if pair[0].is_file() and pair[1].is_file()),
                None,
            )
            if chosen is None:
                log.warning(
                    "No Unicode TrueType font found (install fonts-dejavu-core); using "
                    "ReportLab's Vera, which cannot print some names (e.g. 'Ł')"
                )
                chosen = FALLBACK_FONT
            pdfmetrics.registerFont(TTFont(REGULAR, str(chosen[0])))
            pdfmetrics.registerFont(TTFont(BOLD, str(chosen[1])))
            # Paragraph's <b> needs the family to find the bold face.
            pdfmetrics.registerFontFamily(
                REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD
            )
            _fonts = Fonts(regular=REGULAR, bold=BOLD, regular_file=chosen[0], bold_file=chosen[1])
    return _fonts
