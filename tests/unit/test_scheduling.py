"""When prompts are due: working days, quiet hours, time zones and clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from bot.core.model import Operative, Status
from bot.core.policy.scheduling import (
    PromptDay,
    at_local,
    first_working_day,
    misses_in_a_row,
    prompt_due,
    reminder_time,
    send_now_time,
    snoozed,
    streak,
)


def operative(**changes: object) -> Operative:
    person = Operative(telegram_id=1, display_name="Sam", timezone="Europe/London")
    for name, value in changes.items():
        setattr(person, name, value)
    return person


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "due"),
    [
        # Winter (GMT): 08:00 local is 08:00 UTC.
        (utc(2026, 3, 27, 7, 59), None),
        (utc(2026, 3, 27, 8, 0), date(2026, 3, 27)),
        # Sunday 29 March 2026 the clocks go forward; Monday 30th 08:00 BST is 07:00 UTC.
        (utc(2026, 3, 30, 6, 59), None),
        (utc(2026, 3, 30, 7, 0), date(2026, 3, 30)),
        # Sunday 25 October 2026 they go back; Monday 26th 08:00 GMT is 08:00 UTC again.
        (utc(2026, 10, 23, 7, 0), date(2026, 10, 23)),  # Friday, still BST
        (utc(2026, 10, 26, 7, 30), None),
        (utc(2026, 10, 26, 8, 0), date(2026, 10, 26)),
    ],
)
def test_prompt_time_follows_london_clock_changes(moment: datetime, due: date | None) -> None:
    assert prompt_due(operative(), moment) == due


def test_weekends_and_quiet_hours_are_never_due() -> None:
    sam = operative()
    assert prompt_due(sam, utc(2026, 3, 28, 12, 0)) is None  # Saturday
    assert prompt_due(sam, utc(2026, 12, 1, 20, 0)) is None  # 20:00 GMT: too late
    assert prompt_due(sam, utc(2026, 12, 1, 19, 59)) == date(2026, 12, 1)


def test_other_time_zones_use_their_own_clock() -> None:
    dublin = operative(timezone="Europe/Dublin", prompt_time=time(9, 0))
    athens = operative(timezone="Europe/Athens", prompt_time=time(9, 0))
    moment = utc(2026, 6, 2, 7, 30)  # 08:30 in Dublin, 10:30 in Athens
    assert prompt_due(dublin, moment) is None
    assert prompt_due(athens, moment) == date(2026, 6, 2)


def test_a_late_evening_zone_rolls_to_its_own_date() -> None:
    auckland = operative(timezone="Pacific/Auckland", prompt_time=time(7, 0))
    # 19:30 UTC on Monday 1 June is 07:30 on Tuesday 2 June in Auckland.
    assert prompt_due(auckland, utc(2026, 6, 1, 19, 30)) == date(2026, 6, 2)


def test_pauses_and_stopped_people_are_never_due() -> None:
    moment = utc(2026, 12, 1, 9, 0)
    assert prompt_due(operative(status=Status.PAUSED, paused_until=None), moment) is None
    assert (
        prompt_due(operative(status=Status.PAUSED, paused_until=date(2026, 12, 2)), moment) is None
    )
    assert prompt_due(
        operative(status=Status.PAUSED, paused_until=date(2026, 12, 1)), moment
    ) == date(2026, 12, 1)
    assert prompt_due(operative(status=Status.STOPPED), moment) is None
    assert prompt_due(operative(status=Status.UNREACHABLE), moment) is None


def test_send_now_waits_for_seven_and_skips_days_off() -> None:
    sam = operative()
    assert send_now_time(sam, utc(2026, 12, 1, 5, 0)) == utc(2026, 12, 1, 7, 0)
    assert send_now_time(sam, utc(2026, 12, 1, 10, 0)) == utc(2026, 12, 1, 10, 0)
    assert send_now_time(sam, utc(2026, 12, 1, 21, 0)) is None
    assert send_now_time(sam, utc(2026, 12, 5, 10, 0)) is None  # Saturday


def test_reminders_come_three_hours_later_but_never_after_half_seven() -> None:
    sam = operative()
    assert reminder_time(sam, utc(2026, 12, 1, 8, 0)) == utc(2026, 12, 1, 11, 0)
    assert reminder_time(sam, utc(2026, 12, 1, 16, 30)) == utc(2026, 12, 1, 19, 30)
    assert reminder_time(sam, utc(2026, 12, 1, 17, 0)) is None


def test_snooze_is_an_hour_unless_it_runs_into_the_evening() -> None:
    sam = operative()
    now = utc(2026, 12, 1, 8, 5)
    assert snoozed(sam, utc(2026, 12, 1, 8, 0), now) == utc(2026, 12, 1, 9, 5)
    assert snoozed(sam, utc(2026, 12, 1, 19, 0), utc(2026, 12, 1, 19, 10)) is None


def test_nonexistent_local_times_move_past_the_gap() -> None:
    # 01:30 on 29 March 2026 does not exist in London.
    assert at_local(date(2026, 3, 29), time(1, 30), "Europe/London") == utc(2026, 3, 29, 1, 30)


def test_streak_skips_days_without_prompts_and_waits_for_today() -> None:
    today = date(2026, 12, 8)  # Tuesday
    days = [
        PromptDay(date(2026, 12, 1), False),
        PromptDay(date(2026, 12, 3), True),  # Thursday
        PromptDay(date(2026, 12, 4), True),  # Friday; the weekend has no prompts
        PromptDay(date(2026, 12, 7), True),  # Monday
        PromptDay(date(2026, 12, 8), False),  # today, not answered yet
    ]
    assert streak(days, today) == 3
    assert streak(days, date(2026, 12, 9)) == 0  # tomorrow, today's miss breaks it
    assert streak([], today) == 0


def test_misses_in_a_row_count_back_to_the_last_answer() -> None:
    days = [
        PromptDay(date(2026, 12, 1), True),
        PromptDay(date(2026, 12, 2), False),
        PromptDay(date(2026, 12, 3), False),
        PromptDay(date(2026, 12, 4), False),
    ]
    assert misses_in_a_row(days, date(2026, 12, 7)) == 3
    assert misses_in_a_row(days, date(2026, 12, 4)) == 2


def test_the_first_working_day_skips_days_off() -> None:
    weekdays = operative(working_days=frozenset(range(5)))
    assert first_working_day(weekdays, date(2026, 12, 5)) == date(2026, 12, 7)  # Sat -> Mon
    assert first_working_day(weekdays, date(2026, 12, 7)) == date(2026, 12, 7)
    weekends = operative(working_days=frozenset({5, 6}), status=Status.PAUSED)
    assert first_working_day(weekends, date(2026, 12, 7)) == date(2026, 12, 12)
    assert first_working_day(operative(working_days=frozenset()), date(2026, 12, 7)) is None
