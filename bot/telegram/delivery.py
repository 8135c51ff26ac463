"""Sends what the outbox holds, at Telegram's limits, while the bot keeps answering.

    worker = DeliveryWorker(application.bot, deliveries, planner)
    await worker.run(stop)          # until ``stop`` is set; or
    await worker.run_once()         # one batch, for tests and "send now"

Replies to operatives don't go through here: they are answers, sent at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.core.delivery import (
    Deliveries,
    Failed,
    Outcome,
    Retry,
    Sent,
    Unreachable,
    backoff,
)
from bot.core.model import OutboxMessage

log = logging.getLogger(__name__)


def _markup(message: OutboxMessage) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in message.buttons
        ]
    )


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class DeliveryWorker:
    def __init__(
        self,
        bot: ExtBot[dict[str, Any]],
        deliveries: Deliveries,
        plan: Callable[[], object] | None = None,
        *,
        concurrency: int = 8,
        batch: int = 200,
        plan_every: float = 30.0,
        idle_wait: float = 1.0,
        may_send: Callable[[], bool] = lambda: True,
    ) -> None:
        self.bot = bot
        self.deliveries = deliveries
        self.plan = plan
        self.concurrency = concurrency
        self.batch = batch
        self.plan_every = plan_every
        self.idle_wait = idle_wait
        #: Only one replica sends, so Telegram's per-bot limits hold across replicas.
        self.may_send = may_send
        self.worker_id = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        # With the bot's SendLimiter in place, this marks our sends as broadcasts.
        self._bulk: dict[str, object] = (
            {"rate_limit_args": {"bulk": True}}
            if isinstance(bot, ExtBot) and bot.rate_limiter
            else {}
        )

    async def run_once(self) -> int:
        """Claim one batch of due messages and send them all; the number handled.

        A chunk (as many as are sent at once) is marked "sending" in one write before
        its requests go, and its outcomes recorded in one write after: if the process
        dies in between, only that chunk is uncertain, and none of it is sent twice.
        """
        messages: list[OutboxMessage] = await asyncio.to_thread(
            self.deliveries.claim, self.batch, self.worker_id
        )
        for start in range(0, len(messages), self.concurrency):
            chunk = messages[start : start + self.concurrency]
            await asyncio.to_thread(self.deliveries.sending, chunk)
            outcomes = await asyncio.gather(*(self.deliver(message) for message in chunk))
            await asyncio.to_thread(self.deliveries.record, outcomes)
        return len(messages)

    async def deliver(self, message: OutboxMessage) -> Outcome:
        """Send one message (the bot's rate limiter paces it); what happened."""
        try:
            sent = await self.bot.send_message(
                message.chat_id,
                message.text,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(message),
                rate_limit_args={"bulk": True},
            )
        except RetryAfter as error:
            return Retry(message, timedelta(seconds=_seconds(error.retry_after)), "429")
        except Forbidden as error:
            return Unreachable(message, error.message)
        except BadRequest as error:
            log.warning("Telegram refused an outbox message (%s): %s", message.kind, error.message)
            return Failed(message, error.message)
        except (NetworkError, TelegramError) as error:
            return Retry(message, backoff(message.attempts), type(error).__name__)
        return Sent(message, sent.message_id)

    async def run(self, stop: asyncio.Event) -> None:
        """Plan and send until ``stop`` is set; a batch in hand is finished first."""
        recovered, uncertain = await asyncio.to_thread(self.deliveries.recover)
        if recovered or uncertain:
            log.info("outbox recovered: %d requeued, %d uncertain", recovered, uncertain)
        loop = asyncio.get_running_loop()
        next_plan = loop.time()
        while not stop.is_set():
            if not await asyncio.to_thread(self.may_send):
                # Another replica is sending; stand by in case it goes away.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.plan_every)
                continue
            if self.plan is not None and loop.time() >= next_plan:
                await self._guard(asyncio.to_thread(self.plan))
                next_plan = loop.time() + self.plan_every
            handled = await self._guard(self.run_once())
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.idle_wait)

    async def _guard(self, work: Awaitable[object]) -> object:
        try:
            return await work
        except Exception as error:  # the worker must outlive one bad batch
            log.error("delivery step failed: %s: %s", type(error).__name__, error)
            return 0
