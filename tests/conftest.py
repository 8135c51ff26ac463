"""Fixtures for every test. Tests run in parallel (pytest-xdist), so a test must be safe
beside others in another process: files under ``tmp_path``, PostgreSQL through
``scratch_postgres_database()`` (a database of its own), ports asked of the OS
(bind to port 0), never a fixed name, path or port. Session-scoped fixtures are built
once per worker."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.core.content.library import DEFAULT_LANDLORD, Library
from bot.core.content.loader import load_library
from bot.core.matching.matcher import Matcher
from bot.core.router import Coach, CoachConfig
from bot.matcher_cache import cached_matcher
from bot.reporting.renderers import REPORT_RENDERERS
from bot.storage.database import make_engine, make_session_factory
from bot.storage.migrate import upgrade
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.support import MATCHER_CACHE, FakeClock, scratch_postgres_database

CONTENT = Path(__file__).resolve().parent.parent / "content"
ADMIN_ID = 900
#: The username the local Bot API server gives the bot (its getMe).
BOT_USERNAME = "doorstep_coach_bot"


_CACHE_FOLDER = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    """Give the run a matcher cache of its own (not the user's), before the test workers
    start: they inherit it, and pass it on to every bot and command a test starts."""
    if not hasattr(config, "workerinput"):
        folder = Path(tempfile.mkdtemp(prefix="coachbot-test-matchers-"))
        config.stash[_CACHE_FOLDER] = folder
        os.environ[MATCHER_CACHE] = str(folder)


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_CACHE_FOLDER, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library(CONTENT)


@pytest.fixture(scope="session")
def matcher(library: Library) -> Matcher:
    """One matcher for the whole run: building it takes seconds, and it holds no state.
    The test workers share one build, through the run's matcher cache."""
    cache = os.environ.get(MATCHER_CACHE)
    return cached_matcher(
        library, CONTENT, DEFAULT_LANDLORD, Path(cache) if cache else None, Matcher
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'coachbot.db'}"


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to the head once per run (per xdist worker).

    Migrating takes about half a second; copying the file takes a millisecond."""
    path = tmp_path_factory.mktemp("template") / "migrated.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def copy_migrated(template: Path, url: str) -> None:
    """Put a migrated database at a ``sqlite:///`` URL's path, unless one is there."""
    path = Path(url.removeprefix("sqlite:///"))
    if not path.exists():
        shutil.copyfile(template, path)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each storage test runs twice: on a SQLite file and on a scratch PostgreSQL database.

    Each starts as a copy of a migrated template (``engine`` still runs the
    migrations, which find nothing to do)."""
    with database_copy(migrated_template(request, request.param), tmp_path) as url:
        yield url


def migrated_template(request: pytest.FixtureRequest, engine_name: str) -> str:
    """The URL of this run's migrated database for ``engine_name`` (sqlite, postgresql)."""
    if engine_name == "sqlite":
        return f"sqlite:///{request.getfixturevalue('migrated_sqlite')}"
    return str(request.getfixturevalue("postgres_template"))


@contextmanager
def database_copy(source: str, folder: Path) -> Iterator[str]:
    """A copy of the database at the URL ``source``, which has no connections open: a
    SQLite file in ``folder``, or a scratch PostgreSQL database made from it."""
    if source.startswith("sqlite"):
        copy = folder / "coachbot.db"
        shutil.copyfile(source.removeprefix("sqlite:///"), copy)
        yield f"sqlite:///{copy}"
        return
    with scratch_postgres_database(template=source) as url:
        yield url


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A PostgreSQL database migrated to the head once per run (per xdist worker).

    Each storage test's database starts as a copy of it (``CREATE DATABASE … TEMPLATE``):
    a tenth of a second, where migrating takes most of a second."""
    with scratch_postgres_database() as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sql_coach(
    sqlite_url: str, migrated_sqlite: Path, library: Library, clock: FakeClock, matcher: Matcher
) -> Iterator[Coach]:
    """The coach on a fresh, migrated SQLite database (at ``sqlite_url``), with a clock the
    test controls. For what the in-memory fakes don't hold: reports, retention, the
    delivery worker against SQL, and anything that also opens the database file."""
    copy_migrated(migrated_sqlite, sqlite_url)
    engine = make_engine(sqlite_url)
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


@pytest.fixture
def coach(sql_coach: Coach) -> Coach:
    """The coach on SQLite. Service tests (tests/unit) override this with the in-memory
    one (tests/unit/conftest.py); e2e and storage tests keep the database."""
    return sql_coach
