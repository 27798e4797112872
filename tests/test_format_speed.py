"""Money formatted from one compiled pattern per locale and currency, each amount's, day's and
moment's text kept: the text is Babel's to the character, in every locale, sign and size."""

from __future__ import annotations

import random
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, get_currency_precision

from crmcli.core.decimals import half_up
from crmcli.fields.formatting import Formatter

LOCALES = ["fr_FR", "en_US", "ru_RU", "de_CH", "hi_IN", "ja_JP", "ar_EG", "nl_NL", "pt_BR"]
CURRENCIES = ["EUR", "USD", "RUB", "JPY", "INR", "CHF", "KWD"]


def babel_money(value: float | Decimal, currency: str, locale: str) -> str:
    return format_currency(
        half_up(value, get_currency_precision(currency)), currency, locale=locale
    )


def amounts() -> list[float | Decimal]:
    """Whole, cents, half cents, negative, the signed zero a tiny refund rounds to, large."""
    rng = random.Random(14)
    found: list[float | Decimal] = [0, -0.001, 0.005, -12000, 46400.525, 1e15, 123456789.987]
    found += [Decimal("-0.004"), Decimal("2.675"), Decimal("99999999999.995")]
    found += [rng.uniform(-1e7, 1e7) for _ in range(200)]
    found += [rng.randrange(0, 10**9) for _ in range(100)]
    return found


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("currency", CURRENCIES)
def test_money_is_babels_text_for_every_amount(locale: str, currency: str) -> None:
    formatter = Formatter(locale, "EUR")
    for value in amounts():
        assert formatter.money(value, currency) == babel_money(value, currency, locale), value


def test_a_signed_zero_keeps_its_sign_once_another_zero_was_shown() -> None:
    formatter = Formatter("fr_FR", "EUR")
    assert formatter.money(0) == babel_money(0, "EUR", "fr_FR")
    assert formatter.money(-0.001) == babel_money(-0.001, "EUR", "fr_FR")
    assert formatter.money(-0.001) != formatter.money(0)


def test_a_board_of_repeated_amounts_costs_far_less_than_babel_per_amount() -> None:
    """The same few hundred amounts shown tens of thousands of times (a board's cards)."""
    formatter = Formatter("fr_FR", "EUR")
    values = [500 * (i % 300) for i in range(20_000)]
    start = time.process_time()
    for value in values:
        babel_money(value, "EUR", "fr_FR")
    babel_seconds = time.process_time() - start
    start = time.process_time()
    shown = [formatter.money(value) for value in values]
    ours = time.process_time() - start
    assert shown[301] == babel_money(500, "EUR", "fr_FR")
    assert ours * 4 < babel_seconds


@pytest.mark.parametrize("locale", ["fr_FR", "en_US", "ru_RU"])
def test_days_and_moments_are_babels_text(locale: str) -> None:
    formatter = Formatter(locale, "EUR", "Europe/Paris")
    paris = ZoneInfo("Europe/Paris")
    start = datetime(2026, 3, 28, 23, 30, tzinfo=paris)
    for hours in range(0, 24 * 40, 7):
        moment = start + timedelta(hours=hours)
        assert formatter.moment(moment) == format_datetime(moment, "medium", locale=locale)
        assert formatter.day(moment.date()) == format_date(moment.date(), "medium", locale=locale)
    naive = datetime(2026, 12, 1, 9, 0)
    assert formatter.moment(naive) == format_datetime(naive, "medium", locale=locale)
    assert formatter.day(date(2026, 12, 1)) == format_date(
        date(2026, 12, 1), "medium", locale=locale
    )


def test_one_instant_reads_as_the_workspace_time_whatever_zone_wrote_it() -> None:
    """Equal instants: the text kept for the first is right for the second (both are shown
    in the workspace's zone), and a naive moment stays its own wall time."""
    paris = Formatter("fr_FR", "EUR", "Europe/Paris")
    in_moscow = datetime(2026, 12, 1, 11, 0, tzinfo=ZoneInfo("Europe/Moscow"))
    in_paris = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert paris.moment(in_moscow) == paris.moment(in_paris)
    assert paris.moment(datetime(2026, 12, 1, 11, 0)) != paris.moment(in_paris)
    assert Formatter("fr_FR", "EUR", "Europe/Moscow").moment(in_paris) == format_datetime(
        in_moscow.replace(tzinfo=None), "medium", locale="fr_FR"
    )
