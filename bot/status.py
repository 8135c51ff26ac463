"""`coachbot status`: one screen for operations.

Doorstep Coach status, 2026-12-01 09:00 UTC
Database      postgresql+psycopg://coachbot:***@db:5432/coachbot
Migrations    up to date (0008)
Sender        PostgreSQL session 4711 (coachbot 3f2a9c, 172.18.0.5), connected 08:02 UTC
Last send     08:59:58 UTC (2 s ago), a prompt, by 3f2a9c:1b2c3d4e
Outbox        pending  claimed  sending
  prompt           12        0        8
  ...
Due now       3, the oldest due for 40 s
Last 24 hours sent 1,204 · failed 1 · unreachable 3 · uncertain 0 · cancelled 5
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url

from bot.core.model import Kind
from bot.storage import operations

LABEL = 15


def _line(label: str, value: str) -> str:
    return f"{label:<{LABEL}}{value}"


def _when(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 120:
        ago = f"{seconds} s ago"
    elif seconds < 7200:
        ago = f"{seconds // 60} min ago"
    elif seconds < 2 * 86_400:
        ago = f"{seconds // 3600} h ago"
    else:
        ago = f"{seconds // 86_400} days ago"
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC ({ago})"


def status_screen(engine: Engine, database_url: str, now: datetime) -> tuple[str, bool]:
    """The screen, and whether all is well (the schema is there and up to date)."""
    lines = [
        f"Doorstep Coach status, {now:%Y-%m-%d %H:%M} UTC",
        _line("Database", make_url(database_url).render_as_string(hide_password=True)),
    ]
    if not operations.has_schema(engine):
        lines.append(_line("Migrations", "no tables yet: run `coachbot db upgrade`"))
        return "\n".join(lines), False
    current, pending = operations.pending_migrations(engine)
    if pending:
        lines.append(
            _line(
                "Migrations",
                f"{len(pending)} pending ({', '.join(pending)}); the database is at {current}. "
                "Run `coachbot db upgrade` (the bot also does it when it starts).",
            )
        )
    else:
        lines.append(_line("Migrations", f"up to date ({current})"))
    with engine.connect() as connection:
        lines.append(_line("Sender", _sender(connection, now)))
        last = operations.last_send(connection)
        if last is None:
            lines.append(_line("Last send", "nothing sent yet"))
        else:
            by = f", by {last.worker}" if last.worker else ""
            lines.append(_line("Last send", f"{_when(last.at, now)}, a {last.kind}{by}"))
        lines.extend(_queue(operations.queue_depth(connection)))
        due, oldest = operations.due_now(connection, now)
        late = f", the oldest due for {_ago(oldest, now)}" if oldest is not None else ""
        lines.append(_line("Due now", f"{due}{late}"))
        finished = operations.finished_since(connection, now - timedelta(days=1))
        lines.append(
            _line(
                "Last 24 hours",
                " · ".join(
                    f"{status} {finished.get(status.value, 0):,}" for status in operations.FINISHED
                )
                + " (of messages queued in that time)",
            )
        )
    return "\n".join(lines), not pending


def _ago(moment: datetime, now: datetime) -> str:
    seconds = max(0, int((now - moment).total_seconds()))
    return f"{seconds} s" if seconds < 120 else f"{seconds // 60} min"


def _sender(connection: Connection, now: datetime) -> str:
    if connection.dialect.name != "postgresql":
        return "SQLite: the one running `coachbot run` sends"
    session = operations.sender_session(connection)
    if session is None:
        return "no replica holds the sender lock, so nothing is being sent"
    where = ", ".join(part for part in (session.application, session.address) if part)
    since = ""
    if session.connected_since is not None:
        since = f", connected {_when(session.connected_since, now)}"
    return f"PostgreSQL session {session.pid}" + (f" ({where})" if where else "") + since


def _queue(depth: dict[tuple[str, str], int]) -> list[str]:
    statuses = [status.value for status in operations.QUEUED]
    header = _line("Outbox", "".join(f"{status:>10}" for status in statuses))
    rows = [header]
    for kind in Kind:
        counts = [depth.get((kind.value, status), 0) for status in statuses]
        rows.append(_line(f"  {kind.value}", "".join(f"{count:>10,}" for count in counts)))
    totals = [sum(depth.get((kind.value, status), 0) for kind in Kind) for status in statuses]
    rows.append(_line("  total", "".join(f"{count:>10,}" for count in totals)))
    return rows
