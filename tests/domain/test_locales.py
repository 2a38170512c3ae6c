from __future__ import annotations

import pytest

from pos.domain import locales
from pos.domain.errors import DomainError
from pos.domain.locales import FALLBACK_LOCALE, checked_locale, system_locale
from pos.domain.money import Money


@pytest.mark.parametrize(
    ("typed", "name"),
    [("de_DE", "de_DE"), ("de-de", "de_DE"), (" fr_FR ", "fr_FR"), ("en", "en"), ("sr_Latn", "sr_Latn")],
)
def test_a_locale_is_written_as_babel_names_it(typed: str, name: str) -> None:
    assert checked_locale(typed) == name


@pytest.mark.parametrize("typed", ["Deutsch", "xx_YY", "", "de_DE; DROP", "12", "de_DE.UTF-8"])
def test_what_is_not_a_locale_is_refused_by_name(typed: str) -> None:
    with pytest.raises(DomainError, match="is not a locale: write a language and country"):
        checked_locale(typed)


@pytest.mark.parametrize(
    ("machine", "used"),
    [(("de_DE", "UTF-8"), "de_DE"), (("C", None), FALLBACK_LOCALE), ((None, None), FALLBACK_LOCALE),
     (("xx_XX", "UTF-8"), FALLBACK_LOCALE)],
)
def test_the_till_locale_is_the_machines_or_en_gb(
    monkeypatch: pytest.MonkeyPatch, machine: tuple[str | None, str | None], used: str
) -> None:
    # The operating system's setting is the outside world here: set as a machine would have it.
    monkeypatch.setattr(locales.pylocale, "getlocale", lambda *_category: machine)
    assert system_locale() == used
    assert Money(1999, "EUR").format(system_locale()) == ("19,99\xa0€" if used == "de_DE" else "€19.99")
