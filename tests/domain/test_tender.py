"""Paying: cash with change, card without, split tender, refusals, quick-cash amounts."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pos.domain.errors import CurrencyMismatchError, DomainError
from pos.domain.money import Money
from pos.domain.tender import Tender, quick_cash, settle, tender_label


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def test_cash_gives_change() -> None:
    s = settle(eur(1230), [Tender("cash", eur(5000))])
    assert (s.change, s.total, s.tendered) == (eur(3770), eur(1230), eur(5000))
    assert [p.applied for p in s.payments] == [eur(1230)]


def test_exact_card() -> None:
    s = settle(eur(1230), [Tender("card", eur(1230), "REF-1")])
    assert s.change == eur(0) and s.payments[0].tender.reference == "REF-1"


def test_split_card_then_cash() -> None:
    s = settle(eur(10000), [Tender("card", eur(6000)), Tender("cash", eur(2000)), Tender("cash", eur(5000))])
    assert [p.applied for p in s.payments] == [eur(6000), eur(2000), eur(2000)]
    assert s.change == eur(3000)


@pytest.mark.parametrize(
    ("tenders", "words"),
    [
        ([], "no payment given"),
        ([Tender("cash", eur(1229))], "0.01 EUR still to pay"),
        ([Tender("card", eur(1000)), Tender("cash", eur(200))], "0.30 EUR still to pay"),
        ([Tender("card", eur(1231))], "change is given only from cash"),
        ([Tender("cash", eur(1000)), Tender("card", eur(300))], "more than the 2.30 EUR left"),
        ([Tender("cash", eur(2000)), Tender("cash", eur(100))], "not needed"),
        ([Tender("cash", eur(100))] * 21, "at most 20 payments"),
    ],
)
def test_tenders_that_do_not_fit_are_refused(tenders: list[Tender], words: str) -> None:
    with pytest.raises(DomainError, match=words):
        settle(eur(1230), tenders)


def test_bad_tenders() -> None:
    with pytest.raises(DomainError, match="more than zero"):
        Tender("cash", eur(0))
    with pytest.raises(DomainError, match="more than zero"):
        Tender("card", eur(-1))
    with pytest.raises(DomainError, match="cash or card"):
        Tender("cheque", eur(100))  # type: ignore[arg-type]
    with pytest.raises(DomainError, match="at most 200"):
        Tender("card", eur(100), "x" * 201)
    with pytest.raises(CurrencyMismatchError):
        settle(eur(100), [Tender("cash", Money(100, "USD"))])
    with pytest.raises(DomainError, match="nothing to pay"):
        settle(eur(0), [Tender("cash", eur(100))])
    assert Tender("card", eur(1), "   ").reference is None


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (Money(1230, "EUR"), [1230, 1300, 1500, 2000, 5000]),
        (Money(2000, "EUR"), [2000, 5000, 10000]),
        (Money(1, "EUR"), [1, 100, 500, 1000, 2000]),
        (Money(1234, "JPY"), [1234, 1235, 1240, 1250, 1300]),
    ],
)
def test_quick_cash(total: Money, expected: list[int]) -> None:
    assert [m.minor for m in quick_cash(total)] == expected


def test_quick_cash_amounts_all_cover_the_total() -> None:
    for minor in range(1, 30_000, 37):
        amounts = quick_cash(eur(minor))
        assert amounts[0] == eur(minor) and amounts == sorted(set(amounts))
        settle(eur(minor), [Tender("cash", amounts[-1])])


@given(
    total=st.integers(1, 10**9),
    card_parts=st.lists(st.integers(1, 10**8), max_size=4),
    extra=st.integers(0, 10**6),
)
def test_settlement_invariants(total: int, card_parts: list[int], extra: int) -> None:
    cards, left = [], total
    for part in card_parts:
        if left <= 1:
            break
        amount = min(part, left - 1)
        cards.append(Tender("card", eur(amount)))
        left -= amount
    tenders = [*cards, Tender("cash", eur(left + extra))]
    s = settle(eur(total), tenders)
    assert s.total == eur(total)
    assert s.tendered - s.change == eur(total)
    assert s.change == eur(extra)
    assert all(p.applied == p.tender.amount for p in s.payments if p.tender.method == "card")


def test_tender_labels_read_the_same_on_screen_receipt_and_report() -> None:
    assert [tender_label(m) for m in ("cash", "card", "gift_card", "paypal", "Apple Pay")] == [
        "Cash", "Card", "Gift card", "Paypal", "Apple Pay",
    ]
