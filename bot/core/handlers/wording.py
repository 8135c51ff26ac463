"""Small pieces of wording that several handlers share: times, dates, schedules."""

from __future__ import annotations

from datetime import date, datetime

from bot.core.model import Operative
from bot.core.policy.scheduling import local_now


def clock_time(operative: Operative, moment: datetime) -> str:
    """``moment`` on the operative's own clock, e.g. "08:30"."""
    return f"{local_now(operative, moment):%H:%M}"


def long_date(day: date) -> str:
    """E.g. "Thursday 24 December"."""
    return f"{day:%A} {day.day} {day:%B}"


def schedule(operative: Operative) -> dict[str, str]:
    """The ``time`` and ``days`` values of texts that say when prompts come."""
    return {"time": f"{operative.prompt_time:%H:%M}", "days": operative.days_label()}
