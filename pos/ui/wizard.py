"""First-run wizard: connect this till to a shop (URL + device token) or start the demo shop."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pos.services.connection import ConnectionFailed, KeyringUnavailable, TokenStore, keyring_problem
from pos.settings import TOKEN_ENV, normalise_shop_url
from pos.ui.dialogs import fit_height
from pos.ui.tasks import Tasks
from sync.protocol import ShopInfo

log = logging.getLogger(__name__)

# The environment beats the keyring (pos.services.connection.TokenStore), so a new token typed in
# the reconnect dialog lasts only until Countertop closes: say so before the person relies on it.
ENV_TOKEN_RECONNECT_NOTE = (
    f"<p><b>The refused token comes from the environment variable <code>{TOKEN_ENV}</code>.</b> "
    "A new token entered here is used until Countertop closes; it is not stored, because "
    f"<code>{TOKEN_ENV}</code> wins at every start. Change <code>{TOKEN_ENV}</code> to the new "
    "token (or remove it to use the system keyring), or the shop refuses the next start again.</p>"
)
NO_KEYRING_NOTICE = (
    "<b>No keyring on this computer.</b> Countertop stores device tokens only in the "
    "system keyring and never writes them to a file. You can either start Countertop "
    f"with the environment variable <code>{TOKEN_ENV}</code> set to the token, or keep "
    "the token for this session only."
)

TestConnection = Callable[[str, str], ShopInfo]


@dataclass(frozen=True)
class WizardOutcome:
    """What the person chose. For "shop" the token is already stored (keyring or session)."""

    kind: str  # "shop" or "demo"
    url: str = ""
    info: ShopInfo | None = None
    demo: Any = None  # the started demo shop (pos.services.demo.DemoShop)
    token: str = field(default="", repr=False)  # the tested token, in memory only (for a reconnect)


class FirstRunWizard(QDialog):
    def __init__(
        self,
        tasks: Tasks,
        token_store: TokenStore,
        test_connection: TestConnection,
        start_demo: Callable[[], Any] | None = None,
        demo_products: int = 2000,
        parent: QWidget | None = None,
        reconnect_url: str | None = None,
    ) -> None:
        """With `reconnect_url` it asks for a new device token for that shop (URL fixed, no demo)."""
        super().__init__(parent)
        self.setObjectName("firstRunWizard")
        self.setWindowTitle("Reconnect this till" if reconnect_url else "Welcome to Countertop")
        self.setMinimumWidth(560)
        self._tasks = tasks
        self._tokens = token_store
        self._test_connection = test_connection
        self._start_demo = start_demo
        self._reconnect = bool(reconnect_url)
        self._tested: tuple[str, str] | None = None  # (url, token) that passed the test
        self._info: ShopInfo | None = None
        self._busy = False
        self.keyring_usable: bool | None = None  # known once the net lane has asked
        self.outcome: WizardOutcome | None = None

        layout = QVBoxLayout(self)
        if reconnect_url:
            title = QLabel("<h2>Reconnect this till</h2>", self)
            intro = QLabel(
                f"The shop at {_html(reconnect_url)} refused this till's device token (revoked or "
                "replaced). Ask the shop for a new one (<code>countertop-shop device add</code>), "
                "paste it here and test it. The catalog on this till is kept.", self,
            )
            if token_store.env_token():
                intro.setText(intro.text() + ENV_TOKEN_RECONNECT_NOTE)
        else:
            title = QLabel("<h2>Welcome to Countertop</h2>", self)
            intro = QLabel("Connect this till to your shop, or try Countertop on a demo shop first.", self)
        intro.setObjectName("wizardIntro")
        intro.setWordWrap(True)
        layout.addWidget(title)
        layout.addWidget(intro)
        layout.addWidget(self._build_shop_box())
        demo_box = self._build_demo_box(demo_products)
        layout.addWidget(demo_box)
        if reconnect_url:
            self.url_edit.setText(reconnect_url)
            self.url_edit.setReadOnly(True)  # a new token for this shop; another shop is another replica
            demo_box.hide()
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.quit_button = QPushButton("Cancel" if reconnect_url else "Quit", self)
        self.quit_button.clicked.connect(self.reject)
        buttons.addWidget(self.quit_button)
        layout.addLayout(buttons)
        self._refresh_buttons()
        self._check_keyring()

    # --- layout -----------------------------------------------------------------------------------

    def _build_shop_box(self) -> QGroupBox:
        box = QGroupBox("Connect to your shop", self)
        form = QFormLayout()
        self.url_edit = QLineEdit(box)
        self.url_edit.setObjectName("shopUrl")
        self.url_edit.setPlaceholderText("https://shop.example.com")
        self.token_edit = QLineEdit(box)
        self.token_edit.setObjectName("deviceToken")
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        env_token = self._tokens.env_token()
        self.token_edit.setPlaceholderText(
            f"Using {TOKEN_ENV} from the environment" if env_token and not self._reconnect
            else "Paste the token printed by `countertop-shop device add`"
        )
        form.addRow("Shop URL", self.url_edit)
        form.addRow("Device token", self.token_edit)

        self.test_button = QPushButton("Test connection", box)
        self.test_button.setObjectName("testConnection")
        self.test_button.clicked.connect(self.test)
        self.result_label = QLabel(box)
        self.result_label.setObjectName("connectionResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()

        self.keyring_label = QLabel(box)
        self.keyring_label.setObjectName("keyringNotice")
        self.keyring_label.setWordWrap(True)
        self.session_check = QCheckBox("Keep the token for this session only (ask again next time)", box)
        self.session_check.setObjectName("sessionOnly")
        self.keyring_label.hide()
        self.session_check.hide()
        self.connect_button = QPushButton("Connect", box)
        self.connect_button.setObjectName("connectShop")
        self.connect_button.clicked.connect(self.accept_shop)

        self.url_edit.textChanged.connect(self._refresh_buttons)
        self.token_edit.textChanged.connect(self._refresh_buttons)
        self.session_check.toggled.connect(self._refresh_buttons)

        # The result goes under the button, across the box: beside it a message of a few lines
        # was squeezed to a narrow column, clipped, and squashed the fields above.
        row = QHBoxLayout()
        row.addWidget(self.test_button)
        row.addStretch(1)
        inner = QVBoxLayout(box)
        inner.addLayout(form)
        inner.addLayout(row)
        inner.addWidget(self.result_label)
        inner.addWidget(self.keyring_label)
        inner.addWidget(self.session_check)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.connect_button)
        inner.addLayout(bottom)
        return box

    def _build_demo_box(self, products: int) -> QGroupBox:
        box = QGroupBox("Try the demo shop", self)
        inner = QHBoxLayout(box)
        text = QLabel(
            f"Starts a local demo shop on this computer with {products:,} products, and connects to it.",
            box,
        )
        text.setWordWrap(True)
        self.demo_button = QPushButton("Start the demo shop", box)
        self.demo_button.setObjectName("startDemo")
        self.demo_button.clicked.connect(self.start_demo)
        self.demo_button.setEnabled(self._start_demo is not None)
        inner.addWidget(text, 1)
        inner.addWidget(self.demo_button)
        return box

    # --- actions ----------------------------------------------------------------------------------

    def _token(self) -> str:
        typed = self.token_edit.text().strip()
        if self._reconnect:
            return typed  # the environment's token is the one the shop refused
        return typed or (self._tokens.env_token() or "")

    def _fields(self) -> tuple[str, str]:
        return self.url_edit.text().strip(), self._token()

    def _refresh_buttons(self) -> None:
        url, token = self._fields()
        self.test_button.setEnabled(not self._busy and bool(url) and bool(token))
        passed = self._tested == (url, token)
        # Unknown (None) counts as usable: saving finds out, and says so, without losing the input.
        storage_ok = (self.keyring_usable is not False or bool(self._tokens.env_token())
                      or self.session_check.isChecked())
        self.connect_button.setEnabled(not self._busy and passed and storage_ok)
        self.connect_button.setDefault(passed)
        self.demo_button.setEnabled(not self._busy and self._start_demo is not None)

    def _set_result(self, text: str, state: str) -> None:
        self.result_label.setText(text)
        self.result_label.setVisible(bool(text))
        self.result_label.setProperty("state", state)
        self.result_label.style().unpolish(self.result_label)
        self.result_label.style().polish(self.result_label)
        fit_height(self)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.url_edit.setEnabled(not busy)
        self.token_edit.setEnabled(not busy)
        self._refresh_buttons()

    def test(self) -> None:
        url, token = self._fields()
        self._tested = None
        self._set_busy(True)
        self._set_result("Testing the connection…", "busy")

        def ok(info: ShopInfo) -> None:
            self._tested, self._info = (url, token), info
            self._set_result(
                f"✔ Connected to <b>{_html(info.shop_name)}</b> as device “{_html(info.device_name)}”"
                f" ({info.currency}).",
                "ok",
            )
            self._set_busy(False)

        def failed(exc: BaseException) -> None:
            message = str(exc) if isinstance(exc, ConnectionFailed) else f"Unexpected error: {exc}"
            self._set_result(f"✖ {_html(message)}", "error")
            self._set_busy(False)

        self._tasks.run(self._test_connection, url, token, lane="net", on_success=ok, on_failure=failed)

    def accept_shop(self) -> None:
        url, token = self._fields()
        if self._tested != (url, token) or self._info is None:
            self._set_result("Test the connection first.", "error")
            return
        url = normalise_shop_url(url)  # passed the test, so it parses
        info = self._info
        if self._tokens.env_token():
            self._accept_shop(url, info, token)
            return
        if self.keyring_usable is False and self.session_check.isChecked():
            self._tokens.keep_for_session(url, token)
            self._accept_shop(url, info, token)
            return
        # The keyring may be a D-Bus service that prompts to unlock: never wait for it here.
        self._set_busy(True)
        self._set_result("Saving the device token in the system keyring…", "busy")

        def saved(_none: object) -> None:
            self._accept_shop(url, info, token)

        def failed(exc: BaseException) -> None:
            self._set_busy(False)
            if not isinstance(exc, KeyringUnavailable):
                self._set_result(f"✖ The token could not be stored: {_html(str(exc))}", "error")
                return
            if self.session_check.isChecked():
                self._tokens.keep_for_session(url, token)
                self._accept_shop(url, info, token)
                return
            self._set_result("", "")
            self._show_no_keyring(_html(str(exc)))

        self._tasks.run(self._tokens.save, url, token, lane="net", on_success=saved, on_failure=failed)

    def _accept_shop(self, url: str, info: ShopInfo, token: str) -> None:
        self.outcome = WizardOutcome(kind="shop", url=url, info=info, token=token)
        self.accept()

    def _check_keyring(self) -> None:
        """Ask on the net lane whether there is a usable keyring (the first ask may touch D-Bus)."""

        def checked(problem: str | None) -> None:
            self.keyring_usable = problem is None
            if problem is not None and not self._tokens.env_token():
                self._show_no_keyring(NO_KEYRING_NOTICE)

        def failed(exc: BaseException) -> None:
            log.warning("checking the keyring failed: %s", exc)
            checked(str(exc))

        self._tasks.run(keyring_problem, lane="net", on_success=checked, on_failure=failed)

    def _show_no_keyring(self, text: str) -> None:
        self.keyring_usable = False
        self.keyring_label.setText(text)
        self.keyring_label.show()
        self.session_check.show()
        self._refresh_buttons()
        fit_height(self)

    def start_demo(self) -> None:
        if self._start_demo is None:
            return
        self._set_busy(True)
        self._set_result("", "")
        self.demo_button.setText("Starting the demo shop…")

        def ok(demo: Any) -> None:
            self.outcome = WizardOutcome(kind="demo", url=getattr(demo, "url", ""), demo=demo)
            self.accept()

        def failed(exc: BaseException) -> None:
            self.demo_button.setText("Start the demo shop")
            self._set_result(f"✖ The demo shop did not start: {_html(str(exc))}", "error")
            self._set_busy(False)

        self._tasks.run(self._start_demo, lane="net", on_success=ok, on_failure=failed)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
