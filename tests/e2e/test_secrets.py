"""The bot token never reaches the output of `coachbot run`: not when Telegram refuses it,
not when the Bot API can't be reached, not in an exception's text or a traceback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
#: Shaped like a real token, so that only Telegram's answer can refuse it.
TOKEN = "7301924856:AAH-refused_Secret-Token_9xQzLm4PqRw"
SECRET = TOKEN.split(":", 1)[1]


def _environment(api_url: str, tmp_path: Path) -> dict[str, str]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "COACHBOT_", "DATABASE_URL"))
    }
    environment.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=api_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
    )
    return environment


def _run_for(api_url: str, tmp_path: Path, seconds: float) -> tuple[int | None, bytes]:
    """Start `coachbot run`; let it run (or exit) for up to ``seconds``; every byte it wrote."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=REPO,
        env=_environment(api_url, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + seconds
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    output, _ = process.communicate(timeout=30)
    return process.returncode, output


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_refused_token_is_one_clear_line_and_never_printed(
    server: FakeBotAPI, tmp_path: Path
) -> None:
    server.refuse_token(TOKEN)
    code, output = _run_for(server.base_url, tmp_path, 60)
    assert code == 2, output.decode(errors="replace")
    text = output.decode(errors="replace")
    assert "Telegram refused the bot token" in text
    assert "Traceback" not in text
    assert SECRET.encode() not in output
    assert TOKEN.encode() not in output


def test_an_unreachable_bot_api_never_prints_the_token(tmp_path: Path) -> None:
    # `coachbot run` may give up or wait for the API to come back: either way, what
    # it writes in the meantime must not hold the token.
    _, output = _run_for(f"http://127.0.0.1:{_closed_port()}/bot", tmp_path, 20)
    assert output, "coachbot run said nothing about the unreachable API"
    assert SECRET.encode() not in output
    assert TOKEN.encode() not in output
