"""Money on screen is the amount stored, in the currency's own minor units (pos.domain.money)."""

from __future__ import annotations

from pos.ui.formatting import MoneyFormatter


def test_screen_amounts_keep_the_currency_s_minor_units_where_babel_would_round() -> None:
    huf = MoneyFormatter("HUF", "hu_HU")
    assert huf.format(19950) == "199,50\xa0Ft"  # not "200 Ft"
    assert huf.range(5, 19950) == "0,05\xa0Ft – 199,50\xa0Ft"  # not "0 Ft – 200 Ft"
    assert MoneyFormatter("IQD", "en_US").format(250) == "IQD0.250"  # not "IQD0"
    assert MoneyFormatter("EUR", "en_GB").format(1999) == "€19.99"
