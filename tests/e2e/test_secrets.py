"""The bot token never reaches the output of `coachbot run`: not when Telegram refuses it,
not when the Bot API can't be reached, not in an exception's text or a traceback."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.bot_process import BotProcess, environment
from tests.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.e2e
#: Shaped like a real token, so that only Telegram's answer can refuse it.
TOKEN = "7301924856:AAH-refused_Secret-Token_9xQzLm4PqRw"
SECRET = TOKEN.split(":", 1)[1]


def _run_for(api_url: str, tmp_path: Path, seconds: float) -> tuple[int | None, str]:
    """Start `coachbot run`; let it run (or exit) for up to ``seconds``; all it wrote."""
    variables = environment(
        None,
        f"sqlite:///{tmp_path / 'bot.db'}",
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api_url,
    )
    bot = BotProcess(variables, tmp_path)
    bot.start()
    deadline = time.monotonic() + seconds
    while bot.running and time.monotonic() < deadline:
        time.sleep(0.2)
    code = bot.stop(timeout=15)
    return code, bot.output


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_token_is_one_clear_line_and_never_printed(
    server: FakeBotAPI, tmp_path: Path
) -> None:
    server.refuse_token(TOKEN)
    code, output = _run_for(server.base_url, tmp_path, 60)
    assert code == 2, output
    assert "Telegram refused the bot token" in output
    assert "Traceback" not in output
    assert SECRET not in output
    assert TOKEN not in output


def test_an_unreachable_bot_api_never_prints_the_token(tmp_path: Path) -> None:
    # `coachbot run` may give up or wait for the API to come back: either way, what
    # it writes in the meantime must not hold the token.
    _, output = _run_for(f"http://127.0.0.1:{_closed_port()}/bot", tmp_path, 20)
    assert output, "coachbot run said nothing about the unreachable API"
    assert SECRET not in output
    assert TOKEN not in output
