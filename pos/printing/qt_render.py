"""Blocks on any printer the operating system knows, through QtPrintSupport (QPrinter + QPainter).

No widgets: QPrinter and QPainter work off the UI thread, but need a QGuiApplication to exist (the
desktop app). `output_pdf` prints to a PDF file instead of a device (Qt's own PDF engine), which is
also how this renderer is tested without a printer. Coordinates are worked out in points and
scaled to the device's resolution.
"""

from __future__ import annotations

from pos.printing.backends import PrinterError
from pos.printing.config import PrinterConfig
from pos.printing.layout import Barcode, Block, Gap, Logo, Rule, Text

MM = 72 / 25.4  # points per millimetre
ROLL_WIDTH_MM = 80
MARGIN_MM = 4
FONT_PT, BIG_PT = 8.5, 12.0
BAR_MODULE_MM, BAR_HEIGHT_MM = 0.28, 12


def print_blocks(blocks: list[Block], printer: PrinterConfig, *, title: str = "Receipt",
                 output_pdf: str | None = None) -> None:
    """Print `blocks` on the system printer named by `printer.address` ("" for the default one)."""
    from PySide6.QtGui import QGuiApplication, QPainter
    from PySide6.QtPrintSupport import QPrinter

    if QGuiApplication.instance() is None:
        raise PrinterError("System printers can be used from the Countertop window only.")
    device = QPrinter(QPrinter.PrinterMode.HighResolution)
    device.setDocName(title)
    _choose_device(device, printer, output_pdf)
    _page_setup(device, printer.paper, _roll_length_mm(blocks))
    painter = QPainter()
    if not painter.begin(device):
        raise PrinterError(f"The system printer “{printer.name}” could not start the job: is it installed "
                           "and switched on?")
    try:
        _Drawer(painter, device, printer.paper).draw(blocks)
    finally:
        painter.end()


def _choose_device(device: object, printer: PrinterConfig, output_pdf: str | None) -> None:
    from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

    if output_pdf:
        device.setOutputFormat(QPrinter.OutputFormat.PdfFormat)  # type: ignore[attr-defined]
        device.setOutputFileName(output_pdf)  # type: ignore[attr-defined]
        return
    if printer.address:
        info = QPrinterInfo.printerInfo(printer.address)
        if info.isNull():
            known = ", ".join(QPrinterInfo.availablePrinterNames()) or "none"
            raise PrinterError(f"This computer has no printer called {printer.address!r} (it has: {known}).")
        device.setPrinterName(printer.address)  # type: ignore[attr-defined]
    elif QPrinterInfo.defaultPrinter().isNull():
        raise PrinterError("This computer has no default printer: choose one in the printer settings.")


def _page_setup(device: object, paper: str, roll_mm: float) -> None:
    from PySide6.QtCore import QMarginsF, QSizeF
    from PySide6.QtGui import QPageLayout, QPageSize

    if paper == "a4":
        size = QPageSize(QPageSize.PageSizeId.A4)
        margins = QMarginsF(20, 20, 20, 20)
    else:
        size = QPageSize(QSizeF(ROLL_WIDTH_MM, roll_mm), QPageSize.Unit.Millimeter, "Receipt roll")
        margins = QMarginsF(MARGIN_MM, MARGIN_MM, MARGIN_MM, MARGIN_MM)
    layout = QPageLayout(size, QPageLayout.Orientation.Portrait, margins, QPageLayout.Unit.Millimeter)
    device.setPageLayout(layout)  # type: ignore[attr-defined]


def _roll_length_mm(blocks: list[Block]) -> float:
    """A generous estimate of the roll's length: the page ends after the last block."""
    total = 2 * MARGIN_MM
    for block in blocks:
        if isinstance(block, Text):
            total += (BIG_PT if block.big else FONT_PT) * 1.35 / MM * (1 + len(block.left) // 40)
        elif isinstance(block, Barcode):
            total += BAR_HEIGHT_MM + 8
        elif isinstance(block, Logo):
            total += 24
        else:
            total += 4
    return total


class _Drawer:
    def __init__(self, painter: object, device: object, paper: str) -> None:
        from PySide6.QtPrintSupport import QPrinter

        self.painter = painter
        self.device = device
        rect = device.pageRect(QPrinter.Unit.DevicePixel)  # type: ignore[attr-defined]
        self.unit = device.resolution() / 72  # device pixels per point  # type: ignore[attr-defined]
        self.width = rect.width()
        self.page_height = rect.height()
        self.y = 0.0

    def draw(self, blocks: list[Block]) -> None:
        for block in blocks:
            if isinstance(block, Text):
                self._text(block)
            elif isinstance(block, Rule):
                self._space(2)
                self.painter.drawLine(0, int(self.y), int(self.width), int(self.y))  # type: ignore[attr-defined]
                self._space(3)
            elif isinstance(block, Gap):
                self._space(FONT_PT)
            elif isinstance(block, Barcode):
                self._barcode(block.data)
            elif isinstance(block, Logo):
                self._logo(block.path)

    def _space(self, points: float) -> None:
        self.y += points * self.unit

    def _fits(self, height: float) -> None:
        if self.y + height > self.page_height:
            self.device.newPage()  # type: ignore[attr-defined]
            self.y = 0.0

    def _text(self, block: Text) -> None:
        from PySide6.QtCore import QRectF, Qt
        from PySide6.QtGui import QFont, QFontMetricsF

        font = QFont("DejaVu Sans")
        font.setPointSizeF(BIG_PT if block.big else FONT_PT)
        font.setBold(block.bold or block.big)
        painter = self.painter
        painter.setFont(font)  # type: ignore[attr-defined]
        metrics = QFontMetricsF(font, self.device)
        indent = block.indent * metrics.averageCharWidth()
        right_width = metrics.horizontalAdvance(block.right + "  ") if block.right else 0
        flags = Qt.TextFlag.TextWordWrap | (
            Qt.AlignmentFlag.AlignHCenter if block.center else Qt.AlignmentFlag.AlignLeft
        )
        area = QRectF(indent, 0, self.width - indent - right_width, 10_000 * self.unit)
        bounds = metrics.boundingRect(area, int(flags), block.left)
        height = max(bounds.height(), metrics.height())
        self._fits(height)
        painter.drawText(QRectF(indent, self.y, area.width(), height), int(flags), block.left)  # type: ignore[attr-defined]
        if block.right:
            last_line = QRectF(0, self.y + height - metrics.height(), self.width, metrics.height())
            painter.drawText(last_line, int(Qt.AlignmentFlag.AlignRight), block.right)  # type: ignore[attr-defined]
        self.y += height

    def _barcode(self, data: str) -> None:
        from PySide6.QtCore import QRectF, Qt
        from reportlab.graphics.barcode.code128 import Code128

        code = Code128(data)
        code.validate()
        code.encode()
        code.decompose()
        pattern = code.decomposed  # "BaAb...": upper case bars, lower case spaces, A-D = 1-4 modules
        modules = sum(ord(ch.upper()) - ord("A") + 1 for ch in pattern)
        module = min(BAR_MODULE_MM * MM * self.unit, self.width / modules)
        height = BAR_HEIGHT_MM * MM * self.unit
        self._fits(height + FONT_PT * 2 * self.unit)
        x = (self.width - modules * module) / 2
        for ch in pattern:
            width = (ord(ch.upper()) - ord("A") + 1) * module
            if ch.isupper():
                self.painter.fillRect(QRectF(x, self.y, width, height), Qt.GlobalColor.black)  # type: ignore[attr-defined]
            x += width
        self.y += height
        self._text(Text(data, center=True))

    def _logo(self, path: str) -> None:
        from PySide6.QtCore import QRectF
        from PySide6.QtGui import QImage

        image = QImage(path)
        if image.isNull():
            return
        box_w, box_h = 48 * MM * self.unit, 20 * MM * self.unit
        scale = min(box_w / image.width(), box_h / image.height())
        width, height = image.width() * scale, image.height() * scale
        self._fits(height)
        self.painter.drawImage(QRectF((self.width - width) / 2, self.y, width, height), image)  # type: ignore[attr-defined]
        self.y += height + 2 * MM * self.unit
