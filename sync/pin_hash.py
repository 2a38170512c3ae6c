"""Staff PINs: salted scrypt hashes `scrypt$n$r$p$salt_hex$hash_hex`, and the rules for a new PIN.

The shop hashes a PIN when a manager sets it; tills receive only the hash (the `staff` entity) and
check a PIN against it offline. Both sides import this module, so the format is one contract.
scrypt with n=2**14, r=8 costs ~16 MB and some tens of milliseconds per check: cheap for one
sign-in, expensive for anyone trying every 4-digit PIN against a stolen replica.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import os

N, R, P, DKLEN = 2**14, 8, 1, 32
MIN_DIGITS, MAX_DIGITS = 4, 8
# A PIN set before the 4-8 rule (the admin API once took up to 12 digits) must still sign in.
MAX_ACCEPTED_DIGITS = 12
# Refuse hashes whose parameters would make one check take seconds or gigabytes: a replica's
# staff rows come from the network, and a sign-in must not be the way to hang a till.
_MAX_COST_N, _MAX_R, _MAX_P, _MAX_DKLEN = 2**20, 32, 16, 64


def hash_pin(pin: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=N, r=R, p=P, dklen=DKLEN)
    return f"scrypt${N}${R}${P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """True when `pin` matches the stored hash; False for a wrong PIN or a hash that is not ours."""
    try:
        scheme, n_text, r_text, p_text, salt_hex, digest_hex = stored.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        if scheme != "scrypt" or not (1 < n <= _MAX_COST_N and 0 < r <= _MAX_R and 0 < p <= _MAX_P):
            return False
        if not 0 < len(digest_hex) <= 2 * _MAX_DKLEN:
            return False
        digest = hashlib.scrypt(
            pin.encode(),
            salt=bytes.fromhex(salt_hex),
            n=n,
            r=r,
            p=p,
            maxmem=256 * 1024 * 1024,
            dklen=len(digest_hex) // 2,
        )
    except (ValueError, AttributeError, UnicodeEncodeError):
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


def pin_problem(pin: str) -> str | None:
    """Why `pin` cannot be a new PIN (None if it can): 4 to 8 digits, not trivially guessed.

    The reasons never repeat the PIN: they end up on terminals, in HTTP answers and in logs.
    """
    if not pin:
        return "the PIN is empty: type 4 to 8 digits"
    if not (pin.isascii() and pin.isdigit()):
        return "a PIN is digits only (0-9)"
    if not MIN_DIGITS <= len(pin) <= MAX_DIGITS:
        return f"a PIN has {MIN_DIGITS} to {MAX_DIGITS} digits, not {len(pin)}"
    if len(set(pin)) == 1:
        return "the PIN is one digit repeated: anyone would guess it"
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    if steps in ({1}, {9}):
        return "the PIN is a run of consecutive digits: anyone would guess it"
    if len(set(pin[0::2])) == 1 and len(set(pin[1::2])) == 1:
        return "the PIN repeats a pair of digits: anyone would guess it"
    return None
