"""`coachbot chat` as a person uses it: type a line, read what comes back, pick a
numbered choice by its label."""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from pathlib import Path

PROMPT = b"> "


class TerminalSession:
    def __init__(
        self, arguments: list[str], env: dict[str, str], cwd: Path, at: str | None = None
    ) -> None:
        """``at``: an ISO time to pin the clock to (see tests/pinned_clock.py)."""
        launcher = ["-m", "tests.pinned_clock", at] if at else ["-m", "bot.cli"]
        self.process = subprocess.Popen(
            [sys.executable, *launcher, "chat", *arguments],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
        )
        #: What the chat printed before the first prompt.
        self.opening = self._until_prompt()

    def _until_prompt(self, timeout: float = 60) -> str:
        assert self.process.stdout is not None
        stream = self.process.stdout.fileno()
        seen = b""
        deadline = time.monotonic() + timeout
        while not seen.endswith(PROMPT):
            left = deadline - time.monotonic()
            assert left > 0, f"no prompt from coachbot chat; so far: {seen.decode()!r}"
            ready, _, _ = select.select([stream], [], [], left)
            if not ready:
                continue
            chunk = os.read(stream, 65536)
            if not chunk:
                break  # the chat has ended
            seen += chunk
        return seen.removesuffix(PROMPT).decode()

    def type(self, line: str) -> str:
        """Type a line and press Enter; what the chat printed in answer."""
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()
        return self._until_prompt()

    @staticmethod
    def number_of(output: str, label: str) -> str:
        """The number to type for the choice whose label starts with ``label``."""
        found = re.search(rf"^\s+(\d+)\. {re.escape(label)}", output, re.MULTILINE)
        assert found, f"no choice {label!r} in {output!r}"
        return found.group(1)

    def press(self, output: str, label: str) -> str:
        return self.type(self.number_of(output, label))

    def quit(self) -> tuple[int, str]:
        """Leave with /quit: the exit code and what went to stderr."""
        assert self.process.stdin is not None and self.process.stderr is not None
        self.process.stdin.write(b"/quit\n")
        self.process.stdin.close()
        code = self.process.wait(timeout=60)
        errors = self.process.stderr.read().decode()
        assert self.process.stdout is not None
        self.process.stdout.close()
        self.process.stderr.close()
        return code, errors
