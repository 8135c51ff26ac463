"""`coachbot` with the clock pinned, for tests that must happen on a given day and hour:

    python -m tests.pinned_clock 2026-12-05T10:00+00:00 prompts send-now

Everything else is the real command: its settings, database, output and exit code.
"""

from __future__ import annotations

import sys
from datetime import datetime

import bot.wiring


def main() -> int:
    moment = datetime.fromisoformat(sys.argv[1])
    bot.wiring.utc_now = lambda: moment  # build_runtime and the commands read it when called
    from bot.cli import main as coachbot

    return coachbot(sys.argv[2:])


if __name__ == "__main__":
    raise SystemExit(main())
