"""Whether the Telegram Bot API can be reached, as the bot's own calls find it.

Every request reports how it went (see :mod:`bot.telegram.transport`): any HTTP
answer below 500, even a refusal, means the API is up; a network error, a timeout
or a 5xx means it may not be. One :class:`ApiHealth` per bot turns that into
outages, and is the only thing that logs them: one line when an outage starts,
one a minute while it lasts, one when it ends, never a traceback.

It is also the outbox sender's circuit breaker: while the API is down the sender
pauses as a whole instead of spending each message's tries, and resumes as soon
as any call (a probe, a long poll) gets an answer.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

#: Failed calls in a row that make an outage. One failure in five (a flaky minute)
#: makes eight in a row about once in 400,000 calls; a real outage, within a second
#: of sending or a few long polls.
FAILURES_FOR_OUTAGE = 8
#: How often an outage that goes on is logged again.
REPORT_EVERY = 60.0


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


class ApiHealth:
    def __init__(
        self,
        *,
        failures_for_outage: int = FAILURES_FOR_OUTAGE,
        report_every: float = REPORT_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures_for_outage = failures_for_outage
        self.report_every = report_every
        self._clock = clock
        self._failures = 0
        self._ever_answered = False
        self._down_since: float | None = None
        self._next_report = 0.0
        #: Outages seen so far, and how long they lasted in all (for benchmarks).
        self.outages = 0
        self.seconds_down = 0.0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def now(self) -> float:
        return self._clock()

    def answered(self, asked_at: float | None = None) -> None:
        """A call asked at ``asked_at`` (``now()``) got an answer: the API is up. Unless
        it was asked before the outage began, like a long poll that was already
        waiting: that says nothing about now."""
        if self._down_since is not None and asked_at is not None and asked_at < self._down_since:
            return
        self._failures = 0
        self._ever_answered = True
        if self._down_since is None:
            return
        lasted = self._clock() - self._down_since
        self._down_since = None
        self.seconds_down += lasted
        log.warning("Telegram Bot API reachable again after %s; carrying on", _duration(lasted))

    def failed(self, reason: str) -> None:
        """A call got no answer, or a 5xx. ``reason`` is short and holds nothing secret."""
        self._failures += 1
        now = self._clock()
        if self._down_since is None:
            # Until the first answer, nothing says the API was ever up: say so at once.
            if self._failures < self.failures_for_outage and self._ever_answered:
                return
            self._down_since = now
            self._next_report = now + self.report_every
            self.outages += 1
            log.warning(
                "Telegram Bot API unreachable (%s); messages wait in the outbox, trying again",
                reason,
            )
        elif now >= self._next_report:
            self._next_report = now + self.report_every
            log.warning(
                "Telegram Bot API still unreachable after %s (%s); trying again",
                _duration(now - self._down_since),
                reason,
            )

    async def wait_until_up(self, timeout: float, stop: asyncio.Event | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the API to be up (or ``stop``); True if up.

        It polls rather than waiting on an event, so one ApiHealth serves the start-up
        check and the running bot, which run on different event loops."""
        deadline = self._clock() + timeout
        while self.down and not (stop and stop.is_set()):
            left = deadline - self._clock()
            if left <= 0:
                break
            await asyncio.sleep(min(0.1, left))
        return not self.down
