"""Service tests run the handlers on the in-memory unit of work: no database, no files."""

from __future__ import annotations

import pytest

from bot.core.content.library import Library
from bot.core.matching.matcher import Matcher
from bot.core.router import Coach, CoachConfig
from bot.reporting.renderers import REPORT_RENDERERS
from tests.conftest import ADMIN_ID, BOT_USERNAME
from tests.fakes import FakeDatabase
from tests.support import FakeClock


@pytest.fixture
def fake_database() -> FakeDatabase:
    return FakeDatabase()


@pytest.fixture
def coach(
    fake_database: FakeDatabase, library: Library, clock: FakeClock, matcher: Matcher
) -> Coach:
    """The coach on the in-memory fakes (tests/fakes.py), with a clock the test controls.

    Its ``uow.reports`` and ``uow.retention`` raise: a test that needs them takes
    ``sql_coach`` (tests/conftest.py) instead."""
    return Coach(
        fake_database.uow_factory,
        library,
        clock,
        CoachConfig(default_timezone="Europe/London", admin_ids=frozenset({ADMIN_ID})),
        matcher=matcher,
        renderers=REPORT_RENDERERS,
        bot_username=BOT_USERNAME,
    )
