"""Only one replica sends: the PostgreSQL advisory lock, and SQLite's single process."""

from __future__ import annotations

from sqlalchemy import Engine

from bot.storage.database import make_engine
from bot.storage.leader import SenderLock


def test_one_sender_at_a_time_and_another_takes_over(engine: Engine) -> None:
    first = SenderLock(engine)
    second_engine = make_engine(engine.url.render_as_string(hide_password=False))
    second = SenderLock(second_engine)
    try:
        assert first.held()
        assert first.held()  # still ours on the next check
        if engine.dialect.name == "postgresql":
            assert not second.held()
            first.release()  # the sending replica stops
            assert second.held()
        else:
            assert second.held()  # one process on SQLite: always the sender
    finally:
        first.release()
        second.release()
        second_engine.dispose()
