"""Keeps sends within Telegram's limits: about 30 a second overall and 1 a second per chat.

A sliding window, like Telegram's own counting, rather than a token bucket:
a bucket that is full at the start of a second lets a burst through that the
window then counts against the next second.

    limiter = SendLimiter(per_second=30, per_chat_interval=1.0)
    await limiter.acquire(chat_id)   # returns when this send may go
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable


class SendLimiter:
    def __init__(
        self,
        per_second: int = 30,
        per_chat_interval: float = 1.0,
        margin: float = 0.03,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = per_second
        self.per_chat_interval = per_chat_interval
        #: Slack for the time between our clock and the server's, on each side.
        self.margin = margin
        self._clock = clock
        self._recent: deque[float] = deque()
        self._last_in_chat: dict[int, float] = {}
        self._lock = asyncio.Lock()
        self._paused_until = 0.0

    def pause(self, seconds: float) -> None:
        """Hold every send for a while (Telegram said 429 to a send we thought was fine)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    def _chat_wait(self, chat_id: int, now: float) -> float:
        last = self._last_in_chat.get(chat_id)
        return 0.0 if last is None else last + self.per_chat_interval + self.margin - now

    async def acquire(self, chat_id: int) -> None:
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
                while self._recent and now - self._recent[0] >= 1.0 + self.margin:
                    self._recent.popleft()
                if len(self._recent) >= self.per_second:
                    await asyncio.sleep(self._recent[0] + 1.0 + self.margin - now)
                    continue
                if self._chat_wait(chat_id, now) > 0:
                    continue
                self._recent.append(now)
                self._last_in_chat[chat_id] = now
                if len(self._last_in_chat) > 50_000:
                    self._forget_old(now)
                return

    def _forget_old(self, now: float) -> None:
        horizon = now - self.per_chat_interval - self.margin
        self._last_in_chat = {c: t for c, t in self._last_in_chat.items() if t > horizon}
