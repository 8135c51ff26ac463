"""Keeps the outbox's record up with a batch being sent, one small write at a time.

Each message is marked "sending" just before its request leaves, and its outcome
is recorded as soon as Telegram answers. Writing each of those alone would cost a
transaction per event; instead, whatever queued up while one write ran goes in the
next (a group commit). So the record trails the sends by one write, and a crash
leaves unconfirmed only the messages actually in flight.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from bot.core.jobs.delivery import Deliveries, SendOutcome, Written
from bot.core.model import OutboxMessage

log = logging.getLogger(__name__)

#: A write that fails (a locked database, a dropped connection) is tried this many times.
WRITE_TRIES = 4


class ClaimLost(Exception):
    """The message's claim was taken over (or the message cancelled): don't send it."""


class Ledger:
    def __init__(self, deliveries: Deliveries, token: str) -> None:
        self.deliveries = deliveries
        self.token = token
        self._going: list[tuple[OutboxMessage, asyncio.Future[bool]]] = []
        self._outcomes: list[tuple[SendOutcome, asyncio.Future[bool]]] = []
        self._untried: list[OutboxMessage] = []
        self._wake = asyncio.Event()
        self._closing = False
        #: Totals over the batch, for the worker's log lines.
        self.taken_over = 0
        self.unconfirmed = 0
        self._writer = asyncio.create_task(self._write_until_closed())

    async def going(self, message: OutboxMessage) -> None:
        """Return once the message is recorded as mid-send; ClaimLost if it isn't ours."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._going.append((message, done))
        self._wake.set()
        if not await done:
            raise ClaimLost

    async def record(self, outcome: SendOutcome) -> None:
        """Return once what Telegram said is written (or could not be)."""
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._outcomes.append((outcome, done))
        self._wake.set()
        await done

    def untried(self, message: OutboxMessage) -> None:
        """Hand a claimed message back to the queue without trying it."""
        self._untried.append(message)
        self._wake.set()

    async def close(self) -> None:
        """Write everything still queued, then stop."""
        self._closing = True
        self._wake.set()
        await self._writer

    def abandon(self) -> None:
        """Stop at once, as a crash would: what is unwritten stays unwritten."""
        self._writer.cancel()

    async def _write_until_closed(self) -> None:
        while True:
            if not (self._going or self._outcomes or self._untried):
                if self._closing:
                    return
                await self._wake.wait()
                self._wake.clear()
                continue
            going, self._going = self._going, []
            outcomes, self._outcomes = self._outcomes, []
            untried, self._untried = self._untried, []
            written = await self._write([m for m, _ in going], [o for o, _ in outcomes], untried)
            self.taken_over += written.taken_over
            self.unconfirmed += written.unconfirmed
            for message, done in going:
                if not done.done():
                    done.set_result(message.id in written.may_go)
            for _, done in outcomes:
                if not done.done():
                    done.set_result(True)

    async def _write(
        self,
        going: Sequence[OutboxMessage],
        outcomes: Sequence[SendOutcome],
        untried: Sequence[OutboxMessage],
    ) -> Written:
        for attempt in range(1, WRITE_TRIES + 1):
            try:
                return await asyncio.to_thread(
                    self.deliveries.write, self.token, going, outcomes, untried
                )
            except Exception as error:
                reason = type(error).__name__
                log.error("outbox write failed (%s), try %d of %d", reason, attempt, WRITE_TRIES)
                await asyncio.sleep(0.2 * 2**attempt)
        # Nothing marked goes out. Outcomes left unrecorded leave their messages mid-send;
        # once the lease runs out the sweep sends them again, counted as possible duplicates.
        return Written()
