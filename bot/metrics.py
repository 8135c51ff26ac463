"""Prometheus metrics: what operations needs to see, on ``COACHBOT_METRICS_PORT``.

    metrics = Metrics()
    metrics.watch_outbox(engine)         # outbox depth, read from the database at each scrape
    server = metrics.serve(9100)         # GET http://host:9100/metrics
    metrics.count(outcomes)              # after a chunk of outbox messages is recorded

Each replica has its own counters; the outbox depth is the same from every
replica (it is the database's), so sum counters and take any one depth.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from bot.core.jobs.delivery import (
    Deliveries,
    Failed,
    Retry,
    SendOutcome,
    Sent,
    Unreachable,
    Written,
    deadline,
)
from bot.core.model import Kind, OutboxMessage
from bot.storage import operations

log = logging.getLogger(__name__)

#: From a quick reply (10 ms) to a slow /export (10 s and more).
HANDLER_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class OutboxDepth(Collector):
    """Messages waiting in the outbox, by kind and status, and how late the oldest due one is."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        depth = GaugeMetricFamily(
            "coachbot_outbox_messages",
            "Outbox messages still to send, by kind and status (pending, claimed, sending).",
            labels=["kind", "status"],
        )
        late = GaugeMetricFamily(
            "coachbot_outbox_oldest_due_seconds",
            "How long the oldest pending message has been due (0 when none is).",
        )
        try:
            now = self.clock()
            with self.engine.connect() as connection:
                counts = operations.queue_depth(connection)
                _, oldest = operations.due_now(connection, now)
        except Exception as error:  # a scrape must not fail because the database blinked
            log.warning("metrics: outbox not readable: %s", type(error).__name__)
            return
        for kind in Kind:
            for status in operations.QUEUED:
                depth.add_metric([kind.value, status.value], counts.get((kind, status), 0))
        late.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        yield depth
        yield late


@dataclass
class MetricsServer:
    server: WSGIServer
    thread: Thread

    @property
    def port(self) -> int:
        return int(self.server.server_port)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Metrics:
    """The bot's metrics, on their own registry (so tests can make as many as they like)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.sent = Counter(
            "coachbot_messages_sent",
            "Outbox messages Telegram accepted.",
            ["kind"],
            registry=self.registry,
        )
        self.retried = Counter(
            "coachbot_messages_retried",
            "Outbox messages put back to try again (429, 5xx, network).",
            ["kind"],
            registry=self.registry,
        )
        self.failed = Counter(
            "coachbot_messages_failed",
            "Outbox messages given up on: refused (400), unreachable (403) or gave_up "
            "(too many attempts).",
            ["kind", "reason"],
            registry=self.registry,
        )
        self.too_many_requests = Counter(
            "coachbot_telegram_429",
            "Sends Telegram answered with 429 Too Many Requests.",
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "coachbot_handler_seconds",
            "Time to handle one update from Telegram, replies included.",
            buckets=HANDLER_BUCKETS,
            registry=self.registry,
        )
        self.planner_last_run = Gauge(
            "coachbot_planner_last_run_timestamp_seconds",
            "When the planner last ran on this replica (Unix time; 0 if never).",
            registry=self.registry,
        )
        self.sender_lock = Gauge(
            "coachbot_sender_lock_held",
            "1 if this replica holds the sender lock (sends the outbox), else 0.",
            registry=self.registry,
        )

    def watch_outbox(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.registry.register(OutboxDepth(engine, clock or (lambda: datetime.now(UTC))))

    def count(self, outcomes: Sequence[SendOutcome], now: datetime | None = None) -> None:
        """Count what happened to a chunk of outbox messages."""
        now = now or datetime.now(UTC)
        for outcome in outcomes:
            kind = outcome.message.kind.value
            match outcome:
                case Sent():
                    self.sent.labels(kind).inc()
                case Retry(reason=reason, after=after):
                    if reason == "429":
                        self.too_many_requests.inc()
                    if now + after >= deadline(outcome.message):
                        self.failed.labels(kind, "gave_up").inc()
                    else:
                        self.retried.labels(kind).inc()
                case Unreachable():
                    self.failed.labels(kind, "unreachable").inc()
                case Failed():
                    self.failed.labels(kind, "refused").inc()

    def planner_ran(self, at: datetime) -> None:
        self.planner_last_run.set(at.timestamp())

    def serve(self, port: int, address: str = "0.0.0.0") -> MetricsServer:
        """Serve ``/metrics`` over HTTP from a daemon thread; ``port`` 0 picks a free one."""
        server, thread = start_http_server(port, address, registry=self.registry)
        return MetricsServer(server, thread)


@dataclass
class MeteredDeliveries(Deliveries):
    """Deliveries that also count each recorded outcome (once it is safely recorded)."""

    metrics: Metrics | None = None

    def write(
        self,
        token: str,
        going: Sequence[OutboxMessage] = (),
        outcomes: Sequence[SendOutcome] = (),
        untried: Sequence[OutboxMessage] = (),
    ) -> Written:
        written = super().write(token, going, outcomes, untried)
        if self.metrics is not None and outcomes:
            self.metrics.count(outcomes, self.clock())
        return written
