"""Small pieces with sharp edges: dates people type, cohort names, invite codes, HTML."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.content.html import html_problem, visible_length
from bot.core.handlers.facilitation import split_name_and_date
from bot.core.policy.dates import parse_day
from bot.core.policy.invites import ALPHABET, CODE_LENGTH, deep_link, new_invite_code

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("24/12", date(2026, 12, 24)),
        ("until 24/12", date(2026, 12, 24)),
        ("24 dec", date(2026, 12, 24)),
        ("24th December", date(2026, 12, 24)),
        ("2026-12-24", date(2026, 12, 24)),
        ("5.12.26", date(2026, 12, 5)),
        ("1/1", date(2027, 1, 1)),  # no year: the next one
        ("31/11", None),  # no such day
        ("someday", None),
        ("2029-01-01", None),  # more than a year ahead
    ],
)
def test_dates_are_read_day_first(typed: str, expected: date | None) -> None:
    assert parse_day(typed, TODAY) == expected


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("Leeds repairs 28/11", ("Leeds repairs", "28/11")),
        ("Hull north 28 Nov", ("Hull north", "28 Nov")),
        ("Group 2", ("Group 2", None)),
        ("Leeds 2026 cohort", ("Leeds 2026 cohort", None)),
        ("Bradford", ("Bradford", None)),
    ],
)
def test_only_a_date_shaped_ending_is_a_workshop_date(
    args: str, expected: tuple[str, str | None]
) -> None:
    assert split_name_and_date(args) == expected


def test_invite_codes_are_long_unambiguous_and_fit_a_deep_link() -> None:
    codes = {new_invite_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == CODE_LENGTH >= 8
        assert set(code) <= set(ALPHABET)
        assert not set(code) & set("0O1lI")
    assert deep_link("@doorstep_coach_bot", "AbC") == "https://t.me/doorstep_coach_bot?start=AbC"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Show your <b>ID</b>", None),
        ("Tom &amp; Jerry", None),
        ('<a href="https://x.org">x</a>', None),
        ("Tom & Jerry", "a bare '&' must be written &amp;"),
        ("a < b", "a bare '<' or '>' must be written &lt; or &gt;"),
        ("<div>no</div>", "<div> is not a tag Telegram accepts"),
        ("<b>open", "<b> is never closed"),
        ("<b><i>x</b></i>", "</b> does not close the last opened tag"),
    ],
)
def test_telegram_html_is_checked_like_telegram(text: str, problem: str | None) -> None:
    assert html_problem(text) == problem


def test_visible_length_counts_what_telegram_counts() -> None:
    assert visible_length("<b>Hi</b> &amp; bye") == len("Hi & bye")
