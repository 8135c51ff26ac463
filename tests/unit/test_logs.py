"""COACHBOT_LOG_FORMAT=json: one JSON object a line, with the token and people's words kept out."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot import logs

TOKEN = "123456:LOGS-secret_token"
WORDS = "my neighbour Mrs Patel at 14 Elm Road"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_each_line_is_one_json_object_without_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(TOKEN, json_lines=True)
    log = logging.getLogger("bot.telegram.delivery")
    log.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    log.warning("Telegram refused an outbox message (%s): %s", "prompt", "can't parse\nentities")
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2  # a newline inside a message stays inside its object
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "calling https://api.telegram.org/bot[token]/getMe"
    assert first["level"] == "INFO"
    assert first["logger"] == "bot.telegram.delivery"
    assert first["time"].endswith("+00:00")
    assert second["message"] == "Telegram refused an outbox message (prompt): can't parse\nentities"
    assert TOKEN not in "\n".join(lines)
    assert TOKEN.split(":")[1] not in "\n".join(lines)


def test_an_exception_gives_its_type_and_place_but_not_its_words(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure(TOKEN, json_lines=True)
    try:
        int(WORDS)
    except ValueError:
        logging.getLogger("bot.telegram.app").exception("handler failed")
    (line,) = capsys.readouterr().err.splitlines()
    entry = json.loads(line)
    assert entry["message"] == "handler failed"
    assert entry["error"] == "ValueError"
    assert any(place.startswith("test_logs.py:") for place in entry["where"])
    assert "Patel" not in line


def test_a_token_a_library_logs_is_redacted_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.configure(TOKEN, json_lines=True)
    logging.getLogger("telegram.ext").error("polling %s failed", f"https://x/bot{TOKEN}/getUpdates")
    assert TOKEN not in capsys.readouterr().err


def test_text_stays_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    logs.configure(TOKEN)
    logging.getLogger("bot").info("connected with %s", TOKEN)
    line = capsys.readouterr().err.strip()
    assert line.endswith("INFO bot: connected with [token]")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
