"""`coachbot backup FILE`: a consistent copy of a live SQLite database.

SQLite's online backup API copies the database as one read transaction sees it,
so a bot writing meanwhile (WAL mode) neither waits nor tears the copy. The copy
goes to a temporary file beside FILE, is switched to a single file (no WAL),
checked, and only then renamed to FILE.

PostgreSQL has its own tool for this, ``pg_dump``: :func:`pg_dump_line` says how.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """Why no backup was made, in one line."""


@dataclass(frozen=True)
class BackupDone:
    path: Path
    size: int
    tables: dict[str, int]


def backup_sqlite(source: Path, target: Path) -> BackupDone:
    """Copy ``source`` (which may be in use) to ``target``, which must not exist yet."""
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    if target.exists():
        raise BackupError(f"{target} already exists: choose a new file name")
    if not target.parent.is_dir():
        raise BackupError(f"there is no folder {target.parent}")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with _connect(source) as reader, _connect(partial) as copy:
            reader.execute("PRAGMA busy_timeout = 5000")
            reader.backup(copy)  # all pages in one step: one consistent snapshot
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            verdict = copy.execute("PRAGMA integrity_check").fetchone()
            if verdict is None or verdict[0] != "ok":
                raise BackupError(f"the copy failed its integrity check: {verdict}")
            tables = {
                name: int(copy.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0])
                for (name,) in copy.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table' "
                    "AND name NOT LIKE 'sqlite_%' ORDER BY name"
                ).fetchall()
            }
        os.replace(partial, target)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite could not copy the database: {error}") from None
    finally:
        partial.unlink(missing_ok=True)
    return BackupDone(target, target.stat().st_size, tables)


class _Closing:
    """sqlite3's own context manager commits but never closes; this closes."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> sqlite3.Connection:
        return self.connection

    def __exit__(self, *exc: object) -> None:
        self.connection.close()


def _connect(path: Path) -> _Closing:
    return _Closing(sqlite3.connect(path))


def pg_dump_line(database_url: str, target: str) -> str:
    """The ``pg_dump`` command for this database, without its password."""
    given = make_url(database_url)
    url = URL.create(
        "postgresql",
        username=given.username,
        host=given.host,
        port=given.port,
        database=given.database,
        query=given.query,
    )
    return (
        f"pg_dump --format=custom --file={shlex.quote(target)} "
        f"{shlex.quote(url.render_as_string(hide_password=False))}"
    )
