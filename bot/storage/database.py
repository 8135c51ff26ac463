"""Engines and sessions: SQLite in WAL mode by default, PostgreSQL for larger deployments."""

from __future__ import annotations

import select
import socket
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 5000
#: A pooled PostgreSQL connection idle longer than this is pinged before it is used
#: (see ``_ping_when_in_doubt``).
PING_AFTER_IDLE = 5.0


def make_engine(database_url: str, **options: Any) -> Engine:
    """Create an engine; for SQLite, create the folder and turn on WAL and a busy timeout."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        if "application_name" not in url.query:
            # So `coachbot status` (and pg_stat_activity) can say which replica is which.
            url = url.update_query_dict({"application_name": application_name()})
        engine = create_engine(url, **options)
        _ping_when_in_doubt(engine)
        return engine
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        **options,
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Deleted rows are overwritten with zeros, not just unlinked: an erased person
        # must not linger in free pages of the file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    return engine


def _ping_when_in_doubt(engine: Engine) -> None:
    """Check a pooled connection before use only when there is reason to doubt it.

    SQLAlchemy's ``pool_pre_ping`` costs a round trip to the server before every unit
    of work: a sixth of an update's. A server that ends a session (a restart, a killed
    backend, a failover) says so on the socket, so a connection whose socket has
    anything to read while it sits in the pool is pinged; so is one idle longer than
    ``PING_AFTER_IDLE``, which a firewall may have dropped without a word. A ping that
    fails makes the pool start afresh, as ``pool_pre_ping`` does; a connection that
    dies silently within seconds of its last use fails like one that dies mid-update.
    """

    @event.listens_for(engine, "checkin")
    def _idle_from_now(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_in_doubt(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None:  # just connected
            return
        if time.monotonic() - idle_since < PING_AFTER_IDLE and not _has_news(dbapi_connection):
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise exc.InvalidatePoolError() from error
        if not alive:
            raise exc.InvalidatePoolError()


def _has_news(dbapi_connection: Any) -> bool:
    """Whether the server sent anything to an idle connection: between transactions it
    has nothing to say but that it is ending the session. True if it can't be told."""
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None:
        return True
    try:
        socket_number = fileno()
        readable, _, failed = select.select([socket_number], [], [socket_number], 0)
    except Exception:  # closed, or a number select can't watch: ping to be sure
        return True
    return bool(readable or failed)


def application_name() -> str:
    """``coachbot <host>``: in a container, the host name is the container's id."""
    return f"coachbot {socket.gethostname()}"[:63]


def sqlite_file(database_url: str) -> Path | None:
    """The file a SQLite URL names, or None for PostgreSQL and in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def shown_url(database_url: str) -> str:
    """The URL as it may be printed: with any password masked."""
    return make_url(database_url).render_as_string(hide_password=True)


#: How often a checkpoint is tried while readers hold the log open.
CHECKPOINT_TRIES = 5


def checkpoint(engine: Engine) -> bool:
    """On SQLite, copy the write-ahead log into the database file and empty it.

    Called after an erasure: until then the WAL file still holds the pages as they
    were before, words and all. True once the log is empty (or not SQLite); False
    if readers kept it busy on every try (the next automatic checkpoint will do).
    """
    if engine.dialect.name != "sqlite":
        return True
    for attempt in range(CHECKPOINT_TRIES):
        with engine.connect() as connection:
            busy, _, _ = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
        if not busy:
            return True
        time.sleep(0.05 * (attempt + 1))
    return False


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
