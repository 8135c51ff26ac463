"""Webhook mode: a small aiohttp server takes Telegram's posts, in place of PTB's own.

    asyncio.run(serve_webhook(application, listen="0.0.0.0", port=8443, url_path="telegram",
                              secret_token=..., webhook_url="https://coach.example.org/telegram"))

python-telegram-bot's webhook server is tornado's, HTTP parsed in pure Python: a
sixth of a busy replica's event loop went on taking posts. aiohttp parses HTTP in
C, and is already the bot's client (:mod:`bot.telegram.http`). What PTB documents
as a custom webhook: the server checks each post and puts its ``Update`` on the
Application's update queue, and the Application handles it as any other.

What PTB's server did, this one does:

- a post without the secret token in ``X-Telegram-Bot-Api-Secret-Token``, or with
  another, is refused (403), as is one that is not JSON; one that is JSON but no
  update gets 400, logged without its content (it may hold what someone typed);
- the post is answered once its update is handled (the update queue is
  :class:`~bot.telegram.ordering.AnsweredWhenHandled`), so repeats and ordering work
  as before (:mod:`bot.core.jobs.updates`, :mod:`bot.telegram.ordering`);
- at start, the Application is initialised and the webhook set with Telegram,
  trying again through an outage; it listens before it sets the webhook, so no
  post finds nobody there;
- on Ctrl+C or SIGTERM it stops taking posts, answers those in hand once handled
  (for up to ``DRAIN_SECONDS``), then stops the Application as PTB does.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, RetryAfter, TelegramError
from telegram.ext import Application, ExtBot

from bot.logs import failure

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: How long posts in hand at a stop get to be handled and answered; any not answered
#: by then Telegram posts again, and the replica that takes it drops it if it was handled.
DRAIN_SECONDS = 10.0
#: The longest pause between two tries to initialise or to set the webhook.
RETRY_AT_MOST = 30.0
#: As PTB's run_webhook: Telegram keeps up to this many posts open to the webhook.
MAX_CONNECTIONS = 40
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGABRT)


class WebhookReceiver:
    """The aiohttp application that takes Telegram's posts to ``/<url_path>``."""

    def __init__(
        self,
        application: Application,  # type: ignore[type-arg]
        url_path: str,
        secret_token: str,
    ) -> None:
        self.application = application
        self._secret = secret_token.encode()
        path = "/" + url_path.strip("/")
        self.web = web.Application()
        for route in (path, path + "/"):
            self.web.router.add_post(route, self.take)

    async def take(self, request: web.Request) -> web.Response:
        # Constant time: how much of a guess was right must not show in how long it took.
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403)
        if request.content_type != "application/json":
            return web.Response(status=403)
        bot = self.application.bot
        try:
            update = Update.de_json(json.loads(await request.read()), bot)
        except Exception as error:
            # Not the content: it may hold what someone typed.
            log.error("a webhook post was not an update (%s); refused", type(error).__name__)
            return web.Response(status=400)
        if isinstance(bot, ExtBot):
            bot.insert_callback_data(update)
        # Returns once the update is handled (AnsweredWhenHandled).
        await self.application.update_queue.put(update)
        return web.Response(status=200)


async def serve_webhook(
    application: Application,  # type: ignore[type-arg]
    *,
    listen: str,
    port: int,
    url_path: str,
    secret_token: str,
    webhook_url: str,
) -> None:
    """Serve until Ctrl+C or SIGTERM: the Application's whole life, as PTB's run_webhook."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    receiver = WebhookReceiver(application, url_path, secret_token)
    # No access log: a line a post is CPU a busy replica needs, and says nothing useful.
    runner = web.AppRunner(receiver.web, access_log=None, shutdown_timeout=DRAIN_SECONDS)
    await runner.setup()
    started = False
    try:
        if not await _until_done(application.initialize, stop):
            return
        if application.post_init:
            await application.post_init(application)
        await web.TCPSite(runner, listen, port).start()

        async def set_webhook() -> Any:
            return await application.bot.set_webhook(
                webhook_url, secret_token=secret_token, max_connections=MAX_CONNECTIONS
            )

        if not await _until_done(set_webhook, stop):
            return
        await application.start()
        started = True
        await stop.wait()
    finally:
        # Posts in hand are handled and answered (the Application still runs), then
        # the Application stops, waiting for what it has in hand, as PTB's does.
        await runner.cleanup()
        if started:
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
        for signum in STOP_SIGNALS:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)


async def _until_done(action: Callable[[], Awaitable[Any]], stop: asyncio.Event) -> bool:
    """Run ``action`` until it succeeds, trying again after a Telegram error (an outage:
    the bot checked the token a moment ago), with growing pauses; False if stopped first.
    A refused token is not an outage: it is raised."""
    pause = 1.0
    while not stop.is_set():
        try:
            await action()
            return True
        except InvalidToken:
            raise
        except RetryAfter as error:
            wait = error.retry_after
            pause_now = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        except TelegramError as error:
            log.info("a start-up call to Telegram failed (%s); trying again", failure(error))
            pause_now = pause
            pause = min(RETRY_AT_MOST, pause * 1.5)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=pause_now)
    return False
