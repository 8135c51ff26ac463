"""Nothing lost when the bot is killed or Telegram goes down: `coachbot run` as a real
process against the local Bot API server.

Scenarios, each beside a no-fault run of the same size as its baseline:
- kills: a send-now to 1,000 operatives at 30 a second, with the bot killed by
  kill -9 twenty times while the outbox drains, and restarted at once each time:
  prompts lost, duplicates (and how many the bot counted as possible ones), the
  most caught mid-send at one kill, time to drain;
- outage: a send-now to 300 operatives with one send in five answered 500/502 and
  one in twenty delivered with its answer lost, and a five-minute outage of the whole
  API (every call 502) soon after it starts: delivered, duplicates and counted, time
  to drain, log lines the outage caused (and tracebacks), and how soon after it
  an operative's message is answered (polling resumed).

    python -m bench.reliability            # or: python -m bench reliability
    python -m bench.reliability kills      # one scenario
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.settings import Settings
from bot.wiring import Runtime, build_runtime
from tests.bot_process import (
    BotProcess,
    enrol,
    environment,
    midday_zone,
    prompts_received,
    unconfirmed,
)
from tests.fake_bot_api import FakeBotAPI

KILLS = 20
KILL_OPERATIVES = 1000
OUTAGE_OPERATIVES = 300
OUTAGE_SECONDS = 300.0
FIRST_ID = 30_000_000
#: A user who writes to the bot as the outage ends.
LATECOMER = 29_999_999


def _planner(database_url: str) -> Runtime:
    """The bot's runtime in this process (migrates the database), for its send-now."""
    return build_runtime(Settings(database_url=database_url))


def _wait_for_all(server: FakeBotAPI, ids: list[int], bot: BotProcess, timeout: float) -> None:
    """Until every operative has a prompt, or ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while set(prompts_received(server, ids)) != set(ids) and time.monotonic() < deadline:
        if not bot.running:
            raise RuntimeError(f"the bot exited:\n{bot.last_output[-3000:]}")
        time.sleep(0.1)


def _figures(
    server: FakeBotAPI, ids: list[int], database_url: str, drain: float
) -> dict[str, float]:
    received = prompts_received(server, ids)
    times = sorted(t for chat in ids for t in server.stats.sent_by_chat.get(chat, []))
    span = times[-1] - times[0] if len(times) > 1 else 0.0
    return {
        "operatives": len(ids),
        "delivered": len(received),
        "lost": len(ids) - len(received),
        "duplicates": sum(received.values()) - len(received),
        "counted": unconfirmed(database_url),
        "drain_seconds": drain,
        "messages_per_second": (len(times) - 1) / span if span else 0.0,
    }


def kills(count: int, operatives: int = KILL_OPERATIVES) -> dict[str, float]:
    """A send-now while the bot is killed ``count`` times; ``count=0`` is the baseline."""
    with tempfile.TemporaryDirectory() as folder, FakeBotAPI(max_calls=100_000) as server:
        database_url = f"sqlite:///{folder}/bench.db"
        runtime = _planner(database_url)
        ids = list(range(FIRST_ID, FIRST_ID + operatives))
        enrol(server, database_url, ids, midday_zone(datetime.now(UTC)))
        bot = BotProcess(environment(server, database_url), Path(folder))
        try:
            bot.start()
            bot.wait_until_connected()
            began = time.monotonic()
            runtime.planner.send_now()
            step = operatives // (count + 1)
            for number in range(1, count + 1):
                while sum(prompts_received(server, ids).values()) < number * step:
                    if not bot.running:
                        raise RuntimeError(f"the bot exited:\n{bot.last_output[-3000:]}")
                    time.sleep(0.02)
                bot.kill()
                bot.start()
            _wait_for_all(server, ids, bot, timeout=600)
            drain = time.monotonic() - began
            time.sleep(2)  # a repeat still on its way would land now
            bot.stop()
        finally:
            bot.close()
            runtime.engine.dispose()
        figures = _figures(server, ids, database_url, drain)
        mid_send = [int(n) for n in re.findall(r"and (\d+) mid-send messages", bot.output)]
        figures.update(
            kills=count,
            most_mid_send_at_a_kill=max(mid_send, default=0),
            tracebacks=bot.output.count("Traceback"),
        )
        return figures


def outage(faults: bool, operatives: int = OUTAGE_OPERATIVES) -> dict[str, float]:
    """A send-now through flaky errors and a long outage; ``faults=False`` is the baseline."""
    with tempfile.TemporaryDirectory() as folder, FakeBotAPI(max_calls=200_000) as server:
        database_url = f"sqlite:///{folder}/bench.db"
        runtime = _planner(database_url)
        ids = list(range(FIRST_ID, FIRST_ID + operatives))
        enrol(server, database_url, ids, midday_zone(datetime.now(UTC)))
        bot = BotProcess(environment(server, database_url), Path(folder))
        answered_after = 0.0
        try:
            bot.start()
            bot.wait_until_connected()
            if faults:
                server.set_chaos(error_rate=0.2, lost_answer_rate=0.05, seed=2026)
            began = time.monotonic()
            runtime.planner.send_now()
            if faults:
                while len(prompts_received(server, ids)) < operatives // 4:
                    time.sleep(0.05)
                lines_before = len(bot.output.splitlines())
                server.start_outage()
                time.sleep(OUTAGE_SECONDS)
                server.end_outage()
                back = time.monotonic()
                latecomer = server.user(LATECOMER)
                latecomer.send("/start")
                latecomer.wait_for_sync("Doorstep Coach", timeout=120)
                answered_after = time.monotonic() - back
                outage_output = bot.output.splitlines()[lines_before:]
            _wait_for_all(server, ids, bot, timeout=900)
            drain = time.monotonic() - began
            time.sleep(2)
            bot.stop()
        finally:
            bot.close()
            runtime.engine.dispose()
        figures = _figures(server, ids, database_url, drain)
        if faults:
            print(
                "What the bot logged during the outage:", *outage_output, sep="\n", file=sys.stderr
            )
        figures.update(
            outage_seconds=OUTAGE_SECONDS if faults else 0.0,
            log_lines_during_outage=len(outage_output) if faults else 0,
            tracebacks=bot.output.count("Traceback"),
            answered_after_outage_seconds=answered_after,
        )
        return figures


SCENARIOS = {
    "kills": lambda: {
        f"doorstep-coach, {KILL_OPERATIVES:,}, {KILLS} kill -9s": kills(KILLS),
        f"baseline: {KILL_OPERATIVES:,}, no kill": kills(0),
    },
    "outage": lambda: {
        f"doorstep-coach, {OUTAGE_OPERATIVES}, 20% 5xx + 5% lost + 5-min outage": outage(True),
        f"baseline: {OUTAGE_OPERATIVES}, no fault": outage(False),
    },
}


def run(selected: list[str] | None = None) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    for name, scenario in SCENARIOS.items():
        if not selected or name in selected:
            results.update(scenario())
    return results


def report(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "Reliability: coachbot run against the local Bot API server",
        f"{'':58}{'lost':>6}{'dupes':>7}{'counted':>9}{'drain s':>9}{'msg/s':>7}",
    ]
    for name, r in results.items():
        lines.append(
            f"{name:58}{r['lost']:>6.0f}{r['duplicates']:>7.0f}{r['counted']:>9.0f}"
            f"{r['drain_seconds']:>9.1f}{r['messages_per_second']:>7.1f}"
        )
        extras = []
        if r.get("kills"):
            extras.append(f"most caught mid-send at one kill: {r['most_mid_send_at_a_kill']:.0f}")
        if r.get("outage_seconds"):
            extras.append(f"log lines during the outage: {r['log_lines_during_outage']:.0f}")
            extras.append(f"answered {r['answered_after_outage_seconds']:.1f} s after it ended")
        if "tracebacks" in r:
            extras.append(f"tracebacks: {r['tracebacks']:.0f}")
        lines.append(f"{'':4}" + "; ".join(extras))
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run(sys.argv[1:])))
