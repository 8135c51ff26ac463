"""`coachbot run` as a separate process, pointed at a local Bot API server by TELEGRAM_API_URL,
receiving updates by polling and by webhook."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.bot_process import STARTUP_SECONDS, BotProcess, environment, free_port
from tests.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.e2e


WEBHOOK_SECRET = "a-webhook-secret_42"


def _bot(server: FakeBotAPI, tmp_path: Path, *arguments: str, **extra: str) -> BotProcess:
    variables = environment(
        server, f"sqlite:///{tmp_path / 'bot.db'}", COACHBOT_ADMIN_IDS="4242", **extra
    )
    return BotProcess(variables, tmp_path, arguments)


def _wait_for_commands(server: FakeBotAPI, bot: BotProcess) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.commands and time.monotonic() < deadline:
        assert bot.running, f"coachbot run exited early:\n{bot.output}"
        time.sleep(0.1)


def _wait_until_listening(port: int, bot: BotProcess) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        assert bot.running, f"coachbot run exited early:\n{bot.output}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            assert time.monotonic() < deadline, "the webhook never listened"
            time.sleep(0.1)


@pytest.fixture
def running_bot(server: FakeBotAPI, tmp_path: Path) -> Iterator[BotProcess]:
    bot = _bot(server, tmp_path)
    bot.start()
    yield bot
    bot.close()


@pytest.fixture
def webhook_port() -> int:
    return free_port()


@pytest.fixture
def webhook_bot(server: FakeBotAPI, tmp_path: Path, webhook_port: int) -> Iterator[BotProcess]:
    bot = _bot(
        server,
        tmp_path,
        "--webhook",
        "--port",
        str(webhook_port),
        COACHBOT_WEBHOOK_URL=f"http://127.0.0.1:{webhook_port}/",
        COACHBOT_WEBHOOK_SECRET=WEBHOOK_SECRET,
    )
    bot.start()
    yield bot
    bot.close()


def test_coachbot_run_serves_a_local_bot_api_and_never_logs_the_token(
    server: FakeBotAPI, running_bot: BotProcess
) -> None:
    _wait_for_commands(server, running_bot)
    assert ("start", "Set me up or rejoin") in server.commands
    sam = server.user(5150, first_name="Priya")
    sam.send("/start")
    welcome = sam.wait_for_sync("Doorstep Coach", timeout=60)
    assert "Priya" in welcome.plain_text
    assert running_bot.stop(timeout=60) == 0
    output = running_bot.output
    assert "connected as @doorstep_coach_bot" in output
    secret = server.token.split(":", 1)[1]
    assert secret not in output


def test_coachbot_run_with_webhook_registers_it_and_answers_what_telegram_posts(
    server: FakeBotAPI, webhook_bot: BotProcess, webhook_port: int
) -> None:
    _wait_for_commands(server, webhook_bot)
    _wait_until_listening(webhook_port, webhook_bot)
    priya = server.user(5151, first_name="Priya")
    priya.send("/start")
    # The fake server posts the update to the registered URL, secret header and all.
    welcome = priya.wait_for_sync("Doorstep Coach", timeout=60)
    assert "Priya" in welcome.plain_text
    # The post is answered once the update is handled, its last reply sent.
    priya.wait_for_sync("what's your trade?", timeout=60)
    deadline = time.monotonic() + 30
    while True:
        info = httpx.post(f"{server.base_url}{server.token}/getWebhookInfo").json()["result"]
        if info["pending_update_count"] == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
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
    unsigned = httpx.post(f"http://127.0.0.1:{webhook_port}/telegram", json=forged)
    assert unsigned.status_code == 403
    # A post with the secret that is no update is refused, and what it held is not logged.
    garbled = httpx.post(
        f"http://127.0.0.1:{webhook_port}/telegram",
        json={"update_id": "not a number", "message": "my address is 1 High Street"},
        headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET},
    )
    assert garbled.status_code == 400

    assert webhook_bot.stop(timeout=60) == 0
    output = webhook_bot.output
    assert server.token.split(":", 1)[1] not in output
    assert WEBHOOK_SECRET not in output
    assert "High Street" not in output


def test_coachbot_run_with_webhook_but_no_url_says_which_settings_it_needs(
    server: FakeBotAPI, tmp_path: Path
) -> None:
    bot = _bot(server, tmp_path, "--webhook")
    bot.start()
    assert bot.wait(timeout=60) == 2
    output = bot.output
    assert "COACHBOT_WEBHOOK_URL and COACHBOT_WEBHOOK_SECRET are both needed" in output
