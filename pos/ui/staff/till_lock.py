"""The till's lock: the sign-in screen in front of everything until someone signs in.

The window's content sits in a stack behind the SignInScreen. `lock(why)` signs the person out
(SignedIn.sign_out), closes any dialog, and shows the sign-in screen; a PIN accepted there signs
the person in (SignedIn.sign_in) and shows the content again. The idle watch locks after the
configured time; F11 ("switch cashier") locks at once.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QStackedWidget, QWidget

from pos.ui.staff.idle_lock import IdleWatch
from pos.ui.staff.sign_in import SignInScreen
from pos.ui.tasks import Tasks

log = logging.getLogger(__name__)

SWITCH_KEY = "F11"


def idle_words(seconds: float) -> str:
    return f"{round(seconds / 60)} min" if seconds >= 120 else f"{max(1, round(seconds))} s"


class TillLock(QObject):
    changed = Signal(object)  # the Actor signed in, or None when locked

    def __init__(self, window: QMainWindow, content: QWidget, staff: Any, who: Any, tasks: Tasks,
                 idle_seconds: float, shop_name: str = "", hint: str = "") -> None:  # fmt: skip
        super().__init__(window)
        self.window, self.content, self.who = window, content, who
        self.stack = QStackedWidget(window)
        self.stack.setObjectName("tillStack")
        self.screen = SignInScreen(staff, tasks, shop_name, self.stack, hint=hint)
        self.stack.addWidget(self.screen)
        self.stack.addWidget(content)
        self.idle = IdleWatch(idle_seconds, self)
        self.idle.idle.connect(lambda: self.lock(f"Locked after {idle_words(idle_seconds)} without use."))
        self.screen.signed_in.connect(self._signed_in)
        self.switch_action = QAction("S&witch cashier (lock)", window)
        self.switch_action.setShortcut(QKeySequence(SWITCH_KEY))
        self.switch_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.switch_action.triggered.connect(lambda: self.lock("Switch cashier: the next person signs in."))
        window.addAction(self.switch_action)
        self.guarded: list[QAction] = []  # actions usable only while someone is signed in

    @property
    def locked(self) -> bool:
        return self.stack.currentWidget() is self.screen

    def lock(self, why: str = "The till is locked.") -> None:
        was = self.who.actor
        self.who.sign_out()
        self.idle.stop()
        for dialog in self.window.findChildren(QDialog):
            if dialog.isVisible():
                dialog.reject()
        self.stack.setCurrentWidget(self.screen)
        for action in self.guarded:
            action.setEnabled(False)
        self.switch_action.setEnabled(False)
        self.screen.load(why)
        if was is not None:
            log.info("till locked (%s signed out): %s", was.name, why)
        self.changed.emit(None)

    def _signed_in(self, actor: Any) -> None:
        self.who.sign_in(actor)
        self.stack.setCurrentWidget(self.content)
        for action in self.guarded:
            action.setEnabled(True)
        self.switch_action.setEnabled(True)
        self.idle.start()
        self.changed.emit(actor)

    def close(self) -> None:
        self.idle.stop()
