"""10,000 random updates from 50 people through the real Application and the local Bot API.

The full form of ``tests/e2e/test_fuzz.py`` (which plays a few hundred): texts
(Unicode, huge, commands with odd arguments), real, stale, borrowed, doubled
and forged button presses, stickers and pictures, edits and group messages.
It prints the share of private texts and presses that got an answer, the Bot
API's refusals (400s), and the errors handlers logged. It is a soak, not a
timing: the updates a second are printed only to size the run.

    python -m bench fuzz
    python -m bench.fuzz 2000      # another number of updates
"""

from __future__ import annotations

import logging
import sys
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

from bot.core.content.loader import load_library
from bot.core.router import Coach, CoachConfig
from bot.reporting.renderers import REPORT_RENDERERS
from bot.storage.database import make_engine, make_session_factory
from bot.storage.migrate import upgrade
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.fake_bot_api import FakeBotAPI
from tests.fuzzing import ErrorLog, Fuzz, LiveBot
from tests.fuzzing import run as fuzz_run
from tests.support import FakeClock

REPO = Path(__file__).resolve().parent.parent
UPDATES = 10_000
PEOPLE = 50
ADMIN_ID = 900


def run(updates: int = UPDATES) -> dict[str, Any]:
    errors = ErrorLog()
    root = logging.getLogger()
    root.addHandler(errors)
    try:
        with tempfile.TemporaryDirectory() as folder, FakeBotAPI() as server:
            engine = make_engine(f"sqlite:///{Path(folder) / 'fuzz.db'}")
            upgrade(engine)
            coach = Coach(
                partial(SqlUnitOfWork, make_session_factory(engine)),
                load_library(REPO / "content"),
                FakeClock(),
                CoachConfig(default_timezone="Europe/London", admin_ids=frozenset({ADMIN_ID})),
                renderers=REPORT_RENDERERS,
                bot_username=server.bot_username,
            )
            with LiveBot(coach, server) as bot:
                fuzz = Fuzz(
                    coach,
                    server,
                    bot,
                    errors,
                    people=PEOPLE,
                    first_id=8_100_000,
                    admin_id=ADMIN_ID,
                )
                tally = fuzz_run(fuzz, updates)
            engine.dispose()
    finally:
        root.removeHandler(errors)
    return tally.figures()


def report(figures: dict[str, Any]) -> str:
    lines = [
        f"Fuzzed updates through the real Application ({PEOPLE} people, local Bot API server)",
        f"  updates sent:              {figures['updates']:>8,}",
        f"  private texts answered:    {figures['private_texts_answered']:>8,} "
        f"of {figures['private_texts']:,}",
        f"  button presses answered:   {figures['button_presses_answered']:>8,} "
        f"of {figures['button_presses']:,}",
        f"  answered:                  {figures['answered_percent']:>8.2f} %",
        f"  ignored by design:         {figures['ignored_by_design']:>8,} (edits, group chatter)",
        f"  Bot API 400s:              {figures['bot_api_400s']:>8,}",
        f"  handler errors logged:     {figures['handler_errors']:>8,}",
        f"  updates a second:          {figures['updates_per_second']:>8}",
    ]
    for heading, key in (
        ("misses", "misses"),
        ("refusals", "refusal_causes"),
        ("errors", "handler_error_lines"),
    ):
        lines += [f"  {heading}: {item}" for item in figures[key][:5]]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run(int(sys.argv[1]) if len(sys.argv) > 1 else UPDATES)))
