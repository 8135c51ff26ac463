"""The real python-telegram-bot Application, in polling mode, against the local fake Bot API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any

import pytest
from telegram.ext import Application, ExtBot

from bot.core.jobs.delivery import Deliveries
from bot.core.jobs.planner import DailyPrompts
from bot.core.model import Delivery, Kind
from bot.core.router import Coach
from bot.telegram.app import build_application
from bot.telegram.delivery import DeliveryWorker
from bot.telegram.limiter import SendLimiter
from tests.fake_bot_api import FakeBotAPI
from tests.support import FakeClock


@pytest.fixture
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
async def telegram_bot(server: FakeBotAPI, coach: Coach) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The bot as `coachbot run` builds it, polling the fake server."""
    # Replies and broadcasts share one limiter. Per-chat spacing is switched on by the
    # tests about limits (see ``limits``); elsewhere it would only slow tests down.
    application = build_application(
        coach,
        server.token,
        server.base_url,
        server.base_file_url,
        limiter=SendLimiter(per_chat_interval=0.0),
    )
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    await application.start()
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()


class Scheduler:
    """The planner and the outbox sender, driven step by step on the test's clock."""

    def __init__(self, coach: Coach, clock: FakeClock, bot: ExtBot[Any]) -> None:
        self.coach = coach
        self.clock = clock
        self.planner = DailyPrompts(coach.uow_factory, coach.deps)
        self.deliveries = Deliveries(coach.uow_factory, clock)
        self.worker = DeliveryWorker(bot, self.deliveries, self.planner.plan)
        assert isinstance(bot.rate_limiter, SendLimiter)
        self.limiter: SendLimiter = bot.rate_limiter

    def telegram_limits(self) -> None:
        """Pace sends exactly as in production: 30 a second, 1 a second per chat."""
        self.limiter.per_second = 30
        self.limiter.per_chat_interval = 1.0

    async def tick(self, *, at: datetime | None = None) -> int:
        """Move the clock (if asked), plan, and send everything due; the number sent."""
        if at is not None:
            self.clock.set(at)
        await asyncio.to_thread(self.planner.plan)
        handled = 0
        while batch := await self.worker.run_once():
            handled += batch
        return handled

    def statuses(self, kind: Kind | None = None) -> dict[Delivery, int]:
        with self.coach.uow_factory() as uow:
            return uow.outbox.counts(kind)


@pytest.fixture
def scheduler(
    coach: Coach,
    clock: FakeClock,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> Scheduler:
    return Scheduler(coach, clock, telegram_bot.bot)
