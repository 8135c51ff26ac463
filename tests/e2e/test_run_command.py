"""`coachbot run` as a separate process, pointed at a local Bot API server by TELEGRAM_API_URL,
receiving updates by polling and by webhook."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.bot_process import free_port
from tests.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]


WEBHOOK_SECRET = "a-webhook-secret_42"


def _environment(server: FakeBotAPI, tmp_path: Path, **extra: str) -> dict[str, str]:
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
        **extra,
    )
    return environment


def _start(arguments: list[str], environment: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", *arguments],
        cwd=REPO,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_for_commands(server: FakeBotAPI, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not server.commands and time.monotonic() < deadline:
        assert process.poll() is None, "coachbot run exited early"
        time.sleep(0.1)


def _wait_until_listening(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, "coachbot run exited early"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, "the webhook never listened"
            time.sleep(0.1)


@pytest.fixture
def running_bot(server: FakeBotAPI, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = _start([], _environment(server, tmp_path))
    yield process
    _stop(process)


@pytest.fixture
def webhook_port() -> int:
    return free_port()


@pytest.fixture
def webhook_bot(
    server: FakeBotAPI, tmp_path: Path, webhook_port: int
) -> Iterator[subprocess.Popen[str]]:
    environment = _environment(
        server,
        tmp_path,
        COACHBOT_WEBHOOK_URL=f"http://127.0.0.1:{webhook_port}/",
        COACHBOT_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    process = _start(["--webhook", "--port", str(webhook_port)], environment)
    yield process
    _stop(process)


def test_coachbot_run_serves_a_local_bot_api_and_never_logs_the_token(
    server: FakeBotAPI, running_bot: subprocess.Popen[str]
) -> None:
    _wait_for_commands(server, running_bot)
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


def test_coachbot_run_with_webhook_registers_it_and_answers_what_telegram_posts(
    server: FakeBotAPI, webhook_bot: subprocess.Popen[str], webhook_port: int
) -> None:
    _wait_for_commands(server, webhook_bot)
    # python-telegram-bot sets the webhook a moment before it listens: an update sent in
    # that moment fails its first post (and is posted again), which is not what this
    # test is about.
    _wait_until_listening(webhook_port, webhook_bot)
    priya = server.user(5151, first_name="Priya")
    priya.send("/start")
    # The fake server posts the update to the registered URL, secret header and all.
    welcome = priya.wait_for_sync("Doorstep Coach", timeout=60)
    assert "Priya" in welcome.plain_text
    info = httpx.post(f"{server.base_url}{server.token}/getWebhookInfo").json()["result"]
    assert info["url"] == f"http://127.0.0.1:{webhook_port}/telegram"
    assert info["pending_update_count"] == 0
    assert "last_error_message" not in info

    # Anyone else who finds the URL is turned away.
    forged = {"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "/start"}}
    refused = httpx.post(
        f"http://127.0.0.1:{webhook_port}/telegram",
        json=forged,
        headers={"X-Telegram-Bot-Api-Secret-Token": "not-the-secret"},
    )
    assert refused.status_code == 403

    webhook_bot.send_signal(signal.SIGINT)
    output, _ = webhook_bot.communicate(timeout=60)
    assert webhook_bot.returncode == 0
    assert server.token.split(":", 1)[1] not in output
    assert WEBHOOK_SECRET not in output


def test_coachbot_run_with_webhook_but_no_url_says_which_settings_it_needs(
    server: FakeBotAPI, tmp_path: Path
) -> None:
    process = _start(["--webhook"], _environment(server, tmp_path))
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 2
    assert "COACHBOT_WEBHOOK_URL and COACHBOT_WEBHOOK_SECRET are both needed" in output
