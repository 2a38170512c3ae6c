"""Text as a printer can print it.

Titles come from the shop, and a shop's data may hold control characters: sent to a thermal
printer as they are, ESC p is a drawer kick and GS V a cut. Amounts come from babel, which writes
a French thousands separator as U+202F (narrow no-break space): no receipt code page and no PDF
base font has it, so "1 234,56 €" printed as "1?234,56 €" or with a black box.
"""

from __future__ import annotations

import codecs
import unicodedata

# Narrow, figure, punctuation, thin and hair spaces: kept unbreakable, as the no-break space every
# code page and the PDF base fonts have.
_SPACES = {ord(c): "\u00a0" for c in "\u202f\u2007\u2008\u2009\u200a"}
# Typographic marks a code page may lack, with the plain character a reader takes for the same.
_PLAIN = {ord(k): v for k, v in {"‘": "'", "’": "'", "‚": ",", "“": '"', "”": '"', "„": '"', "–": "-",
                                 "—": "-", "−": "-", "…": "...", "•": "*"}.items()}  # fmt: skip


def printable(text: str) -> str:
    """`text` without control characters (a tab or line break becomes a space) and with the
    spaces no printer font has turned into no-break spaces."""
    if text.isascii() and text.isprintable():
        return text
    cleaned = "".join(
        " " if c in "\t\n\r" else c for c in text if c in "\t\n\r" or unicodedata.category(c) != "Cc"
    )
    return cleaned.translate(_SPACES)


def for_code_page(text: str, code_page: str) -> str:
    """`text` with each character the code page cannot encode replaced by its plain look-alike,
    where it has one (the rest still prints as "?")."""
    if text.isascii():
        return text
    codec = codecs.lookup(code_page).name  # every one of config.CODE_PAGES is a Python codec name
    out = []
    for c in text:
        try:
            c.encode(codec)
            out.append(c)
        except UnicodeEncodeError:
            out.append(_PLAIN.get(ord(c), c))
    return "".join(out)
