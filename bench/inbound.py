"""Inbound capacity: many operatives asking questions at once, `coachbot run` as a real
process against the local Bot API server with Telegram's limits lifted (the server
enforces none, and the bot runs with COACHBOT_SEND_LIMITS=off, so neither paces).

200 operatives each type 5 questions at once (1,000 updates, each person's five in a
row among everyone else's). Figures: updates a second from the first question to the
last answer, reply latency (question queued to its answer arriving, p50 and p99),
answers out of the order they were asked, "sorry, something went wrong" replies, and
"database is locked" in the bot's log; and the CPU time the bot (and the local server)
used per update. Each burst starts once the bot is idle after starting (its chart
warm-up runs in the background and would count against the updates). Each setup
runs beside the sequential baseline
(COACHBOT_CONCURRENT_UPDATES=1, one update at a time as before) in the same run:

- SQLite, one process, polling;
- PostgreSQL, one process, polling;
- PostgreSQL, two replicas in webhook mode behind the replica tests' round-robin
  proxy (tests/replicas.py); the local server posts updates up to 40 at once, as
  Telegram does, each chat's one at a time (its ``webhook_chat_order``).

    python -m bench.inbound                 # or: python -m bench inbound
    python -m bench.inbound sqlite          # one setup: sqlite, postgres, replicas
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.settings import Settings
from bot.wiring import build_runtime
from tests.bot_process import BotProcess, enrol, environment, free_port, midday_zone
from tests.fake_bot_api import FakeBotAPI, Fault
from tests.questions import QUESTIONS, answer_headings, heading
from tests.replicas import RoundRobinProxy
from tests.support import scratch_postgres_database

OPERATIVES = 200
FIRST_ID = 40_000_000
#: How long the run may take before it counts as stuck.
TIMEOUT = 600.0
WEBHOOK_SECRET = "bench-inbound-secret"


def answer_titles() -> dict[str, str]:
    """The heading the bot's answer to each question starts with, from the coach itself."""
    with tempfile.TemporaryDirectory() as folder:
        runtime = build_runtime(Settings(database_url=f"sqlite:///{folder}/titles.db"))
        try:
            return answer_headings(runtime.coach)
        finally:
            runtime.engine.dispose()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


@contextmanager
def _database(engine: str, folder: str) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{folder}/bench.db"
    else:
        with scratch_postgres_database() as url:
            yield url


def burst(
    engine: str, replicas: int, concurrent: int, titles: dict[str, str], latency: float = 0.0
) -> dict[str, float]:
    """Every operative types the five questions at once; how the bot keeps up."""
    with (
        tempfile.TemporaryDirectory() as folder,
        _database(engine, folder) as database_url,
        FakeBotAPI(max_calls=50_000, webhook_chat_order=replicas > 1) as server,
        ExitStack() as stack,
    ):
        runtime = build_runtime(Settings(database_url=database_url))  # migrates
        runtime.engine.dispose()
        ids = list(range(FIRST_ID, FIRST_ID + OPERATIVES))
        enrol(server, database_url, ids, midday_zone(datetime.now(UTC)))
        settings = {
            "COACHBOT_SEND_LIMITS": "off",
            "COACHBOT_CONCURRENT_UPDATES": str(concurrent),
        }
        bots: list[BotProcess] = []
        if replicas == 1:
            bots.append(BotProcess(environment(server, database_url, **settings), Path(folder)))
        else:
            ports = [free_port() for _ in range(replicas)]
            proxy = RoundRobinProxy([f"http://127.0.0.1:{p}" for p in ports])
            proxy.start()
            stack.callback(proxy.stop)
            for number, port in enumerate(ports):
                logs = Path(folder) / f"replica-{number}"
                logs.mkdir()
                variables = environment(
                    server,
                    database_url,
                    COACHBOT_WEBHOOK_URL=proxy.url,
                    COACHBOT_WEBHOOK_SECRET=WEBHOOK_SECRET,
                    **settings,
                )
                bots.append(BotProcess(variables, logs, ("--webhook", "--port", str(port))))
        try:
            for bot in bots:
                bot.start()
            for bot in bots:
                bot.wait_until_connected()
            if replicas > 1:
                _wait_for_webhook(server, bots)
            _wait_until_idle(bots)
            if latency:
                server.inject("sendMessage", *[Fault.delay(latency)] * OPERATIVES * len(QUESTIONS))
            figures = _ask_and_wait(server, ids, bots, titles)
        finally:
            for bot in bots:
                bot.close()
        output = "".join(bot.output for bot in bots)
        figures.update(
            database_locked=float(output.count("database is locked")),
            tracebacks=float(output.count("Traceback")),
        )
        return figures


def _wait_for_webhook(server: FakeBotAPI, bots: list[BotProcess]) -> None:
    """Until the server posts updates to the proxy and a replica answers them."""
    probe = server.user(FIRST_ID - 1)
    probe.send("/privacy")
    deadline = time.monotonic() + 60
    while not probe.messages():
        if time.monotonic() > deadline or not all(bot.running for bot in bots):
            raise RuntimeError("the replicas never answered a webhook post")
        time.sleep(0.1)


#: The bot is idle once it uses less than this share of a core...
IDLE_SHARE = 0.05
#: ...over this long.
IDLE_OVER = 0.5


def _wait_until_idle(bots: list[BotProcess], timeout: float = 60.0) -> None:
    """Until the bots' start-up work (the chart library's warm-up, in the background)
    is done, so the burst's CPU figure is the updates' own."""
    deadline = time.monotonic() + timeout
    before = _cpu_seconds(bots)
    while time.monotonic() < deadline:
        time.sleep(IDLE_OVER)
        now = _cpu_seconds(bots)
        if now - before < IDLE_SHARE * IDLE_OVER * len(bots):
            return
        before = now


def _cpu_seconds(bots: list[BotProcess]) -> float:
    """CPU time the bot processes have used so far (user + system, every thread)."""
    total = 0.0
    for bot in bots:
        assert bot.process is not None
        fields = Path(f"/proc/{bot.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _sent(server: FakeBotAPI) -> int:
    return server.stats.by_method.get("sendMessage", 0)


def _ask_and_wait(
    server: FakeBotAPI, ids: list[int], bots: list[BotProcess], titles: dict[str, str]
) -> dict[str, float]:
    order = random.Random(2026)
    asked: dict[int, list[tuple[str, float]]] = {user_id: [] for user_id in ids}
    # Each person's questions in their own order, everyone's interleaved at random.
    queues = {user_id: order.sample(QUESTIONS, len(QUESTIONS)) for user_id in ids}
    turns = [user_id for user_id in ids for _ in QUESTIONS]
    order.shuffle(turns)
    users = {user_id: server.user(user_id) for user_id in ids}
    sent_before = _sent(server)
    cpu_before = _cpu_seconds(bots)
    own_cpu_before = time.process_time()
    began = time.monotonic()
    for user_id in turns:
        question = queues[user_id].pop(0)
        users[user_id].send(question)
        asked[user_id].append((question, time.monotonic()))
    expected = len(turns)
    deadline = began + TIMEOUT
    while _sent(server) - sent_before < expected:
        if time.monotonic() > deadline or not all(bot.running for bot in bots):
            raise RuntimeError("the bot stopped answering:\n" + bots[0].last_output[-3000:])
        time.sleep(0.05)
    cpu = _cpu_seconds(bots) - cpu_before
    own_cpu = time.process_time() - own_cpu_before
    answers = {user_id: server.messages(user_id) for user_id in ids}
    latencies: list[float] = []
    out_of_order = sorry = 0
    last = began
    for user_id, questions in asked.items():
        got = answers[user_id]
        for (question, at), message in zip(questions, got, strict=False):
            if heading(message.plain_text) != titles[question]:
                if "went wrong" in (message.plain_text or ""):
                    sorry += 1
                else:
                    out_of_order += 1
            latencies.append(message.time - at)
            last = max(last, message.time)
    elapsed = last - began
    return {
        "updates": float(expected),
        "seconds": elapsed,
        "updates_per_second": expected / elapsed,
        "cpu_ms_per_update": 1000 * cpu / expected,
        "server_cpu_ms_per_update": 1000 * own_cpu / expected,
        "p50_ms": 1000 * _percentile(latencies, 0.50),
        "p99_ms": 1000 * _percentile(latencies, 0.99),
        "out_of_order": float(out_of_order),
        "sorry": float(sorry),
    }


#: How long the server takes to answer each sendMessage: none, and a round trip to a
#: distant server (an assumption, not a measurement of Telegram).
LATENCIES = (0.0, 0.04)
#: COACHBOT_CONCURRENT_UPDATES for the concurrent runs: the default.
CONCURRENT = Settings.model_fields["coachbot_concurrent_updates"].default
SETUPS = {
    "sqlite": ("sqlite", 1),
    "postgres": ("postgresql", 1),
    "replicas": ("postgresql", 2),
}


def run(selected: list[str] | None = None) -> dict[str, dict[str, float]]:
    titles = answer_titles()
    results: dict[str, dict[str, float]] = {}
    for name, (engine, replicas) in SETUPS.items():
        if selected and name not in selected:
            continue
        where = f"{engine}, {replicas} process{'es' if replicas > 1 else ''}"
        for latency in LATENCIES:
            after = f", sends {1000 * latency:.0f} ms" if latency else ""
            for label, concurrent in (("concurrent", CONCURRENT), ("one at a time", 1)):
                results[f"{where}{after}: {label}"] = burst(
                    engine, replicas, concurrent, titles, latency
                )
    return results


def report(results: dict[str, dict[str, Any]]) -> str:
    lines = [
        f"Inbound: {OPERATIVES} operatives each type {len(QUESTIONS)} questions at once "
        "(Telegram's limits lifted)",
        f"{'':52}{'updates/s':>10}{'seconds':>9}{'cpu ms':>8}{'server':>8}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'order':>7}{'sorry':>7}{'locked':>8}",
    ]
    for name, r in results.items():
        lines.append(
            f"{name:52}{r['updates_per_second']:>10.1f}{r['seconds']:>9.1f}"
            f"{r['cpu_ms_per_update']:>8.1f}{r['server_cpu_ms_per_update']:>8.1f}"
            f"{r['p50_ms']:>8.0f}{r['p99_ms']:>8.0f}{r['out_of_order']:>7.0f}"
            f"{r['sorry']:>7.0f}{r['database_locked']:>8.0f}"
        )
    lines.append(
        "cpu ms: the bot's CPU time per update (both replicas'); server: the local Bot "
        "API server's (and the proxy's), on the same two cores;\norder: answers out of the "
        "order they were asked; locked: 'database is locked' in the bot's log"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run(sys.argv[1:])))
