"""ApiHealth: when an outage starts and ends, and how little it says about it."""

from __future__ import annotations

import logging

import pytest
from telegram.error import BadRequest, NetworkError, TelegramError

from bot.telegram.health import ApiHealth
from bot.telegram.transport import quiet_outage_tracebacks


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.telegram.health"]


def test_a_few_failures_among_answers_are_no_outage(caplog: pytest.LogCaptureFixture) -> None:
    health = ApiHealth(clock=Ticks())
    health.answered()
    for _ in range(50):
        for _ in range(health.failures_for_outage - 1):
            health.failed("HTTP 502")
        health.answered()
    assert not health.down and health.outages == 0 and lines(caplog) == []


def test_an_outage_says_so_once_then_once_a_minute_then_once_when_it_ends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    ticks = Ticks()
    health = ApiHealth(clock=ticks)
    health.answered()
    for _ in range(3 * 60 * 10):  # three minutes of failures, ten a second
        ticks.now += 0.1
        health.failed("ConnectError")
    assert health.down
    ticks.now += 1
    health.answered(asked_at=ticks.now)
    said = lines(caplog)
    assert len(said) == 1 + 2 + 1
    assert said[0].startswith("Telegram Bot API unreachable (ConnectError)")
    assert "still unreachable after 1 min" in said[1] and "after 2 min" in said[2]
    assert said[3].startswith("Telegram Bot API reachable again after 3 min")
    assert not health.down and health.outages == 1


def test_before_any_answer_the_first_failure_is_an_outage(
    caplog: pytest.LogCaptureFixture,
) -> None:
    health = ApiHealth(clock=Ticks())
    health.failed("HTTP 502")
    assert health.down and len(lines(caplog)) == 1


def test_an_answer_to_a_call_made_before_the_outage_does_not_end_it() -> None:
    ticks = Ticks()
    health = ApiHealth(clock=ticks)
    long_poll_asked = health.now()
    ticks.now += 5
    health.failed("HTTP 502")  # nothing answered yet: down at once
    ticks.now += 5
    health.answered(asked_at=long_poll_asked)  # the long poll, asked before, returns
    assert health.down
    health.answered(asked_at=health.now())
    assert not health.down


def test_python_telegram_bots_own_network_tracebacks_shrink_to_one_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    quiet_outage_tracebacks()
    updater = logging.getLogger("telegram.ext.Updater")
    for error in (NetworkError("httpx.ConnectError: refused"), BadRequest("chat not found")):
        try:
            raise error
        except TelegramError:
            updater.exception("Error while calling `get_updates` one more time")
    outage, refusal = caplog.records[-2:]
    assert outage.exc_info is None and outage.getMessage().startswith("Error while calling")
    assert refusal.exc_info is not None  # not an outage: its traceback stays
