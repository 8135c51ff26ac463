"""What people type: every parse answers with a value or None, never an exception."""

from __future__ import annotations

from datetime import date, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.core.parsing import (
    MAX_USER_ID,
    ZONE_SUGGESTIONS,
    is_cancel,
    looks_numeric,
    parse_choice,
    parse_clock_time,
    parse_invite_code,
    parse_timezone,
    parse_user_id,
    suggest_timezones,
    whole_number,
)
from bot.core.policy.dates import parse_day
from bot.core.reports.periods import MAX_DAYS, parse_period

#: Text as people type it, and the shapes the parsers look for, with odd digits mixed in.
DIGITS = st.sampled_from("0123456789²³¹٣٤۵१௫０１")
SHAPED = st.lists(
    st.one_of(DIGITS, st.sampled_from(["-", "/", ".", "..", " ", "w", "th", "dec", ":"])),
    max_size=14,
).map("".join)
TYPED = st.one_of(st.text(), SHAPED, st.text(alphabet="0123456789", max_size=5000))
DAYS = st.dates(min_value=date(1, 1, 1), max_value=date(9998, 12, 31))
ZONES = sorted(available_timezones())


@given(TYPED, st.integers(-5, 100), st.integers(0, 10**12))
def test_whole_number_is_in_range_or_none(text: str, low: int, high: int) -> None:
    value = whole_number(text, low, high)
    assert value is None or low <= value <= high
    if value is not None:
        assert text.strip().isascii()


@given(st.integers(0, 10**15))
def test_whole_numbers_read_back(number: int) -> None:
    assert whole_number(f" {number} ", 0, 10**15) == number


def test_unicode_digits_are_not_numbers_but_look_numeric() -> None:
    for text in ("²", "٣", "१२", "０７"):
        assert whole_number(text, 0, 100) is None
        assert looks_numeric(text)
    assert not looks_numeric("12th")
    assert not looks_numeric("")


@given(TYPED)
def test_user_ids_and_choices(text: str) -> None:
    user_id = parse_user_id(text)
    assert user_id is None or 1 <= user_id <= MAX_USER_ID
    choice = parse_choice(text, 4)
    assert choice is None or 0 <= choice < 4
    code = parse_invite_code(text)
    assert code is None or (code.isascii() and 1 <= len(code) <= 64)


def test_a_user_id_longer_than_telegram_uses_is_refused() -> None:
    assert parse_user_id("99999999999999999999") is None
    assert parse_user_id("123456789") == 123456789


@given(st.one_of(TYPED, st.sampled_from(["Europe", "europe/", "../etc/passwd", "x" * 300])))
def test_a_time_zone_is_a_real_zone_or_none(text: str) -> None:
    zone = parse_timezone(text)
    if zone is not None:
        ZoneInfo(zone)


@given(st.sampled_from(ZONES), st.booleans())
def test_every_zone_is_understood_in_any_case_and_with_spaces(zone: str, shout: bool) -> None:
    typed = zone.replace("_", " ")
    assert parse_timezone(typed.upper() if shout else typed.lower()) == zone


def test_folders_and_long_text_are_not_time_zones() -> None:
    assert parse_timezone("Europe") is None
    assert parse_timezone("Europe/" + "x" * 300) is None
    assert parse_timezone("europe/london") == "Europe/London"


@given(TYPED, DAYS)
def test_a_day_is_within_the_coming_year_or_none(text: str, today: date) -> None:
    found = parse_day(text, today)
    assert found is None or today <= found <= today + timedelta(days=366)


@given(DAYS, st.integers(0, 365))
def test_a_typed_day_reads_back(today: date, ahead: int) -> None:
    day = today + timedelta(days=ahead)
    assert parse_day(f"{day.day}/{day.month}/{day.year:04d}", today) == day
    assert parse_day(f"until {day.isoformat()}", today) == day


@given(
    st.one_of(TYPED, st.builds("{:04d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 99))),
    DAYS,
)
def test_a_period_is_real_and_bounded_or_none(text: str, today: date) -> None:
    period = parse_period(text, today, "Europe/London")
    if period is not None:
        assert period.first <= period.last
        assert (period.last - period.first).days < MAX_DAYS
        assert period.first <= today


@given(st.integers(1, 9999), st.integers(1, 12))
def test_every_month_of_the_calendar_reads_or_is_refused_cleanly(year: int, month: int) -> None:
    today = date(9999, 12, 31)
    period = parse_period(f"{year:04d}-{month:02d}", today, "Europe/London")
    assert period is not None and period.first == date(year, month, 1)


@given(st.text(min_size=1))
def test_typed_digits_of_other_scripts_never_read_as_pause_days(text: str) -> None:
    assume(not text.strip().isascii())
    assert whole_number(text, 1, 90) is None


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("7:30", time(7, 30)),
        ("07:30", time(7, 30)),
        ("7.30", time(7, 30)),
        ("7am", time(7, 0)),
        ("7 AM", time(7, 0)),
        ("7:30pm", time(19, 30)),
        ("7.30 p.m.", time(19, 30)),
        ("19:45", time(19, 45)),
        ("1930", time(19, 30)),
        ("12pm", time(12, 0)),
        ("12am", time(0, 0)),
        ("noon", time(12, 0)),
        ("9", time(9, 0)),
        ("5:30", time(5, 30)),  # the 24-hour clock without am or pm: no guessing
    ],
)
def test_typed_times_read_as_meant(typed: str, meant: time) -> None:
    assert parse_clock_time(typed) == meant


@pytest.mark.parametrize(
    "typed", ["", "half seven", "7:60", "24:00", "13pm", "0am", "7m", "²:30", "7:٣0", "1" * 300]
)
def test_what_is_not_a_time_is_none(typed: str) -> None:
    assert parse_clock_time(typed) is None


@given(TYPED)
def test_any_text_is_a_time_or_none(text: str) -> None:
    found = parse_clock_time(text)
    assert found is None or isinstance(found, time)


@pytest.mark.parametrize(
    ("typed", "first"),
    [
        ("spain", "Europe/Madrid"),
        ("Spain", "Europe/Madrid"),
        ("madrid", "Europe/Madrid"),
        ("madird", "Europe/Madrid"),
        ("Europe/Madird", "Europe/Madrid"),
        ("england", "Europe/London"),
        ("UK", "Europe/London"),
        ("londn", "Europe/London"),
        ("ireland", "Europe/Dublin"),
        ("poland", "Europe/Warsaw"),
        ("new york", "America/New_York"),
    ],
)
def test_names_that_are_not_zones_suggest_the_nearest_zones(typed: str, first: str) -> None:
    suggestions = suggest_timezones(typed)
    assert suggestions[0] == first
    assert len(suggestions) <= ZONE_SUGGESTIONS
    assert all(parse_timezone(zone) == zone for zone in suggestions)


def test_a_country_with_several_zones_suggests_them_in_the_tables_order() -> None:
    assert suggest_timezones("spain") == ["Europe/Madrid", "Africa/Ceuta", "Atlantic/Canary"]


@given(TYPED)
def test_any_text_suggests_real_zones_or_none(text: str) -> None:
    suggestions = suggest_timezones(text)
    assert len(suggestions) <= ZONE_SUGGESTIONS
    assert all(parse_timezone(zone) == zone for zone in suggestions)


def test_cancel_in_the_words_people_use() -> None:
    assert all(is_cancel(word) for word in ("cancel", "Cancel.", "/cancel", "never  mind"))
    assert not any(is_cancel(word) for word in ("", "7:30", "spain", "cancel my 7:30"))
