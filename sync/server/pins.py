"""Staff PIN hashes: the shop and the tills share `sync.pin_hash`; this name stays for old imports."""

from __future__ import annotations

from sync.pin_hash import hash_pin, pin_problem, verify_pin

__all__ = ["hash_pin", "pin_problem", "verify_pin"]
