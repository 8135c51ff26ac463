"""Telegram update ids already taken in: a repeat of a webhook post is recognised on
whichever replica it lands. Ids and times only; nothing anyone wrote."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.models import SeenUpdateRow

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


class SqlSeenUpdates:
    def __init__(self, session: Session) -> None:
        self._session = session

    def first_time(self, update_id: int, now: datetime) -> bool:
        statement = _FIRST_TIME[self._session.get_bind().dialect.name]
        found = self._session.execute(statement, {"update_id": update_id, "seen_at": now})
        return found.first() is not None

    def forget_before(self, when: datetime) -> int:
        result = cast(
            CursorResult[Any],
            self._session.execute(delete(SeenUpdateRow).where(SeenUpdateRow.seen_at < when)),
        )
        return result.rowcount
