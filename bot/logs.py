"""Logging that never shows the bot token or what operatives type."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

REDACTED = "[token]"


class RedactSecrets(logging.Filter):
    """Replaces each secret in a log record's final message, wherever it came from."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, REDACTED)
            record.msg, record.args = message, None
        return True


def failure(error: BaseException) -> str:
    """An exception as a log may hold it: its type and where it was raised.

    Not its text, which can quote what someone typed (``int('my words')``), except
    for Telegram's own errors, whose description says what the API refused.
    """
    kinds = {kind.__name__ for kind in type(error).__mro__}
    said = f": {error}" if "TelegramError" in kinds else ""
    frames = traceback.extract_tb(error.__traceback__)
    # The innermost frame, and the innermost two of this package's own.
    ours = [frame for frame in frames if "/bot/" in Path(frame.filename).as_posix()]
    shown = frames[-1:] + ours[::-1][:2]
    where = " < ".join(
        dict.fromkeys(f"{Path(f.filename).name}:{f.lineno} in {f.name}" for f in shown)
    )
    return f"{type(error).__name__}{said}" + (f" at {where}" if where else "")


def configure(*secrets: str, level: int = logging.INFO) -> None:
    """Log to stderr; redact ``secrets`` everywhere; keep HTTP libraries quiet."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(*secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL, and Telegram's URLs contain the token.
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
