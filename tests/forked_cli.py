"""`coachbot` commands for tests, each in a process forked from one that has already
imported the bot.

Starting Python and importing the bot costs about a second of CPU, and the command-line
tests run about a hundred commands. Each command here is still a process of its own, as
from a shell: its own arguments, environment, working directory, standard input, output
and error, and exit code; an exception that escapes goes to ``sys.excepthook`` as it would
in a fresh interpreter. Only the imports are shared, done once per test process::

    result = run_coachbot(["cohort", "list"], env={"DATABASE_URL": url})
    assert result.returncode == 0 and "code" in result.stdout

``at`` pins the clock, as ``python -m tests.pinned_clock`` does. Interactive sessions
(tests/terminal_session.py) and `coachbot run` (tests/bot_process.py) start real
interpreters instead.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from tests.support import without_bot_settings

REPO = Path(__file__).resolve().parent.parent
#: Modules the commands import when they run; importing them here once is the point.
_PRELOAD = (
    "bot.cli",
    "bot.wiring",
    "bot.terminal",
    "bot.status",
    "bot.upkeep",
    "bot.metrics",
    "bot.telegram.app",
    "bot.telegram.startup",
    "bot.core.content.loader",
    "bot.core.matching.matcher",
    "bot.core.handlers.facilitation",
    "bot.core.policy.invites",
    "bot.reporting.renderers",
    "httpx",
)
#: A command that takes longer than this is killed, as ``subprocess.run(timeout=…)`` would.
TIMEOUT_SECONDS = 120


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without the bot's settings (but the run's matcher
    cache), plus ``settings``."""
    env = without_bot_settings()
    env.update(settings)
    return env


def run_coachbot(
    args: list[str],
    env: dict[str, str],
    stdin: str = "",
    cwd: Path = REPO,
    at: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``coachbot ARGS`` with exactly the environment ``env`` and return what it did."""
    return _FORKS.run(args, env, stdin, cwd, at)


class _Forks:
    """The parent process of every command, started on first use (one per test worker)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._server: subprocess.Popen[bytes] | None = None

    def run(
        self, args: list[str], env: dict[str, str], stdin: str, cwd: Path, at: str | None
    ) -> subprocess.CompletedProcess[str]:
        with self._lock, tempfile.TemporaryDirectory(prefix="coachbot-") as folder:
            streams = {name: Path(folder) / name for name in ("stdin", "stdout", "stderr")}
            streams["stdin"].write_text(stdin, encoding="utf-8")
            request = {
                "args": args,
                "env": env,
                "cwd": str(cwd),
                "at": at,
                **{name: str(path) for name, path in streams.items()},
            }
            returncode = self._ask(request)
            return subprocess.CompletedProcess(
                ["coachbot", *args],
                returncode,
                streams["stdout"].read_text(encoding="utf-8"),
                streams["stderr"].read_text(encoding="utf-8", errors="backslashreplace"),
            )

    def _ask(self, request: dict[str, Any]) -> int:
        server = self._started()
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(json.dumps(request).encode() + b"\n")
        server.stdin.flush()
        answer = server.stdout.readline()
        if not answer:  # the parent died: start another next time
            self._server = None
            raise RuntimeError("the coachbot fork server stopped")
        return int(json.loads(answer)["returncode"])

    def _started(self) -> subprocess.Popen[bytes]:
        if self._server is None or self._server.poll() is not None:
            self._server = subprocess.Popen(
                [sys.executable, "-m", "tests.forked_cli"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                cwd=REPO,
            )
            atexit.register(self._stop)
        return self._server

    def _stop(self) -> None:
        if self._server is not None and self._server.stdin is not None:
            self._server.stdin.close()
            self._server.wait(timeout=10)


_FORKS = _Forks()


def _serve() -> None:
    """Read one request a line on stdin; fork a command for each; answer its exit code."""
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)
    answers = os.fdopen(os.dup(1), "wb")
    for line in sys.stdin.buffer:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            answers.close()
            _command(request)
        _, status = os.waitpid(pid, 0)
        answers.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode())
        answers.write(b"\n")
        answers.flush()


def _command(request: dict[str, Any]) -> None:
    """In the forked child: become the command, run it, and exit with its code."""
    code: int = 1
    try:
        signal.alarm(TIMEOUT_SECONDS)
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        for fd, path, flags in (
            (0, request["stdin"], os.O_RDONLY),
            (1, request["stdout"], os.O_WRONLY | os.O_CREAT),
            (2, request["stderr"], os.O_WRONLY | os.O_CREAT),
        ):
            opened = os.open(path, flags, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        sys.stdin = _stream(0, "r", "strict")
        sys.stdout = _stream(1, "w", "strict")
        sys.stderr = _stream(2, "w", "backslashreplace")
        if request["at"]:
            import bot.wiring

            moment = datetime.fromisoformat(request["at"])
            bot.wiring.utc_now = lambda: moment  # read when called, as tests.pinned_clock
        from bot.cli import main

        sys.argv = ["coachbot", *request["args"]]
        code = main(request["args"])
    except SystemExit as exit:
        code = _exit_code(exit.code)
    except BaseException:
        sys.excepthook(*sys.exc_info())
        code = 1
    finally:
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def _stream(fd: int, mode: str, errors: str) -> IO[str]:
    return open(fd, mode, encoding="utf-8", errors=errors, closefd=False, buffering=1)


def _exit_code(code: object) -> int:
    """What the interpreter does with ``SystemExit(code)``."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    _serve()
