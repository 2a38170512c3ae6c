"""Reconnect a till whose device token the shop refused: ask for a new token, then sync with it."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from pos.services.connection import TokenStore
from pos.ui.sync_control import SyncControl
from pos.ui.tasks import Tasks
from pos.ui.wizard import FirstRunWizard, TestConnection, WizardOutcome

log = logging.getLogger(__name__)


class Reconnector(QObject):
    """Opens the connect dialog (window-modal, never blocking the event loop) for the current shop.

    On success the dialog has already stored the token (keyring, or session only where there is
    none); `on_reconnected` records the device in the settings, then the sync restarts with it.
    A child of the window, so it lives as long as the window does.
    """

    def __init__(
        self,
        window: QWidget,
        tasks: Tasks,
        tokens: TokenStore,
        test_connection: TestConnection,
        shop_url: str,
        control: SyncControl,
        on_reconnected: Callable[[WizardOutcome], None] | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._tasks = tasks
        self._tokens = tokens
        self._test_connection = test_connection
        self._url = shop_url
        self._control = control
        self._on_reconnected = on_reconnected
        self.dialog: FirstRunWizard | None = None

    def open(self) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.raise_()
            return
        dialog = FirstRunWizard(
            self._tasks, self._tokens, self._test_connection, parent=self._window, reconnect_url=self._url
        )
        dialog.accepted.connect(lambda: self._accepted(dialog))
        self.dialog = dialog
        dialog.open()

    def _accepted(self, dialog: FirstRunWizard) -> None:
        outcome = dialog.outcome
        if outcome is None or not outcome.token:
            return
        if self._on_reconnected is not None:
            try:
                self._on_reconnected(outcome)
            except Exception:  # the settings file could not be written: syncing still works
                log.exception("could not record the reconnected device")
        self._control.resume(outcome.token)
