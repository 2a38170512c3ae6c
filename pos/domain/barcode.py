"""GS1 barcodes (GTIN-8, UPC-A / GTIN-12, EAN-13 / GTIN-13, GTIN-14) and scanner input clean-up.

A GTIN's last digit is a check digit: weight the other digits 3, 1, 3, 1 ... starting from the
right, sum, and the check digit tops the sum up to a multiple of ten.
"""

from __future__ import annotations

import unicodedata

from pos.domain.errors import DomainError

GTIN_LENGTHS = (8, 12, 13, 14)
# What a keyboard-wedge scanner or a paste can smuggle in: "C" categories (control such as CR, LF,
# TAB, STX/ETX, GS; format such as zero-width space and BOM; unassigned) and "Z" (every space).
_STRIPPED_CATEGORY_CLASSES = ("C", "Z")


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def gtin_check_digit(body: str) -> int:
    """Check digit for a GTIN without its last digit (7, 11, 12 or 13 digits)."""
    if not isinstance(body, str):
        raise TypeError(f"a barcode body must be a str of digits, not {type(body).__name__}")
    if not _is_ascii_digits(body):
        raise DomainError(f"barcode body {body!r} must contain digits only", field="barcode")
    if len(body) + 1 not in GTIN_LENGTHS:
        raise DomainError(
            f"barcode body {body!r} has {len(body)} digits; a GTIN body has 7, 11, 12 or 13",
            field="barcode",
        )
    weighted = sum(int(digit) * (3 if i % 2 == 0 else 1) for i, digit in enumerate(reversed(body)))
    return (10 - weighted % 10) % 10


def is_valid_gtin(code: str) -> bool:
    """True if `code` is 8, 12, 13 or 14 ASCII digits whose last digit is the right check digit."""
    return (
        isinstance(code, str)
        and len(code) in GTIN_LENGTHS
        and _is_ascii_digits(code)
        and gtin_check_digit(code[:-1]) == int(code[-1])
    )


def check_gtin(code: str) -> str:
    """Return `code` if it is a valid GTIN, else raise DomainError saying what is wrong."""
    if not isinstance(code, str):
        raise TypeError(f"a barcode must be a str of digits, not {type(code).__name__}")
    if not _is_ascii_digits(code):
        raise DomainError(f"barcode {code!r} must contain digits only", field="barcode")
    if len(code) not in GTIN_LENGTHS:
        raise DomainError(
            f"barcode {code!r} has {len(code)} digits; EAN-8, UPC-A, EAN-13 and GTIN-14 have 8, 12, 13 or 14",
            field="barcode",
        )
    expected = gtin_check_digit(code[:-1])
    if expected != int(code[-1]):
        raise DomainError(
            f"barcode {code!r} has a wrong check digit: it should end in {expected}, not {code[-1]}",
            field="barcode",
        )
    return code


def normalise_code(scanned: str) -> str:
    """What a scanner or a paste typed, reduced to the code itself.

    Removes control and format characters (CR, LF, TAB, STX/ETX, GS, zero-width space, BOM) and
    whitespace anywhere, and folds compatibility forms (full-width digits from an IME) to ASCII.
    Case is kept: SKUs may be case-sensitive.
    """
    if not isinstance(scanned, str):
        raise TypeError(f"scanned input must be a str, not {type(scanned).__name__}")
    text = scanned
    # Removing a character can let its neighbours compose, so fold and strip until nothing changes
    # (twice in practice; the bound only guards against surprises in Unicode data).
    for _ in range(8):
        folded = unicodedata.normalize("NFKC", text)
        cleaned = "".join(
            ch for ch in folded if unicodedata.category(ch)[0] not in _STRIPPED_CATEGORY_CLASSES
        )
        if cleaned == text:
            break
        text = cleaned
    return text
