"""PostgreSQL connections the server ended while they sat in the pool (a restart, a
killed backend, a failover) are replaced before the next unit of work uses them, so
the person whose message comes next is answered, not told something went wrong."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, text

from bot.core.content.library import Library
from bot.core.matching.matcher import Matcher
from bot.core.messages import Command, Sender, Text
from bot.core.router import Coach
from bot.storage.database import make_engine
from bot.storage.migrate import upgrade
from tests.conftest import database_copy, migrated_template
from tests.questions import QUESTIONS
from tests.storage.test_storage import uow_factory
from tests.support import POSTGRES_ADMIN_URL, FakeClock

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


@pytest.fixture
def postgres_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with database_copy(migrated_template(request, "postgresql"), tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine)
        yield engine
        engine.dispose()


def _end_every_session_of(engine: Engine) -> int:
    """What a server restart does to the bot's connections: how many were ended, once
    they are gone (pg_terminate_backend only asks; each backend says goodbye on its
    socket as it exits)."""
    others = "FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        ended = admin.execute(
            f"SELECT count(pg_terminate_backend(pid)) {others}", (engine.url.database,)
        ).fetchone()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            left = admin.execute(f"SELECT count(*) {others}", (engine.url.database,)).fetchone()
            if left is not None and left[0] == 0:
                break
            time.sleep(0.01)
    assert ended is not None
    return int(ended[0])


def _backends(engine: Engine) -> set[int]:
    with engine.connect() as connection:
        return {int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())}


def test_a_message_after_the_servers_sessions_ended_is_answered(
    postgres_engine: Engine, library: Library, matcher: Matcher
) -> None:
    coach = Coach(uow_factory(postgres_engine), library, FakeClock(NOW), matcher=matcher)
    sam = Sender(63, "Sam")
    coach.handle(Command(sam, "start", ""), update_id=1)
    before = _backends(postgres_engine)
    assert _end_every_session_of(postgres_engine) >= 1
    replies = coach.handle(Text(sam, QUESTIONS[0]), update_id=2)
    assert replies and "went wrong" not in replies[0].text
    assert _backends(postgres_engine).isdisjoint(before)  # a new session took over


def test_every_pooled_connection_the_server_ended_is_replaced(postgres_engine: Engine) -> None:
    held = [postgres_engine.connect() for _ in range(3)]  # three in the pool once returned
    for connection in held:
        connection.execute(text("SELECT 1"))
    for connection in held:
        connection.close()
    assert _end_every_session_of(postgres_engine) == 3
    for _ in range(5):
        with postgres_engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
