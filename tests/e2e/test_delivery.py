"""Delivering the outbox: Telegram's limits, faults, blocked users and restarts."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.messages import Command, Sender
from bot.core.model import Delivery, Kind, Status
from bot.core.router import Coach
from bot.telegram.delivery import DeliveryWorker
from tests.bot_process import prompts_received
from tests.e2e.conftest import Scheduler
from tests.fake_bot_api import FakeBotAPI, Fault

pytestmark = pytest.mark.e2e
MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # a Tuesday


def enrol_many(server: FakeBotAPI, coach: Coach, first_id: int, count: int) -> list[int]:
    """Operatives who have pressed Start (so Telegram knows the chat), at service level."""
    ids = list(range(first_id, first_id + count))
    for user_id in ids:
        server.user(user_id)
        coach.handle(Command(Sender(user_id, f"Op{user_id}"), "start"))
    return ids


async def test_at_telegrams_limits_nothing_is_refused(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(MORNING)
    ids = enrol_many(server, coach, 3000, 45)
    server.set_rate_limits(global_per_second=30, per_chat_per_second=1)
    scheduler.telegram_limits()
    server.reset_stats()
    started = time.monotonic()
    assert await scheduler.tick() == 45
    elapsed = time.monotonic() - started
    assert server.stats.too_many_requests == 0
    assert server.stats.max_in_window(1.0) <= 30
    assert elapsed >= 1.0  # 45 messages can't go in under a second at 30 a second
    assert prompts_received(server, ids) == Counter(dict.fromkeys(ids, 1))


async def test_one_chat_gets_at_most_one_message_a_second(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(MORNING)
    (user_id,) = enrol_many(server, coach, 3100, 1)
    server.set_rate_limits(global_per_second=30, per_chat_per_second=1)
    scheduler.telegram_limits()
    await scheduler.tick()
    coach.handle(Command(Sender(user_id, "Op"), "later"))  # queues a nudge for 09:00
    await scheduler.tick(at=MORNING + timedelta(hours=1))
    assert server.stats.too_many_requests == 0
    assert server.stats.min_gap(user_id) >= 1.0 or len(server.messages(user_id)) < 3


async def test_a_429_waits_retry_after_for_that_message_only(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(MORNING)
    ids = enrol_many(server, coach, 3200, 5)
    server.inject("sendMessage", Fault.too_many(retry_after=7))
    assert await scheduler.tick() == 5
    assert sum(prompts_received(server, ids).values()) == 4  # the others went straight on
    assert scheduler.statuses(Kind.PROMPT) == {Delivery.SENT: 4, Delivery.PENDING: 1}
    assert await scheduler.tick(at=MORNING + timedelta(seconds=6)) == 0
    assert await scheduler.tick(at=MORNING + timedelta(seconds=7)) == 1
    assert prompts_received(server, ids) == Counter(dict.fromkeys(ids, 1))


async def test_server_errors_and_dropped_connections_are_retried_with_backoff(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(MORNING)
    ids = enrol_many(server, coach, 3300, 1)
    server.inject("sendMessage", Fault.status(502), Fault.drop_connection(), Fault.status(500))
    await scheduler.tick()
    await scheduler.tick(at=MORNING + timedelta(seconds=2))  # after the first failure: 1 s
    await scheduler.tick(at=MORNING + timedelta(seconds=10))  # then 2 s, then 4 s
    await scheduler.tick(at=MORNING + timedelta(seconds=30))
    assert prompts_received(server, ids) == Counter({ids[0]: 1})
    assert scheduler.statuses(Kind.PROMPT) == {Delivery.SENT: 1}


async def test_a_blocked_user_becomes_unreachable_and_gets_nothing_more(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(MORNING)
    blocked, fine = enrol_many(server, coach, 3400, 2)
    server.block(blocked)
    assert await scheduler.tick() == 2
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(blocked)
        assert operative is not None and operative.status is Status.UNREACHABLE
    assert prompts_received(server, [fine]) == Counter({fine: 1})
    server.unblock(blocked)
    await scheduler.tick(at=MORNING + timedelta(days=1))
    assert prompts_received(server, [blocked]) == Counter()


async def test_a_400_is_logged_and_the_rest_carry_on(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler, caplog: pytest.LogCaptureFixture
) -> None:
    scheduler.clock.set(MORNING)
    ids = enrol_many(server, coach, 3500, 3)
    server.inject("sendMessage", Fault.bad_request("Bad Request: chat not found"))
    assert await scheduler.tick() == 3
    assert scheduler.statuses(Kind.PROMPT) == {Delivery.SENT: 2, Delivery.FAILED: 1}
    assert sum(prompts_received(server, ids).values()) == 2
    assert "chat not found" in caplog.text.lower()
    assert await scheduler.tick(at=MORNING + timedelta(hours=1)) == 0  # never retried


async def test_a_crash_mid_send_loses_nothing_and_repeats_only_what_was_in_flight(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(MORNING)
    ids = enrol_many(server, coach, 3600, 40)
    await asyncio.to_thread(scheduler.planner.plan)
    server.inject("sendMessage", *[Fault.delay(0.05) for _ in range(40)])
    crashing = asyncio.create_task(scheduler.worker.run_once())
    while sum(prompts_received(server, ids).values()) < 10:
        await asyncio.sleep(0.01)
    crashing.cancel()  # the process dies, requests in flight and all
    with pytest.raises(asyncio.CancelledError):
        await crashing
    # A dead process's database writes die with it; here the threads already running
    # finish, so let them before the "new process" looks.
    await asyncio.sleep(0.5)
    server.clear_faults()
    # A new process becomes the sender at once, well inside the dead one's lease.
    scheduler.clock.set(MORNING + timedelta(seconds=5))
    swept = await asyncio.to_thread(scheduler.deliveries.sweep, everything=True)
    restarted = DeliveryWorker(scheduler.worker.bot, scheduler.deliveries)
    while await restarted.run_once():
        pass
    received = prompts_received(server, ids)
    duplicates = sum(received.values()) - len(received)
    assert set(received) == set(ids)  # nothing lost
    assert scheduler.statuses(Kind.PROMPT) == {Delivery.SENT: 40}
    assert swept.requeued > 0  # the dead process's untouched claims went back at once
    # Only messages in flight could go twice, and each of those is counted.
    assert duplicates <= swept.resent <= scheduler.worker.concurrency
    assert await asyncio.to_thread(scheduler.deliveries.unconfirmed) == swept.resent


async def test_a_graceful_stop_finishes_the_batch_in_hand(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(MORNING)
    ids = enrol_many(server, coach, 3700, 30)
    await asyncio.to_thread(scheduler.planner.plan)
    server.inject("sendMessage", *[Fault.delay(0.02) for _ in range(30)])
    stop = asyncio.Event()
    running = asyncio.create_task(scheduler.worker.run(stop))
    while not prompts_received(server, ids):
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(running, timeout=30)
    assert prompts_received(server, ids) == Counter(dict.fromkeys(ids, 1))
    assert scheduler.statuses(Kind.PROMPT) == {Delivery.SENT: 30}


async def test_the_bot_keeps_answering_during_a_large_send(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(MORNING)
    enrol_many(server, coach, 3800, 90)
    sam = server.user(3999)
    sam.send("/start")
    await sam.wait_for("Doorstep Coach")
    server.set_rate_limits(global_per_second=30, per_chat_per_second=1)
    scheduler.telegram_limits()
    await asyncio.to_thread(scheduler.planner.plan)
    sending = asyncio.create_task(scheduler.tick())
    await asyncio.sleep(0.5)
    sam.send("/help")
    await sam.wait_for("Each working day", timeout=10)
    # Sam's answer did not queue behind the send: 90 prompts at 30 a second take 3
    # seconds, and most of them had not gone when he was answered.
    assert not sending.done()
    assert sum(prompts_received(server, list(range(3800, 3890))).values()) < 90
    await sending


async def test_a_worker_back_after_quiet_hours_begin_sends_nothing_stale(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    evening = datetime(2026, 12, 1, 19, 55, tzinfo=UTC)
    scheduler.clock.set(evening)
    (user_id,) = enrol_many(server, coach, 3900, 1)
    await asyncio.to_thread(scheduler.planner.plan)  # queued at 19:55, then the worker stalls
    scheduler.clock.set(evening + timedelta(minutes=10))  # 20:05: quiet hours
    while await scheduler.worker.run_once():
        pass
    assert prompts_received(server, [user_id]) == Counter()
    assert await scheduler.tick(at=datetime(2026, 12, 2, 8, 0, tzinfo=UTC)) == 1
    assert prompts_received(server, [user_id]) == Counter({user_id: 1})  # today's, not both
    statuses = scheduler.statuses(Kind.PROMPT)
    assert statuses == {Delivery.CANCELLED: 1, Delivery.SENT: 1}


async def test_a_failing_prompt_is_retried_until_20_00_not_for_a_fixed_count(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    evening = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)  # 19:00 in London
    scheduler.clock.set(evening)
    (user_id,) = enrol_many(server, coach, 3950, 1)
    server.inject("sendMessage", *[Fault.status(500) for _ in range(100)])
    for minute in range(60):  # every minute until 19:59
        await scheduler.tick(at=evening + timedelta(minutes=minute))
    assert prompts_received(server, [user_id]) == Counter()
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(user_id)
        assert operative is not None and operative.id is not None
        prompt = uow.outbox.find(Kind.PROMPT, operative.id, evening.date())
    assert prompt is not None and prompt.status is Delivery.FAILED
    assert prompt.error is not None and prompt.error.startswith("deadline passed")
    assert prompt.attempts > 8  # the old fixed count would have given up long before
