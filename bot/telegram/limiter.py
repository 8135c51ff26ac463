"""Keeps every send within Telegram's limits: about 30 a second overall, 1 a second per chat.

One :class:`SendLimiter` sits in the bot (as python-telegram-bot's rate limiter),
so replies and broadcasts share it. Replies come first: while people are
talking to the bot, broadcasts leave a little of each second free for them.
Broadcasts say who they are with ``rate_limit_args={"bulk": True}``, and may add
``"going": hook``, awaited once the message's turn has come, just before its
request leaves (the outbox marks it "sending" then, not while it queues).

Every request passes through here, so replies are also where brief trouble is
ridden out: a reply (or a button's answer) that meets a network error or a 5xx
is tried again a few times over about eight seconds. Broadcasts are not: the
outbox retries them until their deadline.

It counts a sliding window, like Telegram, rather than a token bucket: a bucket
that is full at the start of a second lets through a burst that the window
then counts against the next second.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter

from bot.telegram.transport import is_outage

log = logging.getLogger(__name__)

#: Methods that count against Telegram's message limits.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendMediaGroup",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
        "copyMessage",
        "forwardMessage",
    }
)
#: How long replies keep their reserve after the last one.
REPLY_WINDOW = 5.0
#: How many times a reply is tried again after a 429.
REPLY_RETRIES = 3
#: What a reply waits before each new try after a network error or a 5xx.
REPLY_TROUBLE_WAITS = (0.5, 1.0, 2.0, 4.0)
#: Calls that answer a person, besides SENDING_METHODS: tried again like replies.
ANSWERING_METHODS = frozenset({"answerCallbackQuery"})

RateLimitArgs = dict[str, Any]


class SendLimiter(BaseRateLimiter[RateLimitArgs]):
    def __init__(
        self,
        per_second: int = 30,
        per_chat_interval: float = 1.0,
        *,
        reply_reserve: int = 2,
        margin: float = 0.03,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.per_chat_interval = per_chat_interval
        #: Sends a second kept free for replies while people are talking to the bot.
        self.reply_reserve = reply_reserve
        #: Slack for the time between our clock and the server's.
        self.margin = margin
        self._clock = clock
        #: When each recent send went, as one-item lists so a send can move its own time
        #: to when Telegram answered: the server counted it somewhere in between.
        self._recent: deque[list[float]] = deque()
        self._last_in_chat: dict[int, float] = {}
        self._last_reply = float("-inf")
        self._lock = asyncio.Lock()
        self._paused_until = 0.0

    async def initialize(self) -> None:
        """Nothing to set up; PTB calls this when the bot starts."""

    async def shutdown(self) -> None:
        """Nothing to clean up; PTB calls this when the bot stops."""

    def pause(self, seconds: float) -> None:
        """Hold every send for a while (Telegram said 429 to a send we thought was fine)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _chat_wait(self, chat_id: int, now: float) -> float:
        last = self._last_in_chat.get(chat_id)
        return 0.0 if last is None else last + self.per_chat_interval + self.margin - now

    def _capacity(self, bulk: bool, now: float) -> int:
        if bulk and now - self._last_reply < REPLY_WINDOW:
            return self.per_second - self.reply_reserve
        return self.per_second

    async def acquire(self, chat_id: int, *, bulk: bool = False) -> list[float]:
        """Return when a message to ``chat_id`` may go, with its slot in the window."""
        if not bulk:
            self._last_reply = self._clock()
        while True:
            # Wait for this chat without holding the lock, so other chats go meanwhile.
            wait = self._chat_wait(chat_id, self._clock())
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            async with self._lock:
                now = self._clock()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                while self._recent and now - self._recent[0][0] >= 1.0 + self.margin:
                    self._recent.popleft()
                capacity = self._capacity(bulk, now)
                if len(self._recent) >= capacity:
                    oldest = min(slot[0] for slot in self._recent)
                    await asyncio.sleep(max(0.001, oldest + 1.0 + self.margin - now))
                    continue
                if self._chat_wait(chat_id, now) > 0:
                    continue
                slot = [now]
                self._recent.append(slot)
                self._last_in_chat[chat_id] = now
                if len(self._last_in_chat) > 50_000:
                    self._forget_old(now)
                return slot

    def _sent(self, chat_id: int, slot: list[float]) -> None:
        """The send is answered: count it from now, which is no earlier than Telegram did."""
        now = self._clock()
        slot[0] = now
        self._last_in_chat[chat_id] = now
        ordered = sorted(self._recent, key=lambda item: item[0])
        self._recent = deque(ordered)

    def _forget_old(self, now: float) -> None:
        horizon = now - self.per_chat_interval - self.margin
        self._last_in_chat = {c: t for c, t in self._last_in_chat.items() if t > horizon}

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: RateLimitArgs | None,
    ) -> Any:
        chat = data.get("chat_id")
        chat_id = chat if isinstance(chat, int) else None
        bulk = bool(rate_limit_args and rate_limit_args.get("bulk"))
        paced = endpoint in SENDING_METHODS and chat_id is not None
        if not paced and (bulk or endpoint not in ANSWERING_METHODS):
            return await callback(*args, **kwargs)
        going = rate_limit_args.get("going") if rate_limit_args else None
        too_many = troubles = 0
        while True:
            slot = await self.acquire(chat_id, bulk=bulk) if chat_id is not None and paced else None
            try:
                if going is not None:
                    await going()
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                # Broadcasts are rescheduled by the outbox; a reply waits and tries again.
                wait = _seconds(error.retry_after)
                self.pause(min(wait, 1.0))
                if bulk or too_many == REPLY_RETRIES:
                    raise
                too_many += 1
                log.info("Telegram asked a reply to wait %.0f s", wait)
                await asyncio.sleep(wait)
            except TelegramError as error:
                # No log line here: an outage is logged once, by the bot's ApiHealth.
                if bulk or not is_outage(error) or troubles == len(REPLY_TROUBLE_WAITS):
                    raise
                await asyncio.sleep(REPLY_TROUBLE_WAITS[troubles])
                troubles += 1
            finally:
                if slot is not None and chat_id is not None:
                    self._sent(chat_id, slot)


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


#: Far above what any Bot API server takes: as good as no limit.
NO_LIMIT = 1_000_000


def unlimited() -> SendLimiter:
    """A limiter that never paces (replies still ride out brief trouble): for a
    self-hosted Bot API server without Telegram's limits, such as the benchmarks'."""
    return SendLimiter(per_second=NO_LIMIT, per_chat_interval=0.0, reply_reserve=0)
