from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.core.content.library import Library
from bot.core.content.loader import load_library
from bot.core.matching.matcher import Matcher
from bot.core.router import Coach, CoachConfig
from bot.reporting.renderers import REPORT_RENDERERS
from bot.storage.database import make_engine, make_session_factory
from bot.storage.migrate import upgrade
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.support import FakeClock, scratch_postgres_database

CONTENT = Path(__file__).resolve().parent.parent / "content"
ADMIN_ID = 900
#: The username the local Bot API server gives the bot (its getMe).
BOT_USERNAME = "doorstep_coach_bot"


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library(CONTENT)


@pytest.fixture(scope="session")
def matcher(library: Library) -> Matcher:
    """One matcher for the whole run: building it takes seconds, and it holds no state."""
    return Matcher(library)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coachbot.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each storage test runs twice: on a SQLite file and on a scratch PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'coachbot.db'}"
        return
    with scratch_postgres_database() as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def coach(sqlite_url: str, library: Library, clock: FakeClock, matcher: Matcher) -> Iterator[Coach]:
    """The coach on a fresh SQLite database, with a clock the test controls."""
    engine = make_engine(sqlite_url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    yield Coach(
        partial(SqlUnitOfWork, sessions),
        library,
        clock,
        CoachConfig(default_timezone="Europe/London", admin_ids=frozenset({ADMIN_ID})),
        matcher=matcher,
        renderers=REPORT_RENDERERS,
        # What the local Bot API server's getMe says: `coachbot run` learns it at start.
        bot_username=BOT_USERNAME,
    )
    engine.dispose()
