"""Many people's updates handled at once, each person's in the order they sent them.

    ApplicationBuilder()...concurrent_updates(ChatOrderedProcessor(256))

python-telegram-bot's ``concurrent_updates(True)`` starts a task per update and
lets them race: two quick messages from one person could be answered the wrong
way round, or both change their settings at once. This processor lets updates
from different chats run side by side while each chat's wait their turn.

Why the order holds: PTB starts one task per update in the order they arrived,
and each task comes here through PTB's semaphore, which lets tasks through in
the order they asked (asyncio's semaphores and locks are first come, first
served). Here each takes its chat's lock before any ``await`` can let another
task in, so a chat's updates hold its lock in arrival order.

In webhook mode, a replica answers Telegram's post only once the update is handled
(:class:`AnsweredWhenHandled`). With several replicas behind a proxy, a chat's next
update then reaches whichever replica only after the last one is done, provided the
sender posts each chat's updates one at a time, as the benchmark's local server does.

An update waiting for its chat's lock keeps its place in PTB's count of updates
in hand (``max_concurrent_updates``): a flood from one chat can use up to that
many places, so the limit is set well above any one person's burst.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

#: The key of updates that belong to no chat (poll answers, chat member changes without
#: a chat are rare): they share one queue, in order, as before.
NO_CHAT = 0


def chat_key(update: object) -> int:
    """Which queue an update joins: its chat's, else its sender's, else the shared one."""
    if not isinstance(update, Update):
        return NO_CHAT
    if update.effective_chat is not None:
        return update.effective_chat.id
    if update.effective_user is not None:
        return update.effective_user.id
    return NO_CHAT


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Handles up to ``max_concurrent_updates`` updates at once, one at a time per chat."""

    def __init__(
        self, max_concurrent_updates: int, on_handled: Callable[[object], None] | None = None
    ) -> None:
        super().__init__(max_concurrent_updates)
        #: Told of each update once it is handled (or failed).
        self.on_handled = on_handled
        self._locks: dict[int, asyncio.Lock] = {}
        #: How many updates hold or wait for each chat's lock, so idle chats are forgotten.
        self._holders: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = chat_key(update)
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        self._holders[key] = self._holders.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            if self.on_handled is not None:
                self.on_handled(update)
            self._holders[key] -= 1
            if not self._holders[key]:
                del self._holders[key]
                del self._locks[key]

    @property
    def chats_in_hand(self) -> int:
        """Chats with an update being handled or waiting (for tests and status)."""
        return len(self._locks)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: PTB waits for the updates in hand before it stops."""


class AnsweredWhenHandled(asyncio.Queue[object]):
    """PTB's update queue, for webhook mode: ``put`` (which the webhook server,
    :mod:`bot.telegram.webhook`, awaits before it answers the post) returns once the
    update has been handled.

    At a stop, the server answers the posts in hand once they are handled, for a few
    seconds; an update still queued when the Application stops is never handled: its
    post goes unanswered, and Telegram sends it again later.
    """

    def __init__(self) -> None:
        super().__init__()
        self._waiting: dict[int, asyncio.Future[None]] = {}

    async def put(self, item: object) -> None:
        if not isinstance(item, Update):  # PTB's own signals, such as its stop signal
            await super().put(item)
            return
        done = asyncio.get_running_loop().create_future()
        self._waiting[id(item)] = done
        try:
            await super().put(item)
            await done
        finally:
            self._waiting.pop(id(item), None)

    def handled(self, item: object) -> None:
        done = self._waiting.pop(id(item), None)
        if done is not None and not done.done():
            done.set_result(None)
