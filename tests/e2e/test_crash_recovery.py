"""A sender that dies mid-send: nothing is lost, and only what was in flight may go twice,
counted. With kill -9 of a real `coachbot run`, and in-process with two workers."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.jobs.planner import DailyPrompts
from bot.core.model import Delivery, Kind
from bot.core.router import Coach
from bot.telegram.delivery import DeliveryWorker
from tests.bot_process import (
    BotProcess,
    enrol,
    environment,
    midday_zone,
    prompts_received,
    unconfirmed,
)
from tests.e2e.conftest import Scheduler
from tests.e2e.test_delivery import enrol_many
from tests.fake_bot_api import FakeBotAPI, Fault
from tests.support import FakeClock

pytestmark = pytest.mark.e2e
MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # a Tuesday


def duplicates(received: Counter[int]) -> int:
    return sum(received.values()) - len(received)


async def wait_until(condition: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


def test_kill_9_during_a_send_now_loses_no_prompt_and_counts_every_repeat(
    server: FakeBotAPI, coach: Coach, clock: FakeClock, sqlite_url: str, tmp_path: Path
) -> None:
    clock.set(datetime.now(UTC))
    ids = list(range(20_000, 20_150))
    enrol(server, sqlite_url, ids, midday_zone(clock()))
    bot = BotProcess(environment(server, sqlite_url), tmp_path)
    try:
        bot.start()
        bot.wait_until_connected()
        assert DailyPrompts(coach.uow_factory, coach.deps).send_now().prompts == len(ids)
        # Three kill -9s while the outbox drains (30 a second), each restarted at once.
        for kill_at in (25, 65, 105):
            while sum(prompts_received(server, ids).values()) < kill_at:
                assert bot.running, bot.last_output
                time.sleep(0.02)
            bot.kill()
            bot.start()
        deadline = time.monotonic() + 90
        while set(prompts_received(server, ids)) != set(ids) and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)  # anything still to go would go now
        assert bot.stop() == 0
    finally:
        bot.close()
    received = prompts_received(server, ids)
    counted = unconfirmed(sqlite_url)
    assert set(received) == set(ids)  # no prompt lost
    assert duplicates(received) <= counted  # every repeat counted...
    assert counted <= 3 * 3  # ...and at most the three in flight at each kill
    with coach.uow_factory() as uow:
        assert uow.outbox.counts(Kind.PROMPT) == {Delivery.SENT: len(ids)}
    assert "may arrive twice" in bot.output or counted == 0
    assert server.token.split(":", 1)[1] not in bot.output


async def test_a_sender_that_dies_is_swept_up_by_the_one_still_running_without_a_restart(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(MORNING)
    ids = enrol_many(server, coach, 4000, 30)
    started, planned = threading.Event(), threading.Event()

    def hold_back() -> None:
        """The survivor has started (and taken over nothing): wait for the other to claim."""
        started.set()
        planned.wait(30)

    survivor = DeliveryWorker(
        scheduler.worker.bot,
        scheduler.deliveries,
        plan=hold_back,
        idle_wait=0.05,
        sweep_every=0.1,
    )
    stop = asyncio.Event()
    surviving = asyncio.create_task(survivor.run(stop))
    await asyncio.to_thread(started.wait, 30)
    await asyncio.to_thread(scheduler.planner.plan)
    server.inject("sendMessage", *[Fault.delay(0.05) for _ in range(30)])
    dying = asyncio.create_task(scheduler.worker.run_once())
    await wait_until(lambda: sum(prompts_received(server, ids).values()) >= 8, 20)
    dying.cancel()  # the sender dies mid-batch; its process (this one) carries on
    with pytest.raises(asyncio.CancelledError):
        await dying
    await asyncio.sleep(0.5)
    planned.set()
    await asyncio.sleep(1.0)
    stranded = len(ids) - len(prompts_received(server, ids))
    assert stranded > 0  # its claims are still leased: nobody may take them yet
    scheduler.clock.advance(seconds=31)  # the lease runs out, unrenewed
    await wait_until(lambda: set(prompts_received(server, ids)) == set(ids), 30)
    stop.set()
    await asyncio.wait_for(surviving, timeout=30)
    received = prompts_received(server, ids)
    assert scheduler.statuses(Kind.PROMPT) == {Delivery.SENT: len(ids)}
    counted = await asyncio.to_thread(scheduler.deliveries.unconfirmed)
    assert duplicates(received) <= counted <= scheduler.worker.concurrency


async def test_a_replica_that_becomes_the_sender_takes_over_at_once(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(MORNING)
    ids = enrol_many(server, coach, 4100, 30)
    lock_free = threading.Event()
    standby = DeliveryWorker(
        scheduler.worker.bot, scheduler.deliveries, may_send=lock_free.is_set, plan_every=0.1
    )
    stop = asyncio.Event()
    standing_by = asyncio.create_task(standby.run(stop))
    await asyncio.to_thread(scheduler.planner.plan)
    server.inject("sendMessage", *[Fault.delay(0.05) for _ in range(30)])
    dying = asyncio.create_task(scheduler.worker.run_once())
    await wait_until(lambda: sum(prompts_received(server, ids).values()) >= 8, 20)
    dying.cancel()
    with pytest.raises(asyncio.CancelledError):
        await dying
    await asyncio.sleep(0.5)
    lock_free.set()  # the dead sender's lock is gone; the clock stays inside its lease
    await wait_until(lambda: set(prompts_received(server, ids)) == set(ids), 30)
    stop.set()
    await asyncio.wait_for(standing_by, timeout=30)
    received = prompts_received(server, ids)
    assert scheduler.statuses(Kind.PROMPT) == {Delivery.SENT: len(ids)}
    counted = await asyncio.to_thread(scheduler.deliveries.unconfirmed)
    assert duplicates(received) <= counted <= scheduler.worker.concurrency
