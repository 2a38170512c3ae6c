"""ISO 4217 currency codes and their minor-unit exponents.

Most currencies have two decimal places; the table lists the exceptions (ISO 4217, list one).
Codes are checked for shape only (three upper-case letters): the shop's currency comes from the
shop, and refusing a code the table has not heard of would lock out a shop for no gain.
"""

from __future__ import annotations

import re

from pos.domain.errors import DomainError

_CODE = re.compile(r"^[A-Z]{3}$")

# ISO 4217 minor units that are not 2. Read-only: a frozen mapping of constants.
_EXPONENTS: dict[str, int] = {
    **dict.fromkeys(
        (
            "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
            "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
        ),
        0,
    ),
    **dict.fromkeys(("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"), 3),
    **dict.fromkeys(("CLF", "UYW"), 4),
}  # fmt: skip
DEFAULT_EXPONENT = 2


def check_currency(code: object) -> str:
    """Return `code` if it is an ISO 4217 code (three upper-case letters), else raise DomainError."""
    if not isinstance(code, str):
        raise TypeError(f"currency must be a str such as 'EUR', not {type(code).__name__}")
    if not _CODE.match(code):
        raise DomainError(
            f"{code!r} is not an ISO 4217 currency code (three upper-case letters, such as 'EUR')",
            field="currency",
        )
    return code


def exponent(code: str) -> int:
    """Number of decimal places of the currency's minor unit: EUR 2, JPY 0, KWD 3."""
    return _EXPONENTS.get(check_currency(code), DEFAULT_EXPONENT)
