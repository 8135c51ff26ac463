"""The sending replica's periodic work: planning every time, retention once a day."""

from __future__ import annotations

import logging
from datetime import date

import pytest

from bot.core.jobs.retention import RetentionDone
from bot.upkeep import Upkeep
from tests.support import FakeClock


class CountingRetention:
    def __init__(self, fail: bool = False) -> None:
        self.runs = 0
        self.fail = fail

    def run(self) -> RetentionDone:
        self.runs += 1
        if self.fail:
            raise RuntimeError("database went away")
        return RetentionDone(date(2024, 12, 2), summaries=3, events=40)


def test_plans_every_time_and_applies_retention_once_a_day(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    planned: list[object] = []
    retention = CountingRetention()
    upkeep = Upkeep(
        lambda: planned.append(clock()) or "plan",
        retention,  # type: ignore[arg-type]
        clock,
        on_planned=planned.append,
    )
    caplog.set_level(logging.INFO, logger="bot.upkeep")
    for _ in range(3):
        assert upkeep() == "plan"
        upkeep.wait(5)
        clock.advance(minutes=30)
    assert len(planned) == 6  # each run: the plan itself, then the time reported
    assert retention.runs == 1
    assert "retention: kept in full from 2024-12-02: 3 week and month summaries" in caplog.text
    clock.advance(days=1)
    upkeep()
    upkeep.wait(5)
    assert retention.runs == 2


def test_a_failed_retention_is_logged_and_planning_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    plans = []
    upkeep = Upkeep(lambda: plans.append(1), CountingRetention(fail=True), clock)  # type: ignore[arg-type]
    upkeep()
    upkeep.wait(5)
    upkeep()
    assert len(plans) == 2
    assert "retention failed: RuntimeError" in caplog.text
    assert "went away" not in caplog.text
