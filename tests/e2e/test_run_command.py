"""`coachbot run` as a separate process, pointed at a local Bot API server by TELEGRAM_API_URL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def running_bot(server: FakeBotAPI, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "COACHBOT_", "DATABASE_URL"))
    }
    environment.update(
        TELEGRAM_BOT_TOKEN=server.token,
        TELEGRAM_API_URL=server.base_url,
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        COACHBOT_ADMIN_IDS="4242",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    yield process
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def test_coachbot_run_serves_a_local_bot_api_and_never_logs_the_token(
    server: FakeBotAPI, running_bot: subprocess.Popen[str]
) -> None:
    deadline = time.monotonic() + 60
    while not server.commands and time.monotonic() < deadline:
        assert running_bot.poll() is None, "coachbot run exited early"
        time.sleep(0.1)
    assert ("start", "Set me up or rejoin") in server.commands
    sam = server.user(5150, first_name="Priya")
    sam.send("/start")
    welcome = sam.wait_for_sync("Doorstep Coach", timeout=60)
    assert "Priya" in welcome.plain_text
    running_bot.send_signal(signal.SIGINT)
    output, _ = running_bot.communicate(timeout=60)
    assert running_bot.returncode == 0
    assert "connected as @doorstep_coach_bot" in output
    secret = server.token.split(":", 1)[1]
    assert secret not in output
