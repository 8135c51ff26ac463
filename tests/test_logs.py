"""The token is taken out of log lines, exception text, logged tracebacks and the
interpreter's own report of an uncaught error, in any thread; failures are logged
without the text of the exception, which may quote what someone typed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.logs import failure

REPO = Path(__file__).resolve().parent.parent
TOKEN = "7301924856:AAH-another_Secret-Token_4kPzQw"

SCRIPT = f"""
import logging, threading
from bot import logs

TOKEN = {TOKEN!r}
logs.configure(*logs.secrets_of(TOKEN))
log = logging.getLogger("bot.example")
log.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
try:
    raise RuntimeError(f"the token `{{TOKEN}}` was rejected")
except RuntimeError:
    log.exception("start-up failed")

def in_a_thread():
    raise ValueError("thread saw " + TOKEN.split(":")[1])

worker = threading.Thread(target=in_a_thread, name="sender")
worker.start()
worker.join()
raise RuntimeError(f"nobody caught this: {{TOKEN}}")
"""


def test_the_token_never_reaches_stderr_even_from_an_uncaught_error() -> None:
    ran = subprocess.run([sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, timeout=60)
    output = ran.stdout + ran.stderr
    assert ran.returncode == 1
    assert TOKEN.split(":")[1].encode() not in output
    text = output.decode()
    # Everything is still reported, with the token's place marked.
    assert "calling https://api.telegram.org/bot[token]/getMe" in text
    assert "start-up failed" in text and "the token `[token]` was rejected" in text
    assert "Exception in thread sender" in text and "thread saw [token]" in text
    assert "nobody caught this: [token]" in text
    assert text.count("Traceback (most recent call last)") == 3


def test_a_failure_is_described_by_type_and_place_not_by_its_text() -> None:
    try:
        int("my secret words")
    except ValueError as error:
        described = failure(error)
    assert described.startswith("ValueError at test_logs.py:")
    assert "secret" not in described
