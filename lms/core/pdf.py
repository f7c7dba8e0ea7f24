"""Pieces every multi-page PDF shares (the sign-in sheet, CPD record exports)."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.pdfgen.canvas import Canvas

from lms.core.fonts import register_fonts


class NumberedCanvas(Canvas):
    """Holds pages back until the end so each can say "Page 1 of N" in its footer.

    Subclass it with the footer's words and place: `footer_text` at the left margin,
    "Page n of N" at the right, `footer_y` points up from the bottom edge. Pass the
    subclass as `canvasmaker` to a platypus document's `build`."""

    footer_text = ""
    footer_margin = 0.0  # left and right, in points
    footer_y = 0.0
    footer_size = 9.0
    footer_colour = colors.black

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self):  # ReportLab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, page in enumerate(self._pages, start=1):
            self.__dict__.update(page)
            self._footer(number, total)
            super().showPage()
        super().save()

    def _footer(self, number: int, total: int) -> None:
        width, _ = self._pagesize
        self.saveState()
        self.setFont(register_fonts().regular, self.footer_size)
        self.setFillColor(self.footer_colour)
        self.drawString(self.footer_margin, self.footer_y, self.footer_text)
        self.drawRightString(width - self.footer_margin, self.footer_y, f"Page {number} of {total}")
        self.restoreState()
