"""The shop lists products by title_order_key; tills rank search results by SQLite's NOCASE collation.

The two must order every pair of titles alike, or a till would take an in-order snapshot for an
out-of-order one (a slower first sync) or, worse, number search rows against the wrong order.
"""

from __future__ import annotations

import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from sync.protocol import title_order_key

_TITLES = st.text(
    alphabet=st.one_of(
        st.sampled_from("aAbBzZ-_ 09[]`{~@"),  # ASCII around the letters' borders
        # Anything else but NUL, where SQLite's NOCASE stops comparing (a title never holds one).
        st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"),
    ),
    max_size=12,
)


def _nocase_order(con: sqlite3.Connection, a: str, b: str) -> int:
    (sign,) = con.execute(
        "SELECT CASE WHEN ? < ? COLLATE NOCASE THEN -1 WHEN ? = ? COLLATE NOCASE THEN 0 ELSE 1 END",
        (a, b, a, b),
    ).fetchone()
    return int(sign)


@given(_TITLES, _TITLES)
def test_titles_order_by_their_key_as_sqlite_nocase_orders_them(a: str, b: str) -> None:
    ka, kb = title_order_key(a), title_order_key(b)
    key_order = (ka > kb) - (ka < kb)
    with sqlite3.connect(":memory:") as con:
        assert key_order == _nocase_order(con, a, b)


def test_only_ascii_letters_are_folded() -> None:
    assert title_order_key("Émile ÀB Tee") == "Émile Àb tee"
    assert title_order_key("ÉMILE") == "Émile"
    assert title_order_key("MUG [XL]") == "mug [xl]"
