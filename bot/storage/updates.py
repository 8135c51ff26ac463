"""Telegram update ids already taken in: a repeat of a webhook post is recognised on
whichever replica it lands. Ids and times only; nothing anyone wrote."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, exists, func, literal, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.core.model import Operative
from bot.storage.models import OperativeRow, SeenUpdateRow
from bot.storage.repositories.operatives import SqlOperatives, operative_from_row

_SEEN = cast(Table, SeenUpdateRow.__table__)


def _first_time_statement(insert: Callable[[Table], Any]) -> Any:
    # INSERT ... ON CONFLICT DO NOTHING: on PostgreSQL a second replica inserting the
    # same id waits for the first to commit, then inserts nothing. RETURNING, as an
    # insert's rowcount is -1 on PostgreSQL. Built once: it runs for every update.
    return (
        insert(_SEEN)
        .values(update_id=bindparam("update_id"), seen_at=bindparam("seen_at"))
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(_SEEN.c.update_id)
    )


_FIRST_TIME = {
    "postgresql": _first_time_statement(postgresql.insert),
    "sqlite": _first_time_statement(sqlite.insert),
}


def _first_time_and_lock_statement() -> Any:
    """On PostgreSQL, the id recorded and the operative locked in one statement:

        WITH taken AS (INSERT INTO seen_updates ... ON CONFLICT DO NOTHING RETURNING ...),
             locked AS (SELECT ... FROM operatives WHERE telegram_id = ...
                        AND (SELECT count(*) FROM taken) >= 0 FOR UPDATE)
        SELECT EXISTS (SELECT FROM taken) AS fresh, locked.* FROM (SELECT 1) LEFT JOIN locked

    The lock's condition reads ``taken``, so the insert runs first, as when they were two
    statements: every replica takes an update's id before its person's row, and two
    that take in the same update (or the same person's) queue in one order, never in a
    deadlock. One row comes back whether or not the person is known yet."""
    operatives = cast(Table, OperativeRow.__table__)
    taken = _first_time_statement(postgresql.insert).cte("taken")
    locked = (
        select(operatives)
        .where(operatives.c.telegram_id == bindparam("telegram_id"))
        .where(select(func.count()).select_from(taken).scalar_subquery() >= 0)
        .with_for_update()
        .cte("locked")
    )
    one = select(literal(1).label("one")).subquery("one")
    return select(exists(select(taken.c.update_id)).label("fresh"), *locked.c).select_from(
        one.outerjoin(locked, true())
    )


#: Built once: every private message starts with it.
_FIRST_TIME_AND_LOCK = _first_time_and_lock_statement()


class SqlSeenUpdates:
    def __init__(self, session: Session) -> None:
        self._session = session

    def first_time(self, update_id: int, now: datetime) -> bool:
        statement = _FIRST_TIME[self._session.get_bind().dialect.name]
        found = self._session.execute(statement, {"update_id": update_id, "seen_at": now})
        return found.first() is not None

    def first_time_and_lock(
        self, update_id: int, now: datetime, telegram_id: int
    ) -> tuple[bool, Operative | None]:
        if self._session.get_bind().dialect.name != "postgresql":
            # Two statements: on SQLite each is a call into the library, not a round trip.
            fresh = self.first_time(update_id, now)
            return fresh, SqlOperatives(self._session).lock(telegram_id)
        row = self._session.execute(
            _FIRST_TIME_AND_LOCK,
            {"update_id": update_id, "seen_at": now, "telegram_id": telegram_id},
        ).one()
        return bool(row.fresh), operative_from_row(row) if row.id is not None else None

    def forget_before(self, when: datetime) -> int:
        result = cast(
            CursorResult[Any],
            self._session.execute(delete(SeenUpdateRow).where(SeenUpdateRow.seen_at < when)),
        )
        return result.rowcount
