"""The Prometheus endpoint, scraped over 127.0.0.1 as Prometheus would, while the bot works."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from telegram.ext import Application

from bot.core.jobs.planner import DailyPrompts
from bot.core.router import Coach
from bot.metrics import MeteredDeliveries, Metrics, MetricsServer
from bot.storage.database import make_engine
from bot.telegram.delivery import DeliveryWorker
from bot.telegram.timing import time_updates
from tests.bot_process import STARTUP_SECONDS, BotProcess, environment, free_port
from tests.e2e.test_delivery import MORNING, enrol_many
from tests.fake_bot_api import FakeBotAPI, Fault
from tests.support import FakeClock

pytestmark = pytest.mark.e2e

WORDS = "Mrs Okafor at 3 Mill Lane shouted at me"


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample on the endpoint: (name, sorted labels) -> value."""
    answer = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert answer.status_code == 200
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


@pytest.fixture
def metrics() -> Iterator[tuple[Metrics, MetricsServer]]:
    metrics = Metrics()
    server = metrics.serve(0, "127.0.0.1")
    yield metrics, server
    server.close()


async def test_outbox_depth_sends_retries_and_429s_as_they_happen(
    server: FakeBotAPI,
    coach: Coach,
    clock: FakeClock,
    sqlite_url: str,
    telegram_bot: Application,  # type: ignore[type-arg]
    metrics: tuple[Metrics, MetricsServer],
) -> None:
    meter, endpoint = metrics
    engine = make_engine(sqlite_url)
    meter.watch_outbox(engine, clock)
    clock.set(MORNING)
    enrol_many(server, coach, 7000, 5)
    await asyncio.to_thread(DailyPrompts(coach.uow_factory, coach.deps).plan)
    before = scrape(endpoint.port)
    assert value(before, "coachbot_outbox_messages", kind="prompt", status="pending") == 5
    assert value(before, "coachbot_outbox_messages", kind="reminder", status="pending") == 0
    assert value(before, "coachbot_outbox_oldest_due_seconds") == 0  # due at 08:00, it is 08:00
    clock.advance(seconds=90)
    assert value(scrape(endpoint.port), "coachbot_outbox_oldest_due_seconds") == 90

    deliveries = MeteredDeliveries(coach.uow_factory, clock, metrics=meter)
    worker = DeliveryWorker(telegram_bot.bot, deliveries)
    server.inject("sendMessage", Fault.too_many(retry_after=7))
    assert await worker.run_once() == 5
    after = scrape(endpoint.port)
    assert value(after, "coachbot_messages_sent_total", kind="prompt") == 4
    assert value(after, "coachbot_messages_retried_total", kind="prompt") == 1
    assert value(after, "coachbot_telegram_429_total") == 1
    assert value(after, "coachbot_outbox_messages", kind="prompt", status="pending") == 1
    assert (
        "coachbot_messages_failed_total",
        (("kind", "prompt"), ("reason", "refused")),
    ) not in after
    engine.dispose()


async def test_handler_latency_counts_every_update(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    metrics: tuple[Metrics, MetricsServer],
) -> None:
    meter, endpoint = metrics
    time_updates(telegram_bot, meter.handler_seconds.observe)
    user = server.user(7100, first_name="Kim")
    user.send("/start")
    await user.wait_for("Doorstep Coach", timeout=20)
    user.send("/help")
    await user.wait_for("/practice", timeout=20)
    await asyncio.sleep(0.2)  # the last group's handler runs just after the reply
    samples = scrape(endpoint.port)
    assert value(samples, "coachbot_handler_seconds_count") == 2
    assert 0 < value(samples, "coachbot_handler_seconds_sum") < 30
    assert value(samples, "coachbot_handler_seconds_bucket", le="+Inf") == 2


def test_coachbot_run_serves_metrics_and_logs_json_lines(
    server: FakeBotAPI, tmp_path: Path
) -> None:
    port = free_port()
    variables = environment(
        server,
        f"sqlite:///{tmp_path / 'bot.db'}",
        COACHBOT_ADMIN_IDS="4242",
        COACHBOT_METRICS_PORT=str(port),
        COACHBOT_LOG_FORMAT="json",
    )
    bot = BotProcess(variables, tmp_path)
    bot.start()
    try:
        user = server.user(7200, first_name="Sam")
        user.send("/start")
        user.wait_for_sync("Doorstep Coach", timeout=STARTUP_SECONDS)
        user.wait_for_sync("what's your trade?", timeout=60)
        user.send(WORDS)
        user.wait_for_sync(lambda message: True, timeout=60)  # the coach's answer
        # An update is timed once every handler is done, just after its answer is sent.
        deadline = time.monotonic() + 30
        samples = scrape(port)
        while (
            value(samples, "coachbot_planner_last_run_timestamp_seconds") == 0
            or value(samples, "coachbot_handler_seconds_count") < 2
        ):
            assert time.monotonic() < deadline, "the planner never ran, or an update wasn't timed"
            time.sleep(0.2)
            samples = scrape(port)
        assert value(samples, "coachbot_sender_lock_held") == 1  # SQLite: the one process sends
        assert time.time() - value(samples, "coachbot_planner_last_run_timestamp_seconds") < 60
        assert value(samples, "coachbot_handler_seconds_count") == 2
        assert value(samples, "coachbot_outbox_messages", kind="prompt", status="sending") == 0
    finally:
        bot.stop(timeout=60)
    output = bot.output
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines, "coachbot run logged nothing"
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any(e["message"] == f"metrics on port {port} at /metrics" for e in entries)
    # The start-up notes `coachbot run` prints in text mode are log lines here.
    assert any(e["message"].startswith("made a new database at ") for e in entries)
    assert any(e["message"].startswith("coaching content from ") for e in entries)
    assert server.token.split(":", 1)[1] not in output
    assert "Okafor" not in output and "Mill Lane" not in output
