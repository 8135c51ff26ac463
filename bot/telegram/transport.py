"""The bot's HTTP requests to the Bot API, watched: how each went is told to :class:`ApiHealth`.

    health = ApiHealth()
    ApplicationBuilder()...request(WatchedRequest(HTTPXRequest(...), health))
        .get_updates_request(WatchedRequest(HTTPXRequest(...), health, patient=True))

The long poll is patient: during an outage it keeps trying every few seconds itself
instead of failing back to python-telegram-bot, whose own back-off grows to 30
seconds (so polling resumed half a minute after an outage) and logs a traceback
each time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
import httpx
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut
from telegram.ext import ExtBot
from telegram.request import BaseRequest, RequestData

from bot.telegram.health import ApiHealth

#: The longest a patient long poll waits between two tries while the API is down.
PATIENT_WAIT = 3.0

DEFAULT: DefaultValue[None] = BaseRequest.DEFAULT_NONE


def is_outage(error: TelegramError) -> bool:
    """A network error, a timeout or a 5xx: the API may be down (400, 403, 429 say it is up)."""
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


def may_have_arrived(error: TelegramError) -> bool:
    """Whether a failed request may still have reached Telegram: the connection was made,
    then the answer was lost (a dropped connection, a read timeout). Not when the
    connection was never made, and not for a 5xx: that is Telegram's answer."""
    cause = error.__cause__
    if isinstance(cause, aiohttp.ClientError | TimeoutError):
        # The bot's own client (bot.telegram.http): a refused or timed-out connection.
        never_sent = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)
        return not isinstance(cause, never_sent)
    never_sent_httpx = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
    return isinstance(cause, httpx.HTTPError) and not isinstance(cause, never_sent_httpx)


def _reason(error: NetworkError) -> str:
    """Short and safe for a log: the kind of failure, never a URL (it holds the token)."""
    cause = error.__cause__
    return type(cause).__name__ if cause is not None else type(error).__name__


def _long_poll(url: str, request_data: RequestData | None) -> bool:
    if not url.endswith("/getUpdates") or request_data is None:
        return False
    timeout = request_data.parameters.get("timeout", 0)
    return isinstance(timeout, int | float) and timeout > 0


class WatchedRequest(BaseRequest):
    def __init__(
        self,
        inner: BaseRequest,
        health: ApiHealth,
        *,
        patient: bool = False,
        most_at_once: int | None = None,
    ) -> None:
        self.inner = inner
        self.health = health
        #: Long polls ride out an outage here (see the module's docstring).
        self.patient = patient
        #: Requests in flight at once, the rest wait their turn (as long as it takes:
        #: a burst of replies queues here, not in the client's pool, which would time out).
        self._gate = asyncio.Semaphore(most_at_once) if most_at_once else None

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT,
        write_timeout: ODVInput[float] = DEFAULT,
        connect_timeout: ODVInput[float] = DEFAULT,
        pool_timeout: ODVInput[float] = DEFAULT,
    ) -> tuple[int, bytes]:
        patient = self.patient and _long_poll(url, request_data)
        wait = 0.5
        while True:
            asked_at = self.health.now()
            try:
                async with self._gate or contextlib.nullcontext():
                    code, payload = await self.inner.do_request(
                        url,
                        method,
                        request_data,
                        read_timeout,
                        write_timeout,
                        connect_timeout,
                        pool_timeout,
                    )
            except NetworkError as error:
                if isinstance(error, TimedOut) and isinstance(error.__cause__, httpx.PoolTimeout):
                    raise  # our own connection pool was busy: nothing to do with Telegram
                self.health.failed(_reason(error))
                if not patient:
                    raise
            else:
                if code < 500:
                    self.health.answered(asked_at)
                    return code, payload
                self.health.failed(f"HTTP {code}")
                if not patient:
                    return code, payload
            if self.health.down:
                await self.health.wait_until_up(wait)  # early if another call finds it back
            else:
                await asyncio.sleep(wait)
            wait = min(PATIENT_WAIT, wait * 2)


def health_of(bot: ExtBot[object]) -> ApiHealth:
    """The ApiHealth a bot's requests report to; a new, unwatched one if they report to none."""
    request = bot.request
    return request.health if isinstance(request, WatchedRequest) else ApiHealth()


class QuietOutages(logging.Filter):
    """python-telegram-bot logs some network errors with a traceback (the last poll when
    it stops, a bootstrap that gives up). An outage is reported by ApiHealth already:
    keep such a line, drop its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, TelegramError) and is_outage(error):
            record.exc_info = None
            record.exc_text = None
        return True


#: python-telegram-bot's loggers that log network errors (a logger's filters don't
#: apply to its children, so each is named).
PTB_LOGGERS = ("telegram.ext", "telegram.ext.Updater", "telegram.ext.Application", "telegram.Bot")


def quiet_outage_tracebacks() -> None:
    for name in PTB_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietOutages) for f in logger.filters):
            logger.addFilter(QuietOutages())
