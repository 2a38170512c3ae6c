"""Returns in the domain: returnable quantities, proportional refunds, refund split by tender."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pos.domain.errors import DomainError
from pos.domain.money import Money
from pos.domain.returns import (
    LineRefund,
    Paid,
    Refund,
    SoldLine,
    plan_return,
    refund_for,
    split_refund,
)


def eur(minor: int) -> Money:
    return Money(minor, "EUR")


def line(quantity: int = 3, total: int = 1000, tax: int = 167, **kw) -> SoldLine:
    return SoldLine("l1", "Merino Hoodie", quantity, eur(total), eur(tax), **kw)


def test_one_of_three_refunds_a_third_half_up() -> None:
    assert refund_for(line(), 1) == LineRefund("l1", 1, eur(333), eur(56))  # 333.33, 55.67
    assert refund_for(line(), 2) == LineRefund("l1", 2, eur(667), eur(111))  # 666.67, 111.33


def test_the_last_units_get_exactly_what_is_left() -> None:
    first = refund_for(line(), 1)
    rest = refund_for(line(returned=1, refunded=first.amount, refunded_tax=first.tax), 2)
    assert rest == LineRefund("l1", 2, eur(667), eur(111))
    assert first.amount + rest.amount == eur(1000)
    assert first.tax + rest.tax == eur(167)


def test_returning_everything_refunds_the_line_total_exactly() -> None:
    assert refund_for(line(quantity=7, total=1001, tax=3), 7) == LineRefund("l1", 7, eur(1001), eur(3))


def test_small_partial_refunds_never_add_up_to_more_than_the_line() -> None:
    # 3 cents over 5 units: 0.6 rounds up to 1 each time, but only 3 cents were paid.
    sold = line(quantity=5, total=3, tax=0)
    paid_back = eur(0)
    for returned in range(5):
        current = SoldLine("l1", "Sticker", 5, eur(3), eur(0), returned=returned, refunded=paid_back)
        paid_back = paid_back + refund_for(current, 1).amount
        assert paid_back <= sold.total
    assert paid_back == eur(3)


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (0, "at least 1"),
        (-2, "at least 1"),
        (4, "only 3 were sold"),
        (True, "whole number"),
        (1.0, "whole number"),
        ("1", "whole number"),
    ],
)
def test_bad_quantities_are_refused_with_a_reason(quantity, message) -> None:
    with pytest.raises(DomainError, match=message):
        refund_for(line(), quantity)


def test_what_was_returned_already_cannot_come_back_twice() -> None:
    with pytest.raises(DomainError, match=r"only 1 can still be returned \(3 sold, 2 returned\)"):
        refund_for(line(returned=2, refunded=eur(667), refunded_tax=eur(111)), 2)
    with pytest.raises(DomainError, match="all 3 sold have been returned already"):
        refund_for(line(returned=3, refunded=eur(1000), refunded_tax=eur(167)), 1)


def test_plan_keeps_the_sale_order_and_refuses_empty_or_foreign_selections() -> None:
    lines = [SoldLine("a", "A", 2, eur(500), eur(0)), SoldLine("b", "B", 1, eur(250), eur(0))]
    plan = plan_return(lines, {"b": 1, "a": 1})
    assert [r.line_id for r in plan] == ["a", "b"]
    assert [r.amount for r in plan] == [eur(250), eur(250)]
    with pytest.raises(DomainError, match="Choose at least one item"):
        plan_return(lines, {})
    with pytest.raises(DomainError, match="not part of this sale"):
        plan_return(lines, {"zzz": 1})


def test_original_tender_refund_goes_to_card_up_to_what_the_card_paid_rest_cash() -> None:
    paid = [Paid("cash", eur(1500)), Paid("card", eur(2500))]
    assert split_refund(eur(1000), paid, refund_to="original") == (Refund("card", eur(1000)),)
    assert split_refund(eur(3000), paid, refund_to="original") == (
        Refund("card", eur(2500)),
        Refund("cash", eur(500)),
    )
    # An earlier return already put 2000 back on the card: only 500 more can go there.
    assert split_refund(eur(1000), paid, refund_to="original", refunded_before={"card": eur(2000)}) == (
        Refund("card", eur(500)),
        Refund("cash", eur(500)),
    )


def test_cash_refund_and_cash_only_sales() -> None:
    paid = [Paid("card", eur(4000))]
    assert split_refund(eur(1234), paid, refund_to="cash") == (Refund("cash", eur(1234)),)
    assert split_refund(eur(1234), [Paid("cash", eur(4000))], refund_to="original") == (
        Refund("cash", eur(1234)),
    )
    assert split_refund(eur(0), paid, refund_to="original") == (Refund("cash", eur(0)),)
    with pytest.raises(DomainError, match="original payment or cash"):
        split_refund(eur(1), paid, refund_to="voucher")


# --- properties -------------------------------------------------------------------------------

sold_lines = st.lists(
    # qty, total (tiny totals too: that is where rounding bites), tax %
    st.tuples(st.integers(1, 40), st.integers(0, 20) | st.integers(0, 500_000), st.integers(0, 100)),
    min_size=1,
    max_size=6,
)


def _line(lines: list[SoldLine], line_id: str) -> SoldLine:
    return next(sl for sl in lines if sl.line_id == line_id)


@settings(max_examples=300, deadline=None)
@given(sold_lines, st.data())
def test_any_sequence_of_returns_refunds_at_most_the_sale_and_everything_refunds_it_exactly(
    specs, data
) -> None:
    lines = [
        SoldLine(f"l{i}", f"Item {i}", qty, eur(total), eur(total * tax_pct // 100))
        for i, (qty, total, tax_pct) in enumerate(specs)
    ]
    while any(sl.returnable for sl in lines):
        # The simplest draw (0 held back) returns everything at once; larger ones return in pieces.
        kept = {sl.line_id: data.draw(st.integers(0, sl.returnable)) for sl in lines if sl.returnable}
        chosen = {line_id: sl_left for line_id, held in kept.items()
                  if (sl_left := _line(lines, line_id).returnable - held) > 0}
        if not chosen:
            continue
        for refund in plan_return(lines, chosen):
            index = int(refund.line_id[1:])
            before = lines[index]
            assert refund.amount <= before.amount_left and refund.tax <= before.tax_left
            assert refund.amount.minor >= 0 and refund.tax.minor >= 0
            lines[index] = SoldLine(
                before.line_id, before.title, before.quantity, before.total, before.tax,
                returned=before.returned + refund.quantity,
                refunded=before.refunded + refund.amount,
                refunded_tax=before.refunded_tax + refund.tax,
            )
        over = next((sl for sl in lines if sl.line_id not in chosen), lines[0])
        with pytest.raises(DomainError):  # never more than sold minus returned
            plan_return(lines, {over.line_id: over.returnable + 1})
    for sl in lines:
        assert sl.refunded == sl.total and sl.refunded_tax == sl.tax


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["cash", "card"]), st.integers(1, 100_000)), min_size=1, max_size=4),
    st.integers(0, 200_000),
    st.integers(0, 100_000),
    st.sampled_from(["original", "cash"]),
)
def test_refund_split_adds_up_and_never_puts_more_on_a_card_than_it_paid(
    tenders, amount, card_before, mode
) -> None:
    paid = [Paid(method, eur(minor)) for method, minor in tenders]
    card_paid = sum(minor for method, minor in tenders if method == "card")
    card_before = min(card_before, card_paid)
    refunds = split_refund(eur(amount), paid, refund_to=mode, refunded_before={"card": eur(card_before)})
    assert sum(r.amount.minor for r in refunds) == amount
    to_card = sum(r.amount.minor for r in refunds if r.method == "card")
    assert to_card <= card_paid - card_before
    if mode == "cash":
        assert {r.method for r in refunds} == {"cash"}
    else:
        assert to_card == min(amount, card_paid - card_before)
