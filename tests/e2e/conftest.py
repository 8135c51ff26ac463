"""The real python-telegram-bot Application, in polling mode, against the local fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from telegram.ext import Application

from bot.core.coaching import Coach
from bot.telegram.app import build_application
from tests.fake_bot_api import FakeBotAPI


@pytest.fixture
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


@pytest.fixture
async def telegram_bot(server: FakeBotAPI, coach: Coach) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    """The bot as `coachbot run` builds it, polling the fake server."""
    application = build_application(coach, server.token, server.base_url, server.base_file_url)
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    assert application.updater is not None
    await application.updater.start_polling(poll_interval=0.0, timeout=1)
    await application.start()
    yield application
    await application.updater.stop()
    await application.stop()
    await application.shutdown()
