"""GS1 check digits for EAN-8, UPC-A, EAN-13 and GTIN-14, and cleaning what a scanner types."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.barcode import check_gtin, gtin_check_digit, is_valid_gtin, normalise_code
from pos.domain.errors import DomainError

# Real, published codes.
VALID = [
    "96385074",  # EAN-8 (GS1 example)
    "036000291452",  # UPC-A (Wrigley's gum, the classic example)
    "4006381333931",  # EAN-13 (Stabilo pen)
    "9780306406157",  # ISBN-13 as EAN-13
    "5901234123457",  # EAN-13 (GS1 Poland example)
    "10012345678902",  # GTIN-14
    "00012345600012",  # GTIN-14 padding a UPC-A
]


@pytest.mark.parametrize("code", VALID)
def test_published_codes_are_valid(code: str) -> None:
    assert is_valid_gtin(code)
    assert check_gtin(code) == code
    assert gtin_check_digit(code[:-1]) == int(code[-1])


@pytest.mark.parametrize(
    "code",
    [
        "4006381333932",  # last digit changed
        "4006381333913",  # two neighbouring digits swapped
        "400638133393",  # one digit short (12 digits, so read as a UPC-A: wrong check digit)
        "1234567",  # 7 digits
        "123456789",  # 9 digits
        "400638133393a",
        "4006381333931 ",
        "",
        "٤٠٠٦٣٨١٣٣٣٩٣١",  # Arabic-Indic digits are digits to str.isdigit, not to a scanner
    ],
)
def test_invalid_codes_are_refused(code: str) -> None:
    assert not is_valid_gtin(code)
    with pytest.raises(DomainError):
        check_gtin(code)


def test_non_strings_are_not_barcodes() -> None:
    assert not is_valid_gtin(4006381333931)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must be a str"):
        check_gtin(4006381333931)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("4006381333932", "wrong check digit: it should end in 1, not 2"),
        ("12345", "has 5 digits; EAN-8, UPC-A, EAN-13 and GTIN-14 have 8, 12, 13 or 14"),
        ("40063813339x1", "must contain digits only"),
    ],
)
def test_check_gtin_says_what_is_wrong(code: str, message: str) -> None:
    with pytest.raises(DomainError, match=message) as caught:
        check_gtin(code)
    assert caught.value.field == "barcode"


def test_check_digit_refuses_bad_bodies() -> None:
    with pytest.raises(DomainError, match="has 5 digits; a GTIN body has 7, 11, 12 or 13"):
        gtin_check_digit("12345")
    with pytest.raises(DomainError, match="digits only"):
        gtin_check_digit("12345a7")


@given(body=st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_generated_ean13_bodies_get_exactly_one_valid_check_digit(body: str) -> None:
    valid_endings = [d for d in "0123456789" if is_valid_gtin(body + d)]
    assert valid_endings == [str(gtin_check_digit(body))]


@given(
    body=st.sampled_from([7, 11, 12, 13]).flatmap(
        lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)
    ),
    position=st.integers(min_value=0, max_value=13),
    replacement=st.sampled_from("0123456789"),
)
def test_any_single_digit_error_is_caught(body: str, position: int, replacement: str) -> None:
    code = body + str(gtin_check_digit(body))
    position %= len(code)
    if code[position] == replacement:
        return
    damaged = code[:position] + replacement + code[position + 1 :]
    assert is_valid_gtin(code)
    assert not is_valid_gtin(damaged)


@given(body=st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_leading_zero_padding_keeps_a_gtin_valid(body: str) -> None:
    # GTIN-8/12/13 padded with zeros to 14 digits is the same GTIN: the weights line up from the right.
    code = body + str(gtin_check_digit(body))
    assert is_valid_gtin(code.rjust(14, "0"))


@pytest.mark.parametrize(
    ("scanned", "code"),
    [
        ("4006381333931\r\n", "4006381333931"),
        ("\x024006381333931\x03", "4006381333931"),  # STX / ETX framing
        ("  4006381333931\t", "4006381333931"),
        ("\ufeff4006381333931\u200b", "4006381333931"),  # BOM, zero-width space
        ("４００６３８１３３３９３１", "4006381333931"),  # full-width digits from an IME
        ("4006 3813 3393 1", "4006381333931"),
        ("TS-Blue-M\n", "TS-Blue-M"),  # SKUs keep their case and punctuation
        ("\r\n", ""),
    ],
)
def test_normalise_code_strips_what_scanners_add(scanned: str, code: str) -> None:
    assert normalise_code(scanned) == code


def test_normalise_code_refuses_non_text() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        normalise_code(b"4006381333931")  # type: ignore[arg-type]


@given(st.text())
def test_normalise_code_is_idempotent_and_leaves_no_whitespace(text: str) -> None:
    once = normalise_code(text)
    assert normalise_code(once) == once
    assert not any(ch.isspace() or not ch.isprintable() for ch in once)
