"""Logging that never shows the bot token or what operatives type.

The token is taken out of everything the process writes about itself: log
messages, exception text and tracebacks in logs (a formatter, after the
message is formatted), and the interpreter's own report of an error nobody
caught, in the main thread or any other (``sys.excepthook``,
``threading.excepthook``, ``sys.unraisablehook``).

    configure(token)                    # "2026-12-01 08:00:00 INFO bot.x: message"
    configure(token, json_lines=True)   # {"time": "...", "level": "INFO", ...}
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

REDACTED = "[token]"


def secrets_of(token: str | None, *others: str | None) -> tuple[str, ...]:
    """What to redact for a bot token ``123:ABC``: the token, and ``ABC`` on its own
    (URLs may carry it encoded, ``123%3AABC``); plus any other secrets given."""
    found = [token, token.partition(":")[2] if token else None, *others]
    return tuple(secret for secret in found if secret)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


class RedactingFormatter(logging.Formatter):
    """Formats a record, traceback and all, then takes the secrets out of the result."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        self.secrets = tuple(secret for secret in secrets if secret)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def install_excepthooks(secrets: Iterable[str]) -> None:
    """Make the interpreter's own reports of uncaught errors redact ``secrets`` too."""
    kept = tuple(secret for secret in secrets if secret)

    def report(
        kind: type[BaseException], error: BaseException, trace: TracebackType | None
    ) -> None:
        text = "".join(traceback.format_exception(kind, error, trace))
        sys.stderr.write(redact(text, kept))
        sys.stderr.flush()

    def report_thread(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit or args.exc_value is None:
            return
        sys.stderr.write(f"Exception in thread {args.thread.name if args.thread else '?'}:\n")
        report(args.exc_type, args.exc_value, args.exc_traceback)

    def report_unraisable(args: sys.UnraisableHookArgs) -> None:
        if args.exc_value is None:
            return
        sys.stderr.write(redact(f"{args.err_msg or 'Exception ignored'}: {args.object!r}\n", kept))
        report(args.exc_type, args.exc_value, args.exc_traceback)

    sys.excepthook = report
    threading.excepthook = report_thread
    sys.unraisablehook = report_unraisable


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

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = tuple(secret for secret in secrets if secret)

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


class LeaveOut(logging.Filter):
    """Drops records about exceptions of these kinds: the caller reports them itself,
    in one line (say, Telegram refusing the token) rather than a library's traceback."""

    def __init__(self, kinds: tuple[type[BaseException], ...]) -> None:
        super().__init__()
        self.kinds = kinds

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return not isinstance(error, self.kinds)


def configure(
    *secrets: str,
    level: int = logging.INFO,
    reported_elsewhere: tuple[type[BaseException], ...] = (),
    json_lines: bool = False,
) -> None:
    """Log to stderr, as text or (``json_lines``) one JSON object a line; redact
    ``secrets`` everywhere, tracebacks included; keep HTTP libraries quiet; leave out
    tracebacks of the exceptions ``reported_elsewhere``."""
    handler = logging.StreamHandler()
    if json_lines:
        handler.setFormatter(JsonLines(secrets))
    else:
        handler.setFormatter(
            RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
        )
    handler.addFilter(RedactSecrets(*secrets))
    if reported_elsewhere:
        handler.addFilter(LeaveOut(reported_elsewhere))
    install_excepthooks(secrets)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library warnings go through logging too, so every line has the chosen format.
    logging.captureWarnings(json_lines)
    # httpx logs every request URL, and Telegram's URLs contain the token.
    for noisy in ("httpx", "httpcore", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
