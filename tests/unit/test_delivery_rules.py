"""How long the outbox keeps trying: back-off and each message's deadline."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.core.jobs.delivery import MAX_BACKOFF, backoff, deadline
from bot.core.model import Kind, OutboxMessage


def message(kind: Kind, due_at: datetime, timezone: str = "Europe/London") -> OutboxMessage:
    return OutboxMessage(
        kind=kind,
        operative_id=1,
        chat_id=1,
        local_date=date(2026, 7, 1),
        text="x",
        due_at=due_at,
        timezone=timezone,
    )


def test_back_off_doubles_to_a_minute_and_stays_there() -> None:
    assert [backoff(n).total_seconds() for n in range(8)] == [1, 2, 4, 8, 16, 32, 60, 60]
    assert backoff(10_000) == MAX_BACKOFF


def test_a_prompt_is_worth_sending_until_20_00_that_day_where_the_operative_is() -> None:
    due = datetime(2026, 7, 1, 7, 0, tzinfo=UTC)  # 08:00 in London (summer time)
    assert deadline(message(Kind.PROMPT, due)) == datetime(2026, 7, 1, 19, 0, tzinfo=UTC)
    tokyo = message(Kind.REMINDER, due, "Asia/Tokyo")
    assert deadline(tokyo) == datetime(2026, 7, 1, 11, 0, tzinfo=UTC)


def test_a_follow_up_or_digest_is_worth_sending_for_a_day_after_it_was_due() -> None:
    due = datetime(2026, 7, 1, 15, 30, tzinfo=UTC)
    assert deadline(message(Kind.FOLLOW_UP, due)) == due + timedelta(days=1)
    assert deadline(message(Kind.DIGEST, due)) == due + timedelta(days=1)
