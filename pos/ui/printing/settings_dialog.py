"""Printer settings: the till's printers, how receipts look, which document goes to which printer.

Nothing is saved until "Save" and everything checks out (pos.printing.config): a bad address, a logo
that is no image or a paper width no renderer supports shows its message here and saves nothing.
"Test print" and "Drawer test" use the printer as it is on screen, on the print worker thread.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos.domain.errors import DomainError
from pos.domain.locales import checked_locale, system_locale
from pos.printing.config import (
    CODE_PAGES,
    DOCUMENTS,
    ESCPOS_KINDS,
    KINDS,
    ROLL_COLUMNS,
    PrinterConfig,
    PrinterSettingsError,
    PrintingSettings,
    ReceiptLook,
    check_printer,
)
from pos.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

PAPERS = ("80mm", "58mm", "a4")
NONE = "(none)"
ADDRESS_HINTS = {
    "network": "IP or host name and port, such as 192.168.1.50:9100",
    "usb": "vendor:product id in hex, such as 04b8:0202 (lsusb shows it)",
    "serial": "serial port, such as /dev/ttyUSB0 or COM3",
    "file": "file or device, such as /dev/usb/lp0",
    "queue": "print queue name, as lpstat -p shows it",
    "system": "printer name as the system knows it (empty: the default printer)",
    "pdf": "folder the PDF files go to",
}
DIALOG_STYLE = """
QLabel#dialogError { color: #b3261e; font-weight: 600; }
QLabel#dialogStatus { color: #1f6f5c; font-weight: 600; }
"""


class PrinterSettingsDialog(QDialog):
    def __init__(self, service: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("printerSettings")
        self.setWindowTitle("Printers")
        self.setStyleSheet(DIALOG_STYLE)
        self.service = service  # pos.services.printing.PrintService
        self.runner = TaskRunner(self)
        self.printers: list[PrinterConfig] = list(service.settings.printers)
        self._current = -1
        self._build()
        self._load(service.settings)

    # --- building ----------------------------------------------------------------------------------

    def _build(self) -> None:
        self.printer_list = QListWidget(self)
        self.add_button, self.remove_button = QPushButton("Add", self), QPushButton("Remove", self)
        self.name, self.address = QLineEdit(self), QLineEdit(self)
        self.kind, self.paper, self.columns, self.code_page = (QComboBox(self) for _ in range(4))
        for key, label in KINDS.items():
            self.kind.addItem(label, key)
        self.paper.addItems(PAPERS)
        self.columns.addItems(["48", "42"])
        self.code_page.addItems(CODE_PAGES)
        self.cut = QCheckBox("Cut the paper", self)
        self.drawer = QCheckBox("Cash drawer on this printer", self)
        form = QFormLayout()
        for label, widget in (("Name", self.name), ("Kind", self.kind), ("Address", self.address),
                              ("Paper", self.paper), ("Columns", self.columns), ("Code page", self.code_page),
                              ("", self.cut), ("", self.drawer)):
            form.addRow(label, widget)
        self.look_address, self.footer = QPlainTextEdit(self), QPlainTextEdit(self)
        for edit in (self.look_address, self.footer):
            edit.setMaximumHeight(60)
        self.tax_id, self.logo = QLineEdit(self), QLineEdit(self)
        browse = QPushButton("Choose…", self)
        browse.clicked.connect(self._choose_logo)
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.logo, 1)
        logo_row.addWidget(browse)
        self.money_locale = QLineEdit(self)
        self.money_locale.setPlaceholderText(f"as on this till's screen ({system_locale()})")
        self.money_sample = QLabel(self)
        self.money_locale.textChanged.connect(self._show_money_sample)
        money_row = QHBoxLayout()
        money_row.addWidget(self.money_locale, 1)
        money_row.addWidget(self.money_sample)
        look = QFormLayout()
        look.addRow("Address", self.look_address)
        look.addRow("Tax ID", self.tax_id)
        look.addRow("Logo", logo_row)
        look.addRow("Footer", self.footer)
        look.addRow("Money format", money_row)
        self.routes = {doc: QComboBox(self) for doc in DOCUMENTS}
        routes = QFormLayout()
        for doc, combo in self.routes.items():
            routes.addRow(doc.title(), combo)
        self.error = QLabel(self)
        self.error.setObjectName("dialogError")
        self.error.setWordWrap(True)
        self.status = QLabel(self)
        self.status.setObjectName("dialogStatus")
        self.status.setWordWrap(True)
        self.test_button = QPushButton("Test print", self)
        self.drawer_button = QPushButton("Drawer test", self)
        self.save_button, cancel = QPushButton("Save", self), QPushButton("Cancel", self)
        others = (self.add_button, self.remove_button, browse, self.test_button, self.drawer_button, cancel)
        for button in others:
            button.setAutoDefault(False)  # Enter in a field saves; it never adds a printer
        self.save_button.setDefault(True)
        self._arrange(form, look, routes, cancel)
        self.printer_list.currentRowChanged.connect(self._select)
        self.kind.currentIndexChanged.connect(self._fit_fields)
        self.name.textEdited.connect(self._store_form)
        self.paper.currentTextChanged.connect(self._paper_changed)
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.test_button.clicked.connect(self.test_print)
        self.drawer_button.clicked.connect(self.drawer_test)
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)

    def _arrange(
        self, form: QFormLayout, look: QFormLayout, routes: QFormLayout, cancel: QPushButton
    ) -> None:
        left = QVBoxLayout()
        left.addWidget(self.printer_list, 1)
        add_remove = QHBoxLayout()
        add_remove.addWidget(self.add_button)
        add_remove.addWidget(self.remove_button)
        left.addLayout(add_remove)
        printer_box = QGroupBox("Printer", self)
        printer_box.setLayout(form)
        top = QHBoxLayout()
        top.addLayout(left, 1)
        top.addWidget(printer_box, 2)
        boxes = QHBoxLayout()
        for title, layout in (("Receipt header and footer", look), ("Which printer prints", routes)):
            box = QGroupBox(title, self)
            box.setLayout(layout)
            boxes.addWidget(box, 1)
        buttons = QHBoxLayout()
        for button in (self.test_button, self.drawer_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(boxes)
        layout.addWidget(self.error)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(820, 600)

    # --- the form -----------------------------------------------------------------------------------

    def _load(self, settings: PrintingSettings) -> None:
        self.printer_list.clear()
        self.printer_list.addItems([p.name for p in self.printers])
        self._refresh_routes(settings.routes)
        look = settings.look
        self.look_address.setPlainText(look.address)
        self.tax_id.setText(look.tax_id)
        self.logo.setText(look.logo)
        self.footer.setPlainText(look.footer)
        self.money_locale.setText(look.locale)
        self._show_money_sample()
        if self.printers:
            self.printer_list.setCurrentRow(0)

    def _refresh_routes(self, routes: Any) -> None:
        for doc, combo in self.routes.items():
            chosen = routes.get(doc, "") if routes is not None else combo.currentText()
            combo.clear()
            combo.addItems([NONE, *(p.name for p in self.printers)])
            combo.setCurrentText(chosen or NONE)

    def _select(self, row: int) -> None:
        self._store_form()
        self._current = row
        if 0 <= row < len(self.printers):
            p = self.printers[row]
            self.name.setText(p.name)
            self.kind.setCurrentIndex(max(0, self.kind.findData(p.kind)))
            self.address.setText(p.address)
            self.paper.setCurrentText(p.paper)
            self._paper_changed(p.paper)
            self.columns.setCurrentText(str(p.columns))
            self.code_page.setCurrentText(p.code_page)
            self.cut.setChecked(p.cut)
            self.drawer.setChecked(p.drawer)

    def _paper_changed(self, paper: str) -> None:
        """A roll offers only the columns that fit it (58 mm: 32; 80 mm: 48 or 42)."""
        fits = ROLL_COLUMNS.get(paper)
        if fits is not None:
            chosen = self.columns.currentText()
            self.columns.clear()
            self.columns.addItems([str(c) for c in sorted(fits, reverse=True)])
            if self.columns.findText(chosen) >= 0:
                self.columns.setCurrentText(chosen)
        self._fit_fields()

    def _fit_fields(self, *_: object) -> None:
        """What the kind of printer takes: an address hint; columns, code page, cut and drawer only for
        ESC/POS printers on a roll (a PDF or a system printer ignores them)."""
        kind = self.kind.currentData()
        self.address.setPlaceholderText(ADDRESS_HINTS.get(kind, ""))
        escpos = kind in ESCPOS_KINDS and self.paper.currentText() != "a4"
        for widget in (self.columns, self.code_page, self.cut, self.drawer):
            widget.setEnabled(escpos)

    def form_printer(self) -> PrinterConfig | None:
        if not 0 <= self._current < len(self.printers):
            return None
        return replace(
            self.printers[self._current], name=self.name.text(), kind=self.kind.currentData(),
            address=self.address.text(), paper=self.paper.currentText(),
            columns=int(self.columns.currentText()), code_page=self.code_page.currentText(),
            cut=self.cut.isChecked(), drawer=self.drawer.isChecked(),
        )  # fmt: skip

    def _store_form(self) -> None:
        printer = self.form_printer()
        if printer is not None:
            old = self.printers[self._current].name
            self.printers[self._current] = printer
            self.printer_list.item(self._current).setText(printer.name)
            if old != printer.name:  # the routes follow a renamed printer as it is typed
                for combo in self.routes.values():
                    for index in range(1, combo.count()):
                        if combo.itemText(index) == old:
                            combo.setItemText(index, printer.name)

    def _add(self) -> None:
        self._store_form()
        self.printers.append(PrinterConfig(name=f"Printer {len(self.printers) + 1}", address=""))
        self._refresh_routes(None)
        self.printer_list.addItem(self.printers[-1].name)
        self.printer_list.setCurrentRow(len(self.printers) - 1)

    def _remove(self) -> None:
        row = self.printer_list.currentRow()
        if 0 <= row < len(self.printers):
            self._current = -1
            del self.printers[row]
            self.printer_list.takeItem(row)
            self._refresh_routes(None)

    def _show_money_sample(self) -> None:
        """How receipts will write an amount in the locale typed (or say it is not one)."""
        text = self.money_locale.text().strip()
        try:
            locale = checked_locale(text) if text else system_locale()
        except DomainError:
            self.money_sample.setText("not a locale (e.g. de_DE)")
            return
        self.money_sample.setText(f"{format_decimal(Decimal('1234.56'), locale=locale)} ({locale})")

    def _choose_logo(self) -> None:
        images = "Images (*.png *.jpg *.jpeg *.gif *.bmp)"
        path, _ = QFileDialog.getOpenFileName(self, "Receipt logo", "", images)
        if path:
            self.logo.setText(path)

    def collected(self) -> PrintingSettings:
        self._store_form()
        routes = {doc: box.currentText() for doc, box in self.routes.items() if box.currentText() != NONE}
        look = ReceiptLook(address=self.look_address.toPlainText(), tax_id=self.tax_id.text(),
                           logo=self.logo.text(), footer=self.footer.toPlainText(),
                           locale=self.money_locale.text())
        return PrintingSettings(tuple(self.printers), routes, look, self.service.settings.auto_print)

    # --- actions ------------------------------------------------------------------------------------

    def save(self) -> None:
        settings = self.collected()
        for row, printer in enumerate(settings.printers):  # show the printer a message is about
            try:
                check_printer(printer)
            except PrinterSettingsError as exc:
                self.printer_list.setCurrentRow(row)
                self.error.setText(f"{printer.name.strip() or 'Printer'}: {exc}\nNothing was saved.")
                return
        try:
            self.service.update_settings(settings)
        except PrinterSettingsError as exc:
            self.error.setText(f"{exc}\nNothing was saved.")
            return
        self.error.clear()
        self.accept()

    def _checked_printer(self) -> PrinterConfig | None:
        printer = self.form_printer()
        if printer is None:
            self.error.setText("Add a printer first.")
            return None
        try:
            return check_printer(printer)
        except PrinterSettingsError as exc:
            self.error.setText(str(exc))
            return None

    def test_print(self) -> None:
        printer = self._checked_printer()
        if printer is not None:
            self.status.setText(f"Printing a test page on {printer.name}…")
            self.runner.run(self.service.test_print, printer, lane="net",
                            on_success=lambda result: self._said(result.message, result.ok),
                            on_failure=lambda exc: self._said(str(exc), False))

    def drawer_test(self) -> None:
        printer = self._checked_printer()
        if printer is not None:
            self.runner.run(self.service.drawer_test, printer, lane="net",
                            on_success=lambda text: self._said(text, True),
                            on_failure=lambda exc: self._said(str(exc), False))

    def _said(self, text: str, ok: bool) -> None:
        self.error.setText("" if ok else text)
        self.status.setText(text if ok else "")

    def done(self, result: int) -> None:
        self.runner.shutdown(3000)
        super().done(result)
