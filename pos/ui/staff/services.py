"""What the composition root (pos.app) gives the window for people and cash: who is signed in,
the staff, cash-session and audit services, and the idle-lock time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass
class Staffing:
    who: Any  # pos.services.signed_in.SignedIn: one per till, shared with every service
    staff: Any  # pos.services.staff.StaffService
    cash: Any = None  # pos.services.cash_sessions.CashSessions
    audit: Any = None  # pos.services.audit.AuditLog
    idle_lock_seconds: float = 300.0  # pos.settings.Settings.idle_lock_seconds; 0: never
    reports_folder: Path | None = None  # X/Z reports become PDFs here when no report printer is set up
    sign_in_hint: str = ""  # shown under the sign-in list (the demo shop's PINs)
