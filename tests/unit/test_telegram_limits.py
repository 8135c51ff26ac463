from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.telegram.limits import split_text


@given(st.lists(st.text(alphabet="ab <>/", max_size=30), max_size=40), st.integers(30, 200))
def test_parts_fit_the_limit_and_join_back_into_the_text(lines: list[str], limit: int) -> None:
    text = "\n".join(lines)
    parts = split_text(text, limit)
    assert all(len(part) <= limit for part in parts)
    assert "\n".join(parts) == text


def test_a_short_text_is_one_part_and_a_long_one_breaks_between_lines() -> None:
    assert split_text("hello") == ["hello"]
    assert split_text("line one\nline two\nthree", limit=17) == ["line one\nline two", "three"]


def test_a_line_longer_than_the_limit_is_cut_at_the_limit() -> None:
    assert split_text("x" * 25, limit=10) == ["x" * 10, "x" * 10, "x" * 5]
