"""Blocks as a PDF through reportlab: an 80 mm roll (one page as long as the receipt) or A4 pages.

Helvetica's WinAnsi encoding holds accented Latin letters and the euro sign. The barcode is
reportlab's Code128 with the number printed under it; the logo is scaled into a box at the top.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfgen.canvas import Canvas

from pos.printing.layout import Barcode, Block, Gap, Logo, Rule, Text

log = logging.getLogger(__name__)

FONT, BOLD = "Helvetica", "Helvetica-Bold"


@dataclass(frozen=True)
class PageFormat:
    name: str
    width: float  # points
    height: float | None  # None: as long as the content (a roll)
    margin: float
    font_size: float
    big_size: float
    bar_width: float
    logo_box: tuple[float, float]

    @property
    def content_width(self) -> float:
        return self.width - 2 * self.margin


ROLL_80 = PageFormat("80mm", 80 * mm, None, 4 * mm, 8.5, 12, 0.28 * mm, (48 * mm, 20 * mm))
A4_PAGE = PageFormat("a4", A4[0], A4[1], 20 * mm, 10, 15, 0.4 * mm, (60 * mm, 25 * mm))
FORMATS = {"80mm": ROLL_80, "a4": A4_PAGE}

Draw = Callable[[Canvas, float], None]  # draws one item with its top at y


def render_pdf(blocks: list[Block], paper: str = "80mm", title: str = "Receipt") -> bytes:
    """The PDF file's bytes."""
    page = FORMATS[paper]
    items = [item for block in blocks for item in _measure(block, page)]
    height = page.height or sum(h for h, _ in items) + 2 * page.margin
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(page.width, height), pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("Countertop")
    y = height - page.margin
    for item_height, draw in items:
        if y - item_height < page.margin and page.height is not None:
            canvas.showPage()
            y = height - page.margin
        draw(canvas, y)
        y -= item_height
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _measure(block: Block, page: PageFormat) -> list[tuple[float, Draw]]:
    if isinstance(block, Text):
        return _text(block, page)
    if isinstance(block, Rule):
        return [(page.font_size * 0.9, lambda c, y: _rule(c, y - page.font_size * 0.45, page))]
    if isinstance(block, Gap):
        return [(page.font_size * 0.8, lambda c, y: None)]
    if isinstance(block, Barcode):
        return _barcode(block.data, page)
    return _logo(block, page)


def _text(block: Text, page: PageFormat) -> list[tuple[float, Draw]]:
    font = BOLD if block.bold or block.big else FONT
    size = page.big_size if block.big else page.font_size
    leading = size * 1.3
    indent = block.indent * size * 0.5
    left_x, right_x = page.margin + indent, page.width - page.margin
    right_width = _width(block.right, font, size) + size if block.right else 0
    lines = _split(block.left, font, size, page.content_width - indent - right_width)

    def draw_line(text: str, amount: str) -> Draw:
        def draw(canvas: Canvas, y: float) -> None:
            canvas.setFont(font, size)
            baseline = y - size
            if block.center:
                canvas.drawCentredString(page.width / 2, baseline, text)
            else:
                canvas.drawString(left_x, baseline, text)
            if amount:
                canvas.drawRightString(right_x, baseline, amount)

        return draw

    last = len(lines) - 1
    return [(leading, draw_line(text, block.right if i == last else "")) for i, text in enumerate(lines)]


def _split(text: str, font: str, size: float, width: float) -> list[str]:
    """`text` in lines of at most `width` points: at spaces, and inside a word longer than a line
    (a code with no spaces), which simpleSplit leaves whole to run off the paper."""
    lines: list[str] = []
    for line in simpleSplit(text, font, size, width) or [""]:
        if _width(line, font, size) <= width:
            lines.append(line)
            continue
        start, used = 0, 0.0
        for end, char in enumerate(line):
            step = _width(char, font, size)
            if used + step > width and end > start:
                lines.append(line[start:end])
                start, used = end, 0.0
            used += step
        lines.append(line[start:])
    return lines


def _width(text: str, font: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, font, size)


def _rule(canvas: Canvas, y: float, page: PageFormat) -> None:
    canvas.setLineWidth(0.5)
    canvas.setDash(2, 2)
    canvas.line(page.margin, y, page.width - page.margin, y)
    canvas.setDash()


def _barcode(data: str, page: PageFormat) -> list[tuple[float, Draw]]:
    bar_width = page.bar_width
    barcode = Code128(data, barHeight=12 * mm, barWidth=bar_width, humanReadable=False, quiet=False)
    if barcode.width > page.content_width:  # a long number on a narrow roll: thinner bars
        bar_width *= page.content_width / barcode.width
        barcode = Code128(data, barHeight=12 * mm, barWidth=bar_width, humanReadable=False, quiet=False)
    text_height = page.font_size * 1.5
    height = barcode.height + text_height + 2 * mm

    def draw(canvas: Canvas, y: float) -> None:
        barcode.drawOn(canvas, (page.width - barcode.width) / 2, y - barcode.height)
        canvas.setFont(FONT, page.font_size)
        canvas.drawCentredString(page.width / 2, y - barcode.height - text_height, data)

    return [(height, draw)]


def _logo(block: Logo, page: PageFormat) -> list[tuple[float, Draw]]:
    try:
        image = ImageReader(block.path)
        width, height = image.getSize()
    except Exception as exc:  # a logo that went missing or bad since it was checked: print without it
        log.warning("logo %s not printed: %s", block.path, exc)
        return []
    box_w, box_h = page.logo_box
    scale = min(box_w / width, box_h / height)
    shown_w, shown_h = width * scale, height * scale

    def draw(canvas: Canvas, y: float) -> None:
        canvas.drawImage(image, (page.width - shown_w) / 2, y - shown_h, shown_w, shown_h, mask="auto")

    return [(shown_h + 2 * mm, draw)]
