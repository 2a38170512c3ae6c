"""Blocks as ESC/POS bytes for 58 mm and 80 mm thermal printers, through python-escpos.

The bytes are built on python-escpos's Dummy printer and sent by a backend (pos.printing.backends),
so building a receipt never waits on a device. The code page is set once, right after ESC @
(CP858 by default: it holds accented Latin letters and the euro sign), and all text is encoded in it.
The barcode is the printer's own Code128 (GS k, function B, code set B); the logo is a raster image
scaled to the paper's dot width and cached per file.
"""

from __future__ import annotations

import logging
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pos.printing.config import PrinterConfig
from pos.printing.layout import Barcode, Block, Gap, Logo, Rule, Text
from pos.printing.text import for_code_page

if TYPE_CHECKING:
    from escpos.printer import Dummy

log = logging.getLogger(__name__)

INIT = b"\x1b@"
# Printable dots per line: 58 mm paper prints 48 mm (384 dots), 80 mm paper 72 mm (576 dots) at 203 dpi.
PAPER_DOTS = {"58mm": 384, "80mm": 576}
LOGO_MAX_HEIGHT = 200
BARCODE_HEIGHT = 60
_CODE128_START_B = "{B"  # python-escpos wants the code set named before the data


@dataclass(frozen=True)
class EscposOptions:
    columns: int = 48
    paper: str = "80mm"
    code_page: str = "CP858"
    cut: bool = True
    drawer_pin: int | None = None  # kick the drawer on this pin (2 or 5); None: no kick

    @classmethod
    def for_printer(cls, printer: PrinterConfig, *, kick: bool) -> EscposOptions:
        pin = printer.drawer_pin if (kick and printer.drawer) else None
        return cls(printer.columns, printer.paper, printer.code_page, printer.cut, pin)


class EscposRenderer:
    """Keeps the rasterised logo between receipts (converting a logo costs ~10-50 ms)."""

    def __init__(self) -> None:
        self._logos: dict[tuple[str, float, int], bytes] = {}

    def render(self, blocks: list[Block], options: EscposOptions) -> bytes:
        printer = _dummy()
        printer._raw(INIT)
        printer.charcode(options.code_page)  # ESC t n, sent now; text is encoded in it from here on
        style = _Style(printer)
        for block in blocks:
            self._block(printer, style, block, options)
        if options.drawer_pin is not None:
            printer.cashdraw(options.drawer_pin)
        if options.cut:
            printer.cut()
        else:
            printer.print_and_feed(4)
        return printer.output

    def drawer_kick(self, pin: int) -> bytes:
        printer = _dummy()
        printer._raw(INIT)
        printer.cashdraw(pin)
        return printer.output

    def _block(self, printer: Dummy, style: _Style, block: Block, options: EscposOptions) -> None:
        if isinstance(block, Text):
            _text(printer, style, block, options.columns, options.code_page)
        elif isinstance(block, Rule):
            style.use("left", False, False)
            printer.textln("-" * options.columns)
        elif isinstance(block, Gap):
            printer.ln()
        elif isinstance(block, Barcode):
            _barcode(printer, block.data, options)
            style.forget()
        elif isinstance(block, Logo):
            style.forget()
            printer._raw(self._logo(block.path, PAPER_DOTS.get(options.paper, 384)))

    def _logo(self, path: str, dots: int) -> bytes:
        file = Path(path).expanduser()
        try:
            key = (str(file), file.stat().st_mtime, dots)
        except OSError:
            log.warning("logo %s is missing; printing without it", path)
            return b""
        cached = self._logos.get(key)
        if cached is None:
            cached = _raster_logo(file, dots)
            self._logos = {key: cached}  # one logo in use at a time: keep only the latest
        return cached


class _Style:
    """Sends a style change only when the style changes (a receipt has few; each costs ~20 bytes)."""

    def __init__(self, printer: Dummy) -> None:
        self._printer = printer
        self._current: tuple[str, bool, bool] | None = None

    def use(self, align: str, bold: bool, big: bool) -> None:
        if self._current != (align, bold, big):
            self._current = (align, bold, big)
            self._printer.set_with_default(align=align, bold=bold, double_width=big, double_height=big)

    def forget(self) -> None:
        self._current = None


def _text(printer: Dummy, style: _Style, block: Text, columns: int, code_page: str) -> None:
    width = columns // 2 if block.big else columns
    style.use("center" if block.center else "left", block.bold, block.big)
    left, right = for_code_page(block.left, code_page), for_code_page(block.right, code_page)
    for line in fit_row(left, right, width, block.indent, center=block.center):
        printer.textln(line)


def fit_row(left: str, right: str, width: int, indent: int = 0, *, center: bool = False) -> list[str]:
    """`left` and `right` on lines of `width` characters: right-aligned amount on the last line."""
    pad = " " * indent
    if not right:
        wrapped = textwrap.wrap(left, width - indent) or [""]
        return [pad + line if not center else line for line in wrapped]
    if indent + len(left) + 1 + len(right) <= width:
        return [pad + left + " " * (width - indent - len(left) - len(right)) + right]
    lines = [pad + line for line in textwrap.wrap(left, width - indent) or [""]]
    last = lines[-1]
    if len(last) + 1 + len(right) <= width:
        lines[-1] = last + " " * (width - len(last) - len(right)) + right
    else:
        lines.append(right.rjust(width))
    return lines


def _barcode(printer: Dummy, data: str, options: EscposOptions) -> None:
    modules = 11 * (len(data) + 3) + 2  # start, data, check and stop symbols of code set B
    dots = PAPER_DOTS.get(options.paper, 384)
    module_width = 3 if modules * 3 <= dots else 2
    printer.set_with_default(align="center")
    # _hw_barcode: the public barcode() prints "Using hardware barcode renderer" to stdout.
    printer._hw_barcode(
        _CODE128_START_B + data, "CODE128", height=BARCODE_HEIGHT, width=module_width, pos="BELOW",
        font="A", align_ct=True, function_type="B",
    )  # fmt: skip
    printer.ln()


def _raster_logo(file: Path, dots: int) -> bytes:
    from PIL import Image  # Pillow comes with python-escpos

    with Image.open(file) as source:
        image = source.convert("RGBA")
    background = Image.new("RGBA", image.size, "white")
    image = Image.alpha_composite(background, image).convert("L")
    image.thumbnail((dots, LOGO_MAX_HEIGHT))
    printer = _dummy()
    # The paper's width in dots: without it python-escpos prints a warning to stdout on every
    # image, which would land in `countertop sell`'s text receipt.
    profile = printer.profile
    profile.profile_data = {**profile.profile_data, "media": {"width": {"pixels": dots}}}
    printer.set_with_default(align="center")
    printer.image(image, center=False, impl="bitImageRaster")
    return printer.output


def _dummy() -> Dummy:
    # Imported on first use: python-escpos loads its printer profiles on import, 0.13 s that
    # delayed every window's opening, printing or not (benchmarks/app_open.py).
    from escpos.printer import Dummy

    return Dummy()
