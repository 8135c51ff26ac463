"""Sends what the outbox holds, at Telegram's limits, while the bot keeps answering.

    worker = DeliveryWorker(application.bot, deliveries, planner)
    await worker.run(stop)          # until ``stop`` is set; or
    await worker.run_once()         # one batch, for tests and "send now"

Replies to operatives don't go through here: they are answers, sent at once.

What keeps it safe when things go wrong:
- a claim is renewed by a heartbeat while its batch is in hand, and every write
  about it names its token, so no one else takes it while this worker lives;
- on becoming the sender (at start on SQLite, on taking the lock on PostgreSQL)
  it takes over every claim a previous sender left, and every few seconds it
  sweeps up claims whose lease has run out, so nothing waits for a restart;
- while the Bot API is down (see :class:`~bot.telegram.health.ApiHealth`) it
  sends nothing, hands its batch back untried, and probes until the API answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import ExtBot

from bot.core.jobs.delivery import (
    Deliveries,
    Failed,
    Retry,
    SendOutcome,
    Sent,
    Swept,
    Unreachable,
    backoff,
)
from bot.core.model import OutboxMessage
from bot.telegram.health import ApiHealth
from bot.telegram.ledger import ClaimLost, Ledger
from bot.telegram.limiter import SendLimiter
from bot.telegram.transport import health_of, may_have_arrived

log = logging.getLogger(__name__)

#: The longest wait between two probes of an API that is down.
PROBE_AT_MOST = 30.0
#: How often a replica that is not sending checks whether the sender has gone: the
#: longest a send-now waits when its sender dies (the check is one cheap query).
STANDBY_EVERY = 5.0


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
        bot: ExtBot[Any],
        deliveries: Deliveries,
        plan: Callable[[], object] | None = None,
        *,
        concurrency: int = 3,
        batch: int = 200,
        plan_every: float = 30.0,
        idle_wait: float = 1.0,
        sweep_every: float = 10.0,
        may_send: Callable[[], bool] = lambda: True,
        health: ApiHealth | None = None,
        standby_every: float | None = None,
    ) -> None:
        self.bot = bot
        self.deliveries = deliveries
        self.plan = plan
        #: Messages in flight at once, from being marked "sending" to their outcome being
        #: written: enough for 30 a second at Telegram's usual latency, and the most a
        #: crash can send twice.
        self.concurrency = concurrency
        self.batch = batch
        self.plan_every = plan_every
        self.idle_wait = idle_wait
        self.sweep_every = sweep_every
        #: Renew claims well inside their lease.
        self.heartbeat_every = deliveries.lease.total_seconds() / 3
        #: Only one replica sends, so Telegram's per-bot limits hold across replicas.
        self.may_send = may_send
        self.standby_every = (
            min(plan_every, STANDBY_EVERY) if standby_every is None else standby_every
        )
        self.health = health or health_of(bot)
        self.worker_id = f"{socket.gethostname()[:40]}:{os.getpid()}"
        #: With the bot's SendLimiter, the message is marked "sending" when its turn comes.
        self._paced = isinstance(bot.rate_limiter, SendLimiter)

    async def run_once(self) -> int:
        """Claim one batch of due messages and send them all; the number handled.

        Up to ``concurrency`` messages are in flight at once. Each is marked "sending"
        just before its request leaves and its outcome recorded as soon as it comes back,
        so if the process dies, only the messages actually in flight are unconfirmed.
        """
        claim = await asyncio.to_thread(self.deliveries.claim, self.batch, self.worker_id)
        if not claim.messages:
            return 0
        ledger = Ledger(self.deliveries, claim.token)
        heartbeat = asyncio.create_task(self._heartbeat(claim.token))
        gate = asyncio.Semaphore(self.concurrency)
        try:
            sends = (self._send(message, ledger, gate) for message in claim.messages)
            for failure in await asyncio.gather(*sends, return_exceptions=True):
                if isinstance(failure, Exception):
                    log.error("outbox send failed: %s: %s", type(failure).__name__, failure)
            await ledger.close()
        except BaseException:
            ledger.abandon()  # cancelled: die like a crash, leaving what is unwritten
            raise
        finally:
            heartbeat.cancel()
        if ledger.unconfirmed:
            log.info(
                "outbox: %d sends lost their answer and were retried; each may arrive twice",
                ledger.unconfirmed,
            )
        if ledger.taken_over:
            log.warning(
                "outbox: %d messages were taken over by another sender mid-batch",
                ledger.taken_over,
            )
        return len(claim.messages)

    async def _send(self, message: OutboxMessage, ledger: Ledger, gate: asyncio.Semaphore) -> None:
        # The gate stays shut until the outcome is written, so no more than ``concurrency``
        # messages are ever mid-send in the record: all a crash can repeat.
        async with gate:
            if self.health.down:
                ledger.untried(message)  # the breaker is open: keep its tries for later
                return
            try:
                outcome = await self.deliver(message, lambda: ledger.going(message))
            except ClaimLost:
                return
            await ledger.record(outcome)

    async def deliver(
        self, message: OutboxMessage, going: Callable[[], Awaitable[None]] | None = None
    ) -> SendOutcome:
        """Send one message (the bot's rate limiter paces it); what happened.

        ``going`` is awaited just before the request leaves; it may raise ClaimLost."""
        pacing: dict[str, Any] = {"bulk": True}
        if going is not None:
            if self._paced:
                pacing["going"] = going
            else:
                await going()
        try:
            sent = await self.bot.send_message(
                message.chat_id,
                message.text,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(message),
                rate_limit_args=pacing,
            )
        except RetryAfter as error:
            return Retry(message, timedelta(seconds=_seconds(error.retry_after)), "429")
        except Forbidden as error:
            return Unreachable(message, error.message)
        except BadRequest as error:
            log.warning("Telegram refused an outbox message (%s): %s", message.kind, error.message)
            return Failed(message, error.message)
        except TelegramError as error:
            return Retry(
                message,
                backoff(message.attempts),
                type(error).__name__,
                unconfirmed=may_have_arrived(error),
            )
        return Sent(message, sent.message_id)

    async def run(self, stop: asyncio.Event) -> None:
        """Plan and send until ``stop`` is set; a batch in hand is finished first."""
        loop = asyncio.get_running_loop()
        next_plan = next_sweep = loop.time()
        sender = False
        while not stop.is_set():
            if not await asyncio.to_thread(self.may_send):
                sender = False  # another replica is sending; stand by in case it goes away
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.standby_every)
                continue
            if not sender or loop.time() >= next_sweep:
                # A new sender takes over whatever the last one held; a running one sweeps up
                # claims whose lease has run out (a batch that died without the process).
                await self._guard(self._sweep(everything=not sender))
                sender = True
                next_sweep = loop.time() + self.sweep_every
            if self.plan is not None and loop.time() >= next_plan:
                await self._guard(asyncio.to_thread(self.plan))
                next_plan = loop.time() + self.plan_every
            if self.health.down:
                await self._wait_for_api(stop)
                continue
            handled = await self._guard(self.run_once())
            if not handled:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=self.idle_wait)

    async def _sweep(self, *, everything: bool) -> None:
        swept: Swept = await asyncio.to_thread(self.deliveries.sweep, everything=everything)
        if swept.requeued or swept.resent:
            log.warning(
                "outbox: took back %d claimed and %d mid-send messages from a sender that "
                "stopped; the %d mid-send are sent again and may arrive twice",
                swept.requeued,
                swept.resent,
                swept.resent,
            )

    async def _heartbeat(self, token: str) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_every)
            await self._guard(asyncio.to_thread(self.deliveries.renew, [token]))

    async def _wait_for_api(self, stop: asyncio.Event) -> None:
        """The breaker is open: probe now and then (getMe sends nothing to anyone) until
        any call gets an answer. The long poll, if any, probes too."""
        wait = 1.0
        while self.health.down and not stop.is_set():
            if await self.health.wait_until_up(wait, stop):
                return
            with contextlib.suppress(TelegramError):
                await self.bot.get_me()
            wait = min(PROBE_AT_MOST, wait * 2)

    async def _guard(self, work: Awaitable[object]) -> object:
        try:
            return await work
        except Exception as error:  # the worker must outlive one bad batch
            log.error("delivery step failed: %s: %s", type(error).__name__, error)
            return 0
