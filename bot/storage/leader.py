"""Which replica sends: the one holding a PostgreSQL advisory lock.

Telegram's limits are per bot, so one sender keeps them however many replicas
answer messages. If that replica dies, its session ends, the lock is freed and
another replica takes over within one standby check (5 s, see
``bot.telegram.delivery.STANDBY_EVERY``). On SQLite there is
one process, and it is always the sender.
"""

from __future__ import annotations

import threading

from sqlalchemy import Connection, Engine, text

#: Any fixed number will do; it only has to be the same for every replica.
SENDER_LOCK_ID = 74_201_127


class SenderLock:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Connection | None = None
        self._guard = threading.Lock()

    def held(self) -> bool:
        """True if this process is (or has just become) the sender."""
        if self._engine.dialect.name != "postgresql":
            return True
        with self._guard:
            try:
                if self._connection is None:
                    self._connection = self._engine.connect()
                if self._connection.execute(
                    text("SELECT pg_try_advisory_lock(:id)"), {"id": SENDER_LOCK_ID}
                ).scalar():
                    self._connection.commit()
                    return True
                self._connection.rollback()
                return False
            except Exception:
                self.release()
                return False

    def release(self) -> None:
        """Give up sending. The lock belongs to the database session, and a pooled
        connection outlives close(), so unlock first."""
        if self._connection is None:
            return
        try:
            self._connection.execute(text("SELECT pg_advisory_unlock_all()"))
            self._connection.commit()
            self._connection.close()
        except Exception:
            self._connection.invalidate()
        finally:
            self._connection = None
