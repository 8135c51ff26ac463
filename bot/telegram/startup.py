"""Before `coachbot run` starts the bot: wait until the Bot API answers.

Started while Telegram (or the network) is down, the bot waits, trying again
with growing pauses of up to half a minute, and says so once a minute (through
:class:`ApiHealth`), instead of exiting. A token Telegram refuses (401 or 404
from getMe) is not an outage: waiting would never help, so it stops at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal

from telegram import Bot
from telegram.error import InvalidToken, TelegramError

from bot.telegram.health import ApiHealth
from bot.telegram.http import AiohttpRequest
from bot.telegram.transport import WatchedRequest, is_outage

#: The longest pause between two tries.
WAIT_AT_MOST = 30.0


class TokenRefused(Exception):
    """Telegram said the token is not a bot's (or the API URL is wrong)."""


async def wait_for_telegram(
    token: str, api_url: str, health: ApiHealth, *, wait_at_most: float = WAIT_AT_MOST
) -> str | None:
    """Return the bot's username once getMe is answered, or None if asked to stop
    (Ctrl+C, SIGTERM) first. Raises TokenRefused, without the token, if Telegram
    refuses it. The username is known before the first update is handled, so the
    first /newcohort can make its invite link."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    request = WatchedRequest(AiohttpRequest(), health)
    bot = Bot(token, base_url=api_url, request=request, get_updates_request=request)
    wait = 1.0
    try:
        while not stop.is_set():
            try:
                me = await bot.get_me()
                return me.username
            except InvalidToken:
                raise TokenRefused from None  # its text may hold the token
            except TelegramError as error:
                if not is_outage(error):
                    raise
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)
            wait = min(wait_at_most, wait * 2)
        return None
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
        await request.shutdown()
