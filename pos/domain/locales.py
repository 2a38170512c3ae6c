"""Which locale money is written in: the till's own, or one a person chose (babel's names)."""

from __future__ import annotations

import locale as pylocale
import re

from babel import Locale, UnknownLocaleError

from pos.domain.errors import DomainError

FALLBACK_LOCALE = "en_GB"
# language[_Script][_TERRITORY]: babel reads a name loosely ("de_DE; x" as "de"), so the shape first.
_NAME = re.compile(r"[A-Za-z]{2,3}(?:_[A-Za-z]{4})?(?:_(?:[A-Za-z]{2}|[0-9]{3}))?")


def system_locale() -> str:
    """The person's locale for formatting, falling back to en_GB on machines set to C/POSIX."""
    name = pylocale.getlocale(pylocale.LC_NUMERIC)[0] or pylocale.getlocale()[0]
    if not name or name in ("C", "POSIX"):
        return FALLBACK_LOCALE
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError):
        return FALLBACK_LOCALE
    return name


def checked_locale(name: str) -> str:
    """`name` as babel writes it ("de-de" -> "de_DE"); DomainError if babel knows no such locale."""
    text = name.strip()
    try:
        if not _NAME.fullmatch(text.replace("-", "_")):
            raise ValueError(text)
        return str(Locale.parse(text.replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        raise DomainError(
            f"{text!r} is not a locale: write a language and country such as de_DE, en_GB or fr_FR.",
            field="locale",
        ) from None
