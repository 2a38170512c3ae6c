"""GS1 barcodes (EAN-8, UPC-A, EAN-13, GTIN-14): 8 to 14 digits whose last digit is the check digit."""

from __future__ import annotations


def gs1_check_digit(body: str) -> int:
    """Check digit for the digits before it: weights 3,1,3,... from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def barcode_problem(code: str) -> str | None:
    """Why `code` is not a valid GS1 barcode, or None when it is."""
    if not code.isdigit() or not 8 <= len(code) <= 14 or not code.isascii():
        return f"barcode {code!r} must be 8 to 14 digits"
    expected = gs1_check_digit(code[:-1])
    if int(code[-1]) != expected:
        return f"barcode {code!r} has a wrong check digit (expected {expected})"
    return None


def ean13(serial: int, prefix: str = "40") -> str:
    """An EAN-13 from a GS1 prefix and a serial.

    Never 20-29 by default: tills read that range as in-store price- and weight-embedded codes.
    """
    body = f"{prefix}{serial:0{12 - len(prefix)}d}"
    return body + str(gs1_check_digit(body))
