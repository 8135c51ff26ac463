"""How long each update takes to handle, replies included, for the metrics.

Two catch-all handlers bracket the bot's own: one in the first group notes the
start, one in the last group reports the time. Nothing in the adapter changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

FIRST_GROUP = -1_000
LAST_GROUP = 1_000
#: Starts are forgotten past this many (an update a handler stopped early never ends).
MAX_OPEN = 10_000


def time_updates(
    application: Application[Any, Any, Any, Any, Any, Any], observe: Callable[[float], None]
) -> None:
    """Call ``observe(seconds)`` once each update has been through every handler."""
    started: dict[int, float] = {}

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if len(started) >= MAX_OPEN:
            started.clear()
        started[id(update)] = time.perf_counter()

    async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        began = started.pop(id(update), None)
        if began is not None:
            observe(time.perf_counter() - began)

    application.add_handler(TypeHandler(Update, start), group=FIRST_GROUP)
    application.add_handler(TypeHandler(Update, stop), group=LAST_GROUP)
