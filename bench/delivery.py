"""Delivering a "send now" to thousands of operatives, against the local Bot API server.

Scenarios, each with the bot in its own process (so its peak memory is its own):
- 2,000 operatives, the server enforcing Telegram's limits (30 a second overall,
  1 a second per chat): messages a second, 429s, lost and duplicate prompts;
- 10,000 operatives with the server's limit raised to 300 a second and our limiter
  set to match, to show our own overhead: messages a second and peak RSS;
- baseline, in the same run: a naive loop over ``bot.send_message`` with PTB's
  defaults (no limiter, no outbox) to the same 2,000 chats at Telegram's limits.

    python -m bench.delivery          # all three
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from tests.fake_bot_api import FakeBotAPI

REPO = Path(__file__).resolve().parent.parent
#: A Tuesday at 10:00 in London: every operative is due, whatever the real time is.
MORNING = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
FIRST_ID = 10_000_000


def prepare(database_url: str, count: int) -> None:
    """Enrol ``count`` operatives straight into a fresh database."""
    from bot.core.model import Operative
    from bot.storage.database import make_engine, make_session_factory
    from bot.storage.migrate import upgrade
    from bot.storage.unit_of_work import SqlUnitOfWork

    engine = make_engine(database_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with SqlUnitOfWork(sessions) as uow:
        for number in range(count):
            uow.operatives.add(
                Operative(
                    telegram_id=FIRST_ID + number,
                    display_name=f"Op {number}",
                    timezone="Europe/London",
                    prompt_time=clock_time(8, 0),
                    created_at=MORNING,
                )
            )
        uow.commit()
    engine.dispose()


async def _coach_send(per_second: int) -> dict[str, Any]:
    """In the child: queue today's prompts and deliver them the way `coachbot run` does."""
    from bot.settings import load_settings
    from bot.telegram.app import build_application
    from bot.telegram.delivery import DeliveryWorker
    from bot.telegram.limiter import SendLimiter
    from bot.wiring import build_runtime

    settings = load_settings()
    started = time.monotonic()
    runtime = build_runtime(
        settings, clock=lambda: MORNING + timedelta(seconds=time.monotonic() - started)
    )
    token = settings.telegram_bot_token
    assert token is not None
    application = build_application(
        runtime.coach,
        token.get_secret_value(),
        settings.api_url,
        settings.file_url,
        limiter=SendLimiter(per_second=per_second),
    )
    async with application:
        queued = runtime.planner.send_now().prompts
        # What `coachbot run` uses, but for the batch: claims of 500 save round trips.
        worker = DeliveryWorker(application.bot, runtime.deliveries, batch=500)
        began = time.monotonic()
        while await worker.run_once():
            pass
        seconds = time.monotonic() - began
    return {"queued": queued, "send_seconds": seconds}


async def _naive_send(chats: int) -> dict[str, Any]:
    """In the child: the baseline, a plain loop with PTB's defaults."""
    from telegram import Bot
    from telegram.error import TelegramError

    failures: Counter[str] = Counter()
    began = time.monotonic()
    async with Bot(
        os.environ["TELEGRAM_BOT_TOKEN"], base_url=os.environ["TELEGRAM_API_URL"]
    ) as bot:
        for number in range(chats):
            try:
                await bot.send_message(FIRST_ID + number, "Today's scenario")
            except TelegramError as error:
                failures[type(error).__name__] += 1
    return {"send_seconds": time.monotonic() - began, "failures": dict(failures)}


def child(mode: str, number: int) -> None:
    """Entry point of the bot process; prints one JSON line."""
    work = _coach_send(number) if mode == "coach" else _naive_send(number)
    figures = asyncio.run(work)
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(figures))


def scenario(
    name: str, operatives: int, server_limit: int, *, mode: str = "coach"
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder, FakeBotAPI(max_calls=50_000) as server:
        database_url = f"sqlite:///{folder}/bench.db"
        if mode == "coach":
            prepare(database_url, operatives)
        for number in range(operatives):
            server.user(FIRST_ID + number)
        server.set_rate_limits(global_per_second=server_limit, per_chat_per_second=1)
        environment = {
            **os.environ,
            "TELEGRAM_BOT_TOKEN": server.token,
            "TELEGRAM_API_URL": server.base_url,
            "DATABASE_URL": database_url,
        }
        argument = str(server_limit if mode == "coach" else operatives)
        result = subprocess.run(
            [sys.executable, "-m", "bench.delivery", "--child", mode, argument],
            cwd=REPO,
            env=environment,
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        )
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        times = sorted(t for stamps in server.stats.sent_by_chat.values() for t in stamps)
        per_chat = Counter(
            {chat: len(stamps) for chat, stamps in server.stats.sent_by_chat.items()}
        )
        delivered = len(per_chat)
        span = (times[-1] - times[0]) if len(times) > 1 else 0.0
        return {
            "operatives": operatives,
            "server_limit_per_second": server_limit,
            "delivered": delivered,
            "messages_per_second": (len(times) - 1) / span if span else 0.0,
            "too_many_requests": server.stats.too_many_requests,
            "lost": operatives - delivered,
            "duplicates": sum(count - 1 for count in per_chat.values() if count > 1),
            "peak_rss_mb": figures["peak_rss_mb"],
            "wall_seconds": figures["send_seconds"],
        }


def run() -> dict[str, dict[str, float]]:
    return {
        "doorstep-coach, 2,000 at 30/s": scenario("limits", 2000, 30),
        "baseline: naive loop, 2,000 at 30/s": scenario("naive", 2000, 30, mode="naive"),
        "doorstep-coach, 10,000 at 300/s": scenario("overhead", 10_000, 300),
    }


def report(results: dict[str, dict[str, float]]) -> str:
    lines = [
        "Delivery (send now), local Bot API server",
        f"{'':38}{'msg/s':>9}{'429s':>7}{'lost':>7}{'dupes':>7}{'RSS MB':>9}{'seconds':>9}",
    ]
    for name, r in results.items():
        lines.append(
            f"{name:38}{r['messages_per_second']:>9.1f}{r['too_many_requests']:>7.0f}"
            f"{r['lost']:>7.0f}{r['duplicates']:>7.0f}{r['peak_rss_mb']:>9.0f}{r['wall_seconds']:>9.1f}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        print(report(run()))
