"""Two replicas on one PostgreSQL: a send-now to 1,000 operatives with the sending
replica killed by kill -9 halfway, beside the same send-now with no kill.

Both run two `coachbot run --webhook` processes behind a round-robin proxy
(tests/replicas.py), on a scratch database of the PostgreSQL at COACHBOT_TEST_POSTGRES
(default postgresql://postgres@127.0.0.1:5432/test). Figures: prompts lost,
duplicates and how many the outbox counted as possible ones, time to drain, and the
takeover time: from the kill to the next prompt sent, by the other replica.

    python -m bench replicas        # or: python -m bench.replicas
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.core.model import Cohort
from bot.settings import Settings
from bot.wiring import build_runtime
from tests.bot_process import enrol, midday_zone
from tests.fake_bot_api import FakeBotAPI
from tests.replicas import Replicas
from tests.support import scratch_postgres_database

OPERATIVES = 1000
FIRST_ID = 40_000_000


def send_now(kill: bool, operatives: int = OPERATIVES) -> dict[str, float]:
    """A send-now across two replicas; with ``kill``, the sender is killed halfway."""
    with (
        tempfile.TemporaryDirectory() as folder,
        scratch_postgres_database() as url,
        FakeBotAPI(max_calls=100_000) as server,
        Replicas(server, url, Path(folder)) as replicas,
    ):
        runtime = build_runtime(Settings(database_url=url), migrate=False)
        try:
            with runtime.coach.uow_factory() as uow:
                cohort = uow.cohorts.add(Cohort("Bench", "BENCHREP1", created_at=datetime.now(UTC)))
                uow.commit()
            assert cohort.id is not None
            ids = list(range(FIRST_ID, FIRST_ID + operatives))
            enrol(server, url, ids, midday_zone(datetime.now(UTC)), cohort_id=cohort.id)
            run = replicas.send_now(
                runtime.planner, ids, cohort.id, kill_after=operatives // 2 if kill else None
            )
        finally:
            runtime.engine.dispose()
        return {
            "operatives": operatives,
            "lost": operatives - len(run.received),
            "duplicates": run.duplicates,
            "counted": run.counted,
            "drain_seconds": run.drain_seconds,
            "messages_per_second": run.messages_per_second,
            "takeover_seconds": run.takeover_seconds if run.takeover_seconds is not None else -1,
            "tracebacks": replicas.output.count("Traceback"),
        }


def run(selected: list[str] | None = None) -> dict[str, dict[str, float]]:
    return {
        f"doorstep-coach, {OPERATIVES:,}, 2 replicas, kill -9 of the sender": send_now(True),
        f"baseline: {OPERATIVES:,}, 2 replicas, no kill": send_now(False),
    }


def report(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        "Replicas: two coachbot run --webhook on one PostgreSQL, send-now",
        f"{'':58}{'lost':>6}{'dupes':>7}{'counted':>9}{'drain s':>9}{'msg/s':>7}{'takeover s':>12}",
    ]
    for name, r in results.items():
        takeover = f"{r['takeover_seconds']:.1f}" if r["takeover_seconds"] >= 0 else "-"
        lines.append(
            f"{name:58}{r['lost']:>6.0f}{r['duplicates']:>7.0f}{r['counted']:>9.0f}"
            f"{r['drain_seconds']:>9.1f}{r['messages_per_second']:>7.1f}{takeover:>12}"
        )
        lines.append(f"{'':4}tracebacks: {r['tracebacks']:.0f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run(sys.argv[1:])))
