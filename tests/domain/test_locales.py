from __future__ import annotations

import pytest

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


def test_the_till_locale_is_one_money_can_be_written_in() -> None:
    name = system_locale()  # en_GB on a machine set to C, as CI is
    assert checked_locale(name) and Money(1999, "EUR").format(name)
    assert checked_locale(FALLBACK_LOCALE) == "en_GB"
