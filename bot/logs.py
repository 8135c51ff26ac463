"""Logging that never shows the bot token or what operatives type.

configure(token)                    # "2026-12-01 08:00:00 INFO bot.x: message"
configure(token, json_lines=True)   # {"time": "...", "level": "INFO", "logger": ..., ...}
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime
from pathlib import Path

REDACTED = "[token]"


def redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text


class RedactSecrets(logging.Filter):
    """Replaces each secret in a log record's final message, wherever it came from."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            record.msg, record.args = redact(message, self.secrets), None
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record, for a log collector.

    Fields: ``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and, for an
    exception, ``error`` (its type) and ``where`` (file:line of the innermost frames).
    An exception's own text is left out: it can quote what someone typed. The whole
    line is redacted once more, so a secret can't slip in through any field."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            frames = traceback.extract_tb(error.__traceback__)[-3:]
            entry["error"] = type(error).__name__
            entry["where"] = [f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in frames]
        return redact(json.dumps(entry, ensure_ascii=False), self.secrets)


def configure(*secrets: str, level: int = logging.INFO, json_lines: bool = False) -> None:
    """Log to stderr; redact ``secrets`` everywhere; keep HTTP libraries quiet."""
    handler = logging.StreamHandler()
    if json_lines:
        handler.setFormatter(JsonLines(*secrets))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(*secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library warnings go through logging too, so every line has the chosen format.
    logging.captureWarnings(json_lines)
    # httpx logs every request URL, and Telegram's URLs contain the token.
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
