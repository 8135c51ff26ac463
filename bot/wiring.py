"""The composition root: settings in, a ready Coach (and the jobs beside it) out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from sqlalchemy import Engine

from bot.core.content.loader import load_library
from bot.core.jobs.delivery import Deliveries
from bot.core.jobs.planner import DailyPrompts
from bot.core.jobs.retention import Retention
from bot.core.ports import UnitOfWorkFactory
from bot.core.router import Coach, CoachConfig
from bot.matcher_cache import settings_matcher
from bot.reporting.renderers import REPORT_RENDERERS
from bot.settings import Settings
from bot.storage.database import make_engine, make_session_factory
from bot.storage.leader import SenderLock
from bot.storage.migrate import upgrade
from bot.storage.unit_of_work import SqlUnitOfWork


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Runtime:
    engine: Engine
    uow_factory: UnitOfWorkFactory
    coach: Coach
    planner: DailyPrompts
    deliveries: Deliveries
    sender_lock: SenderLock
    retention: Retention


def build_runtime(
    settings: Settings,
    *,
    migrate: bool = True,
    clock: Callable[[], datetime] | None = None,
    bot_username: str | None = None,
) -> Runtime:
    """Connect to the database (applying migrations), load the content, and build the coach.

    Without a ``clock``, :func:`utc_now`, looked up when called so that a test can pin it.
    ``bot_username`` (from Telegram's getMe, else COACHBOT_BOT_USERNAME) makes invite links."""
    clock = clock or utc_now
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    library = load_library(settings.coachbot_content_dir, settings.coachbot_landlord_name)
    uow_factory = partial(SqlUnitOfWork, make_session_factory(engine))
    coach = Coach(
        uow_factory,
        library,
        clock,
        CoachConfig(
            default_timezone=settings.coachbot_timezone,
            admin_ids=settings.coachbot_admin_ids,
        ),
        build_matcher=partial(settings_matcher, settings=settings),
        renderers=REPORT_RENDERERS,
        bot_username=bot_username or settings.coachbot_bot_username,
    )
    return Runtime(
        engine,
        uow_factory,
        coach,
        DailyPrompts(uow_factory, coach.deps),
        Deliveries(uow_factory, clock),
        SenderLock(engine),
        Retention(
            uow_factory, clock, settings.coachbot_retention_months, settings.coachbot_timezone
        ),
    )
