"""What operations needs to see, read straight from the database.

For `coachbot status` and the Prometheus endpoint: the outbox queue, the last
send, which session holds the sender lock, and migrations not yet applied.
Read-only, and never a word of what anyone typed or was sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, func, inspect, select, text

from bot.core.model import Delivery
from bot.storage.leader import SENDER_LOCK_ID
from bot.storage.migrate import alembic_config, current_revision
from bot.storage.models import OutboxRow

#: Messages still to go: what "outbox depth" means.
QUEUED = (Delivery.PENDING, Delivery.CLAIMED, Delivery.SENDING)
#: Where a message ends up.
FINISHED = (
    Delivery.SENT,
    Delivery.FAILED,
    Delivery.UNREACHABLE,
    Delivery.UNCERTAIN,
    Delivery.CANCELLED,
)


@dataclass(frozen=True)
class LastSend:
    at: datetime
    kind: str
    #: The worker that sent it: ``host:random``, so the replica's host name.
    worker: str | None


@dataclass(frozen=True)
class SenderSession:
    """The PostgreSQL session that holds the sender lock."""

    pid: int
    application: str
    address: str | None
    connected_since: datetime | None


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table(OutboxRow.__tablename__)


def queue_depth(
    connection: Connection, statuses: Iterable[Delivery] = QUEUED
) -> dict[tuple[str, str], int]:
    """Messages by (kind, status), for the statuses asked for (the queue, by default)."""
    rows = connection.execute(
        select(OutboxRow.kind, OutboxRow.status, func.count())
        .where(OutboxRow.status.in_([status.value for status in statuses]))
        .group_by(OutboxRow.kind, OutboxRow.status)
    )
    return {(str(kind), str(status)): int(count) for kind, status, count in rows}


def due_now(connection: Connection, now: datetime) -> tuple[int, datetime | None]:
    """Pending messages whose time has come, and the earliest of their times."""
    count, oldest = connection.execute(
        select(func.count(), func.min(OutboxRow.next_attempt_at)).where(
            OutboxRow.status == Delivery.PENDING.value, OutboxRow.next_attempt_at <= now
        )
    ).one()
    return int(count), _utc(oldest)


def finished_since(connection: Connection, since: datetime) -> dict[str, int]:
    """Messages queued since ``since`` that have reached an end, by status."""
    rows = connection.execute(
        select(OutboxRow.status, func.count())
        .where(
            OutboxRow.created_at >= since,
            OutboxRow.status.in_([status.value for status in FINISHED]),
        )
        .group_by(OutboxRow.status)
    )
    return {str(status): int(count) for status, count in rows}


def last_send(connection: Connection) -> LastSend | None:
    row = connection.execute(
        select(OutboxRow.sent_at, OutboxRow.kind, OutboxRow.claimed_by)
        .where(OutboxRow.status == Delivery.SENT.value, OutboxRow.sent_at.is_not(None))
        .order_by(OutboxRow.sent_at.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    at = _utc(row[0])
    assert at is not None
    return LastSend(at, str(row[1]), row[2])


def sender_session(connection: Connection) -> SenderSession | None:
    """On PostgreSQL, the session holding the sender's advisory lock (None if no one does)."""
    if connection.dialect.name != "postgresql":
        return None
    # A bigint advisory key is stored as classid (high half) and objid (low half).
    row = connection.execute(
        text(
            "SELECT l.pid, a.application_name, host(a.client_addr), a.backend_start "
            "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
            "AND l.classid = :high AND l.objid = :low "
            # Advisory locks belong to one database: another deployment's sender on the
            # same server holds its own.
            "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"high": SENDER_LOCK_ID >> 32, "low": SENDER_LOCK_ID & 0xFFFFFFFF},
    ).first()
    if row is None:
        return None
    return SenderSession(int(row[0]), str(row[1] or ""), row[2], row[3])


def pending_migrations(engine: Engine) -> tuple[str | None, list[str]]:
    """The database's revision, and the revisions not applied yet (oldest first)."""
    current = current_revision(engine)
    scripts = ScriptDirectory.from_config(alembic_config())
    head = scripts.get_current_head()
    if head is None or current == head:
        return current, []
    missing = [script.revision for script in scripts.iterate_revisions(head, current)]
    return current, missing[::-1]


def _utc(value: datetime | str | None) -> datetime | None:
    """An aggregate over a UTC column (SQLite may hand back text, without a zone)."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
