"""The sending replica's periodic work: plan the outbox and, once a day, apply retention.

    upkeep = Upkeep(planner.plan, retention, clock, on_planned=metrics.planner_ran)
    DeliveryWorker(bot, deliveries, upkeep)     # calls upkeep() every planning interval

Only the replica that holds the sender lock plans, so only one applies retention.
Retention runs in its own thread: a first run over years of records takes a
while, and the sending must not wait for it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.core.jobs.retention import Retention
from bot.core.ports import Clock

log = logging.getLogger(__name__)

RETENTION_EVERY = timedelta(days=1)


class Upkeep:
    def __init__(
        self,
        plan: Callable[[], object],
        retention: Retention | None,
        clock: Clock,
        *,
        on_planned: Callable[[datetime], None] | None = None,
        retention_every: timedelta = RETENTION_EVERY,
    ) -> None:
        self.plan = plan
        self.retention = retention
        self.clock = clock
        self.on_planned = on_planned
        self.retention_every = retention_every
        self._last_retention: datetime | None = None
        self._retaining: threading.Thread | None = None

    def __call__(self) -> object:
        planned = self.plan()
        now = self.clock()
        if self.on_planned is not None:
            self.on_planned(now)
        self._retain_if_due(now)
        return planned

    def _retain_if_due(self, now: datetime) -> None:
        if self.retention is None or (self._retaining and self._retaining.is_alive()):
            return
        if self._last_retention is not None and now - self._last_retention < self.retention_every:
            return
        self._last_retention = now
        self._retaining = threading.Thread(target=self._retain, name="retention", daemon=True)
        self._retaining.start()

    def _retain(self) -> None:
        assert self.retention is not None
        try:
            done = self.retention.run()
        except Exception as error:  # tomorrow's run tries again; sending goes on meanwhile
            log.error("retention failed: %s", type(error).__name__)
            return
        log.info("retention: %s", done.line())

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a retention run in progress (for tests and a clean stop)."""
        if self._retaining is not None:
            self._retaining.join(timeout)
