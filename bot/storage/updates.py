"""Telegram update ids already taken in: a repeat of a webhook post is recognised on
whichever replica it lands. Ids and times only; nothing anyone wrote."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.storage.models import SeenUpdateRow

_SEEN = cast(Table, SeenUpdateRow.__table__)


class SqlSeenUpdates:
    def __init__(self, session: Session) -> None:
        self._session = session

    def first_time(self, update_id: int, now: datetime) -> bool:
        # INSERT ... ON CONFLICT DO NOTHING: on PostgreSQL a second replica inserting
        # the same id waits for the first to commit, then inserts nothing.
        dialect = self._session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = (
            insert(_SEEN)  # the table, not the entity: no ORM work for one row
            .values(update_id=update_id, seen_at=now)
            .on_conflict_do_nothing(index_elements=["update_id"])
            .returning(SeenUpdateRow.update_id)
        )
        # RETURNING, as an ORM insert's rowcount is -1 on PostgreSQL.
        return self._session.execute(statement).first() is not None

    def forget_before(self, when: datetime) -> int:
        result = cast(
            CursorResult[Any],
            self._session.execute(delete(SeenUpdateRow).where(SeenUpdateRow.seen_at < when)),
        )
        return result.rowcount
