"""Shared helpers for the tests: a clock that tests move by hand, and database set-up."""

from __future__ import annotations

import atexit
import os
import queue
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "COACHBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)


#: The setting naming where built matchers are kept. For a test run it is a folder of
#: the run's own (see conftest), shared by the test workers and every bot they start,
#: so the matcher for the content is built once in the run, not once per process.
MATCHER_CACHE = "COACHBOT_CACHE_DIR"


def without_bot_settings() -> dict[str, str]:
    """This process's environment without the bot's settings, except the run's cache."""
    return {
        key: value
        for key, value in os.environ.items()
        if key == MATCHER_CACHE or not key.startswith(("TELEGRAM_", "COACHBOT_", "DATABASE_URL"))
    }


class FakeClock:
    """``clock()`` returns the time the test set; ``advance()`` moves it on."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        self.now = moment


def postgres_available() -> str | None:
    """None if the test server answers, else why not."""
    try:
        with psycopg.connect(POSTGRES_ADMIN_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as error:
        return f"PostgreSQL at {POSTGRES_ADMIN_URL} is not reachable: {error}".strip()


def require_postgres() -> None:
    """Skip with the reason outside CI; fail the run in CI (CI=true), where it must be there."""
    reason = postgres_available()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI needs PostgreSQL: {reason}")
    pytest.skip(reason)


@contextmanager
def scratch_postgres_database(template: str | None = None) -> Iterator[str]:
    """A new database for one test run: empty, or a copy of the database at the URL
    ``template`` (which must have no connections open). Dropped afterwards.

    Copying a migrated template takes a fraction of migrating; dropping waits for a
    checkpoint, so the drop is left to a background thread (see ``_DROPS``)."""
    require_postgres()
    name = f"coachbot_test_{uuid.uuid4().hex[:10]}"
    copy_of = f' TEMPLATE "{template.rsplit("/", 1)[1]}"' if template else ""
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"{copy_of}')
    try:
        base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace(
            "postgresql://", "postgresql+psycopg://"
        )
        yield f"{base}/{name}"
    finally:
        _DROPS.drop(name)


class _BackgroundDrops:
    """Drops scratch databases one after another in a thread; the process waits for the
    last of them before it exits, so none is left behind."""

    def __init__(self) -> None:
        self._names: queue.Queue[str] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def drop(self, name: str) -> None:
        self._names.put(name)
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, daemon=True)
                self._thread.start()
                atexit.register(self._names.join)

    def _run(self) -> None:
        while True:
            name = self._names.get()
            try:
                with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except psycopg.Error:
                pass  # the server went away: nothing is left to drop
            finally:
                self._names.task_done()


_DROPS = _BackgroundDrops()
