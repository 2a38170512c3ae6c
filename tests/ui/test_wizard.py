"""First-run wizard against the real shop: test connection, errors people can act on, the keyring."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from pos.services.connection import KEYRING_SERVICE, TokenStore, test_connection
from pos.services.demo import start_demo_shop
from pos.settings import TOKEN_ENV
from pos.ui import launcher
from pos.ui.wizard import FirstRunWizard
from tests.fixtures.shop_server import free_port


def make_wizard(qtbot, tasks, tokens=None, start_demo=None):
    wizard = FirstRunWizard(tasks, tokens or TokenStore(environ={}), test_connection, start_demo=start_demo)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def run_test(qtbot, wizard, url, token):
    wizard.url_edit.setText(url)
    wizard.token_edit.setText(token)
    assert wizard.test_button.isEnabled()
    qtbot.mouseClick(wizard.test_button, Qt.MouseButton.LeftButton)
    assert not wizard.test_button.isEnabled()  # busy while the net lane works; the window stays live
    qtbot.waitUntil(lambda: wizard.result_label.property("state") in ("ok", "error"), timeout=10_000)
    return wizard.result_label.text()


def test_connection_succeeds_and_the_token_goes_to_the_keyring(qtbot, tasks, module_shop, memory_keyring):
    wizard = make_wizard(qtbot, tasks)
    assert wizard.keyring_label.isHidden()
    assert not wizard.connect_button.isEnabled()
    text = run_test(qtbot, wizard, module_shop.url, module_shop.device_token)
    info = test_connection(module_shop.url, module_shop.device_token)
    assert f"Connected to <b>{info.shop_name}</b>" in text
    assert wizard.connect_button.isEnabled()
    with qtbot.waitSignal(wizard.accepted, timeout=2000):
        qtbot.mouseClick(wizard.connect_button, Qt.MouseButton.LeftButton)
    assert wizard.outcome.kind == "shop"
    assert wizard.outcome.url == module_shop.url
    assert wizard.outcome.info.device_id == module_shop.device_id
    assert memory_keyring.secrets == {(KEYRING_SERVICE, module_shop.url): module_shop.device_token}


def test_wrong_token_shows_a_clear_error_and_cannot_connect(qtbot, tasks, module_shop, memory_keyring):
    wizard = make_wizard(qtbot, tasks)
    text = run_test(qtbot, wizard, module_shop.url, "wrong-token")
    assert wizard.result_label.property("state") == "error"
    assert "refused this device token" in text
    assert not wizard.connect_button.isEnabled()
    assert memory_keyring.secrets == {}


def test_an_error_of_several_lines_shows_whole_below_the_fields_which_keep_their_height(
    qtbot, tasks, module_shop, memory_keyring
):
    launcher.make_application()  # the real style sheet: its padded fields are taller
    wizard = make_wizard(qtbot, tasks)
    fields = [wizard.url_edit, wizard.token_edit]
    heights = [field.height() for field in fields]
    text = run_test(qtbot, wizard, module_shop.url + "/api/v1", "wrong-token")
    assert "without /api/v1" in text
    label = wizard.result_label
    assert label.fontMetrics().horizontalAdvance(label.text()) > label.width()  # it wraps
    assert label.height() >= label.heightForWidth(label.width())  # every line shows
    assert label.width() > wizard.test_button.width() * 2  # across the box, not beside the button
    assert [field.height() for field in fields] == heights
    text = run_test(qtbot, wizard, module_shop.url, "wrong-token")  # a message as long, in its place
    assert text.count("refused") == 1
    assert label.height() >= label.heightForWidth(label.width())
    assert [field.height() for field in fields] == heights


def test_unreachable_url_shows_a_clear_error(qtbot, tasks, memory_keyring):
    wizard = make_wizard(qtbot, tasks)
    text = run_test(qtbot, wizard, f"http://127.0.0.1:{free_port()}", "token")
    assert "Shop unreachable: connection refused" in text
    assert not wizard.connect_button.isEnabled()


def test_malformed_url_shows_a_clear_error(qtbot, tasks, memory_keyring):
    wizard = make_wizard(qtbot, tasks)
    text = run_test(qtbot, wizard, "shop.example.com", "token")
    assert "must start with http" in text


def test_changing_a_field_after_the_test_requires_a_new_test(qtbot, tasks, module_shop, memory_keyring):
    wizard = make_wizard(qtbot, tasks)
    run_test(qtbot, wizard, module_shop.url, module_shop.device_token)
    wizard.token_edit.setText(module_shop.device_token + "x")
    assert not wizard.connect_button.isEnabled()


def test_without_a_keyring_it_says_so_and_keeps_the_token_for_the_session_only(
    qtbot, tasks, module_shop, no_keyring, tmp_path, monkeypatch
):
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    tokens = TokenStore(environ={})
    wizard = make_wizard(qtbot, tasks, tokens)
    qtbot.waitUntil(wizard.keyring_label.isVisible, timeout=5_000)  # asked on the net lane
    notice = wizard.keyring_label.text()
    assert "No keyring" in notice and TOKEN_ENV in notice and "this session only" in notice
    run_test(qtbot, wizard, module_shop.url, module_shop.device_token)
    assert not wizard.connect_button.isEnabled()  # a choice is needed first
    wizard.session_check.setChecked(True)
    assert wizard.connect_button.isEnabled()
    with qtbot.waitSignal(wizard.accepted, timeout=2000):
        qtbot.mouseClick(wizard.connect_button, Qt.MouseButton.LeftButton)
    assert tokens.get(module_shop.url) == module_shop.device_token
    assert TokenStore(environ={}).get(module_shop.url) is None  # not stored anywhere lasting
    assert list(cwd.iterdir()) == []


def test_environment_token_needs_no_keyring(qtbot, tasks, module_shop, no_keyring):
    tokens = TokenStore(environ={TOKEN_ENV: module_shop.device_token})
    wizard = make_wizard(qtbot, tasks, tokens)
    qtbot.waitUntil(lambda: wizard.keyring_usable is False, timeout=5_000)
    assert wizard.keyring_label.isHidden()
    assert TOKEN_ENV in wizard.token_edit.placeholderText()
    run_test(qtbot, wizard, module_shop.url, "")
    with qtbot.waitSignal(wizard.accepted, timeout=2000):
        qtbot.mouseClick(wizard.connect_button, Qt.MouseButton.LeftButton)
    assert wizard.outcome.info.device_id == module_shop.device_id


def test_demo_choice_starts_the_demo_shop(qtbot, tasks, tmp_path):
    wizard = make_wizard(qtbot, tasks, start_demo=lambda: start_demo_shop(tmp_path, products=20))
    with qtbot.waitSignal(wizard.accepted, timeout=60_000):
        qtbot.mouseClick(wizard.demo_button, Qt.MouseButton.LeftButton)
        assert not wizard.demo_button.isEnabled()
    demo = wizard.outcome.demo
    try:
        assert wizard.outcome.kind == "demo"
        assert test_connection(demo.url, demo.token).device_name == "demo-till"
    finally:
        demo.stop()


def test_screenshot_of_the_wizard(qtbot, tasks, module_shop, no_keyring):
    from pathlib import Path

    from pos.ui import launcher

    launcher.make_application()
    wizard = make_wizard(qtbot, tasks, start_demo=lambda: None)
    run_test(qtbot, wizard, module_shop.url, module_shop.device_token)
    folder = Path(__file__).resolve().parents[2] / "test-artifacts"
    folder.mkdir(exist_ok=True)
    assert wizard.grab().save(str(folder / "wizard.png"))


def test_demo_failure_is_shown(qtbot, tasks):
    def broken():
        raise RuntimeError("port in use")

    wizard = make_wizard(qtbot, tasks, start_demo=broken)
    qtbot.mouseClick(wizard.demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.result_label.property("state") == "error", timeout=5000)
    assert "did not start: port in use" in wizard.result_label.text()
    assert wizard.demo_button.isEnabled()
    assert wizard.outcome is None


def test_saving_to_a_slow_keyring_never_freezes_the_wizard(qtbot, tasks, module_shop, gated_keyring):
    """A keyring waiting on an unlock prompt holds the net lane, never the window."""
    wizard = make_wizard(qtbot, tasks)
    run_test(qtbot, wizard, module_shop.url, module_shop.device_token)
    qtbot.mouseClick(wizard.connect_button, Qt.MouseButton.LeftButton)
    # Back on the event loop at once, with the keyring still waiting: the window says why it waits.
    assert wizard.result_label.text() == "Saving the device token in the system keyring…"
    assert not wizard.connect_button.isEnabled() and wizard.outcome is None
    qtbot.waitUntil(lambda: ("set", False) in gated_keyring.calls, timeout=5_000)
    with qtbot.waitSignal(wizard.accepted, timeout=5_000):
        gated_keyring.gate.set()
    assert gated_keyring.secrets == {(KEYRING_SERVICE, module_shop.url): module_shop.device_token}
    assert all(not on_main for _op, on_main in gated_keyring.calls)
    assert wizard.outcome.kind == "shop"


def test_reconnecting_a_till_whose_token_comes_from_the_environment_says_to_change_it_there(
    qtbot, tasks, module_shop, memory_keyring
):
    tokens = TokenStore(environ={TOKEN_ENV: "the-refused-token"})
    dialog = FirstRunWizard(tasks, tokens, test_connection, reconnect_url=module_shop.url)
    qtbot.addWidget(dialog)
    dialog.show()
    intro = dialog.findChild(QLabel, "wizardIntro").text()
    assert f"comes from the environment variable <code>{TOKEN_ENV}</code>" in intro
    assert f"Change <code>{TOKEN_ENV}</code> to the new token" in intro
    assert "refuses the next start again" in intro
    # The refused token from the environment is not offered again: a new one must be typed.
    assert TOKEN_ENV not in dialog.token_edit.placeholderText()
    assert not dialog.test_button.isEnabled()
    run_test(qtbot, dialog, module_shop.url, module_shop.device_token)
    with qtbot.waitSignal(dialog.accepted, timeout=5_000):
        qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    assert dialog.outcome.token == module_shop.device_token  # for this session's sync
    assert memory_keyring.secrets == {}  # the environment wins at the next start: nothing stored
