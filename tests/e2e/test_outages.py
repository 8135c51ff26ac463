"""The Bot API down, flaky or losing answers: nothing lost, few log lines, quick recovery.

In-process with the real Application, and `coachbot run` as a separate process."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from telegram.ext import Application

from bot.core.jobs.delivery import Deliveries
from bot.core.jobs.planner import DailyPrompts
from bot.core.model import Delivery, Kind
from bot.core.router import Coach
from bot.telegram.delivery import DeliveryWorker
from bot.telegram.transport import health_of
from tests.bot_process import (
    STARTUP_SECONDS,
    BotProcess,
    enrol,
    environment,
    midday_zone,
    prompts_received,
    unconfirmed,
)
from tests.e2e.test_delivery import enrol_many
from tests.fake_bot_api import FakeBotAPI, Fault
from tests.support import FakeClock

pytestmark = pytest.mark.e2e
MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # a Tuesday


def running_clock(start: datetime) -> Callable[[], datetime]:
    """A clock that runs at real speed from ``start``: retries fall due as they would."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


async def wait_until(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def outage_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if "Telegram Bot API" in line]


async def test_an_outage_with_flaky_errors_around_it_loses_nothing_and_logs_two_lines(
    server: FakeBotAPI,
    coach: Coach,
    clock: FakeClock,
    telegram_bot: Application,  # type: ignore[type-arg]
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock.set(MORNING)
    ids = enrol_many(server, coach, 5000, 60)
    await asyncio.to_thread(DailyPrompts(coach.uow_factory, coach.deps).plan)
    deliveries = Deliveries(coach.uow_factory, running_clock(MORNING))
    worker = DeliveryWorker(telegram_bot.bot, deliveries, sweep_every=1.0)
    server.set_chaos(error_rate=0.2, seed=12)  # one send in five: 500 or 502
    caplog.set_level(logging.INFO, logger="bot")
    stop = asyncio.Event()
    sending = asyncio.create_task(worker.run(stop))
    await wait_until(lambda: len(prompts_received(server, ids)) >= 10, 30)
    server.start_outage()  # the whole API answers 502
    down_from = time.monotonic()
    await asyncio.sleep(4)
    server.end_outage()
    down_until = time.monotonic()
    await wait_until(lambda: set(prompts_received(server, ids)) == set(ids), 60)
    stop.set()
    await asyncio.wait_for(sending, timeout=30)

    # Everything arrived once: 5xx means not delivered, so nothing went twice.
    assert prompts_received(server, ids) == Counter(dict.fromkeys(ids, 1))
    with coach.uow_factory() as uow:
        assert uow.outbox.counts(Kind.PROMPT) == {Delivery.SENT: 60}
    # The sender paused as a whole: a handful of sends met the outage, then only probes.
    during = [c for c in server.calls_to("sendMessage") if down_from + 1.0 < c.time < down_until]
    assert len(during) <= worker.concurrency
    # One line when it started, one when it ended; no tracebacks.
    lines = outage_lines(caplog.text)
    assert len(lines) == 2 and "unreachable" in lines[0] and "reachable again" in lines[1]
    assert "Traceback" not in caplog.text
    assert health_of(telegram_bot.bot).outages == 1


async def test_answers_lost_on_the_way_are_retried_and_every_repeat_is_counted(
    server: FakeBotAPI,
    coach: Coach,
    clock: FakeClock,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    clock.set(MORNING)
    ids = enrol_many(server, coach, 5100, 40)
    await asyncio.to_thread(DailyPrompts(coach.uow_factory, coach.deps).plan)
    deliveries = Deliveries(coach.uow_factory, running_clock(MORNING))
    worker = DeliveryWorker(telegram_bot.bot, deliveries)
    server.set_chaos(lost_answer_rate=0.15, seed=3)  # delivered, but the bot never hears
    while await worker.run_once() or set(prompts_received(server, ids)) != set(ids):
        await asyncio.sleep(0.2)
    received = prompts_received(server, ids)
    repeats = sum(received.values()) - len(ids)
    counted = await asyncio.to_thread(deliveries.unconfirmed)
    assert set(received) == set(ids)
    assert 0 < repeats <= counted  # only lost answers repeat, and each is counted


async def test_a_reply_and_a_buttons_answer_ride_out_brief_trouble(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    sam = server.user(5200)
    sam.send("/start")
    await sam.wait_for("Doorstep Coach")
    server.inject("sendMessage", Fault.status(502), Fault.drop_connection(), Fault.status(500))
    sam.send("/help")
    await sam.wait_for("Each working day", timeout=15)
    sam.send("/settings")
    menu = await sam.wait_for("Your settings")
    server.inject("answerCallbackQuery", Fault.status(503), Fault.status(502))
    server.inject("editMessageText", Fault.status(502))
    sam.press("Prompt time", menu)
    await sam.wait_for(lambda m: "Pick the hour" in m.plain_text, timeout=15)
    await wait_until(lambda: not server.unanswered_callback_queries, 15)
    assert server.pending_faults == 0


def test_coachbot_run_started_while_the_api_is_down_waits_then_serves(
    tmp_path: Path, sqlite_url: str
) -> None:
    server = FakeBotAPI()
    server.start()
    server.start_outage("drop")  # nothing answers: as when Telegram can't be reached
    bot = BotProcess(environment(server, sqlite_url), tmp_path)
    try:
        bot.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while "unreachable" not in bot.last_output and time.monotonic() < deadline:
            assert bot.running, bot.last_output
            time.sleep(0.2)
        time.sleep(4)  # still waiting, not exited
        assert bot.running
        server.end_outage()
        bot.wait_until_connected(timeout=60)
        sam = server.user(5300, first_name="Priya")
        sam.send("/start")
        assert "Priya" in sam.wait_for_sync("Doorstep Coach", timeout=30).plain_text
        assert bot.stop() == 0
    finally:
        bot.close()
        server.stop()
    lines = outage_lines(bot.output)
    assert len(lines) == 2, lines  # started down, and back: nothing in between under a minute
    assert "Traceback" not in bot.output
    assert server.token.split(":", 1)[1] not in bot.output


def test_coachbot_run_with_a_token_telegram_refuses_stops_with_one_clear_line(
    tmp_path: Path, sqlite_url: str
) -> None:
    # Well formed for the settings, but Telegram answers 401 Unauthorized.
    token = "123456:not*a*real*token"
    with FakeBotAPI() as server:
        variables = environment(server, sqlite_url)
        variables["TELEGRAM_BOT_TOKEN"] = token
        bot = BotProcess(variables, tmp_path)
        bot.start()
        assert bot.wait(timeout=90) == 2
    assert "Telegram refused the bot token" in bot.output
    assert "not*a*real*token" not in bot.output
    assert "Traceback" not in bot.output


def test_coachbot_run_through_an_outage_and_flaky_errors_delivers_everything(
    server: FakeBotAPI, coach: Coach, clock: FakeClock, sqlite_url: str, tmp_path: Path
) -> None:
    clock.set(datetime.now(UTC))
    ids = list(range(5400, 5520))
    enrol(server, sqlite_url, ids, midday_zone(clock()))
    bot = BotProcess(environment(server, sqlite_url), tmp_path)
    try:
        bot.start()
        bot.wait_until_connected()
        server.set_chaos(error_rate=0.2, seed=5)
        assert DailyPrompts(coach.uow_factory, coach.deps).send_now().prompts == len(ids)
        while len(prompts_received(server, ids)) < 30:
            assert bot.running, bot.last_output
            time.sleep(0.05)
        server.start_outage()
        time.sleep(5)
        server.end_outage()
        back = time.monotonic()
        # Polling is back within seconds, not half a minute.
        sam = server.user(5599)
        sam.send("/start")
        sam.wait_for_sync("Doorstep Coach", timeout=15)
        answered_after = time.monotonic() - back
        deadline = time.monotonic() + 60
        while set(prompts_received(server, ids)) != set(ids) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert bot.stop() == 0
    finally:
        bot.close()
    received = prompts_received(server, ids)
    assert received == Counter(dict.fromkeys(ids, 1))
    assert unconfirmed(sqlite_url) == 0
    assert answered_after < 10
    lines = outage_lines(bot.output)
    assert len(lines) == 2, lines
    assert "Traceback" not in bot.output
