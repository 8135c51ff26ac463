"""`coachbot backup FILE` on a live SQLite database: restored, the copy is whole and consistent."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.model import Delivery, EngagementEvent, EventType, Kind, Operative
from bot.core.router import Coach
from bot.storage.backup import BackupError, backup_sqlite
from bot.storage.database import make_engine, make_session_factory
from bot.storage.migrate import upgrade
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.conftest import Scheduler
from tests.e2e.test_delivery import MORNING, enrol_many
from tests.fake_bot_api import FakeBotAPI
from tests.test_cli import coachbot

pytestmark = pytest.mark.e2e


def counts(path: Path) -> dict[str, int]:
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        sent = "SELECT count(*) FROM outbox WHERE kind = 'prompt' AND status = 'sent'"
        events = "SELECT count(*) FROM engagement_events WHERE type = 'prompt_sent'"
        return {
            "sent": db.execute(sent).fetchone()[0],
            "prompt_sent_events": db.execute(events).fetchone()[0],
            "prompt_replies": db.execute("SELECT count(*) FROM prompt_replies").fetchone()[0],
            "operatives": db.execute("SELECT count(*) FROM operatives").fetchone()[0],
            "outbox": db.execute("SELECT count(*) FROM outbox").fetchone()[0],
        }


async def test_a_backup_taken_while_the_bot_sends_restores_complete(
    server: FakeBotAPI,
    coach: Coach,
    scheduler: Scheduler,
    sqlite_url: str,
    tmp_path: Path,
) -> None:
    scheduler.clock.set(MORNING)
    enrol_many(server, coach, 8000, 240)
    server.set_rate_limits(global_per_second=30, per_chat_per_second=1)
    scheduler.telegram_limits()  # 240 prompts at 30 a second: 8 seconds of sending
    sending = asyncio.create_task(scheduler.tick())
    while scheduler.statuses(Kind.PROMPT).get(Delivery.SENT, 0) < 30:
        await asyncio.sleep(0.05)
    sent_before = scheduler.statuses(Kind.PROMPT).get(Delivery.SENT, 0)
    copy = tmp_path / "backup.db"
    result = await asyncio.to_thread(
        coachbot, "backup", str(copy), env={"DATABASE_URL": sqlite_url}
    )
    sent_after = scheduler.statuses(Kind.PROMPT).get(Delivery.SENT, 0)
    assert await sending == 240
    assert result.returncode == 0, result.stderr
    assert "integrity ok" in result.stdout

    restored = counts(copy)
    # Taken mid-send, it holds everything committed before it began, and each
    # chunk of sends whole: the outbox row and its event and prompt record together.
    assert sent_before <= restored["sent"] <= sent_after < 240
    assert restored["prompt_sent_events"] == restored["sent"]
    assert restored["prompt_replies"] == restored["sent"]
    assert restored["operatives"] == 240
    assert restored["outbox"] == 240
    assert not copy.with_name(f"{copy.name}-wal").exists()  # one self-contained file

    # Restored in place of the database, the bot's own commands take it as it is.
    place = tmp_path / "restored" / "coachbot.db"
    place.parent.mkdir()
    place.write_bytes(copy.read_bytes())
    health = coachbot("health", env={"DATABASE_URL": f"sqlite:///{place}"})
    assert health.returncode == 0 and health.stdout.strip() == "healthy"


def test_backups_during_a_stream_of_writes_are_each_one_moment(tmp_path: Path) -> None:
    """A writer adds an event and its prompt record in each transaction, flat out; every
    backup taken meanwhile has exactly as many of one as of the other, and more each time."""
    source = tmp_path / "live.db"
    engine = make_engine(f"sqlite:///{source}")
    upgrade(engine)
    sessions = make_session_factory(engine)
    with SqlUnitOfWork(sessions) as uow:
        operative = uow.operatives.add(
            Operative(1, "Op", "Europe/London", created_at=datetime.now(UTC))
        )
        uow.commit()
    assert operative.id is not None
    stop = threading.Event()
    written = [0]

    def write() -> None:
        moment = datetime(2026, 12, 1, 8, tzinfo=UTC)
        while not stop.is_set():
            with SqlUnitOfWork(sessions) as uow:
                for _ in range(20):
                    moment += timedelta(seconds=1)
                    uow.events.record(
                        EngagementEvent(
                            EventType.PROMPT_SENT,
                            operative.id,
                            moment,
                            {"item": f"p{written[0]}", "via": "schedule"},
                        )
                    )
                    written[0] += 1
                uow.commit()

    writer = threading.Thread(target=write)
    writer.start()
    seen = []
    try:
        while written[0] < 200:
            time.sleep(0.01)
        for number in range(5):
            # Wait for the writer to commit more (at most one transaction of 20 is open):
            # 200 before the first copy, then more than the copy before.
            committed_before = seen[-1] if seen else 180
            while written[0] < committed_before + 40:
                time.sleep(0.005)
            copy = tmp_path / f"copy{number}.db"
            done = backup_sqlite(source, copy)
            assert done.tables["engagement_events"] == done.tables["prompt_replies"]
            seen.append(counts(copy)["prompt_sent_events"])
    finally:
        stop.set()
        writer.join()
    engine.dispose()
    assert seen == sorted(seen) and seen[0] >= 200
    assert len(set(seen)) == len(seen)  # each backup a later moment than the one before
    assert all(count % 20 == 0 for count in seen)  # whole transactions only
    assert seen[-1] <= written[0]


def test_backup_refuses_to_overwrite_and_names_pg_dump_for_postgres(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    assert coachbot("db", "upgrade", env={"DATABASE_URL": url}).returncode == 0
    existing = tmp_path / "kept.db"
    existing.write_text("an older backup")
    again = coachbot("backup", str(existing), env={"DATABASE_URL": url})
    assert again.returncode == 2
    assert again.stderr == (
        f"coachbot: no backup made: {existing} already exists: choose a new file name\n"
    )
    assert existing.read_text() == "an older backup"
    with pytest.raises(BackupError, match="there is no database at"):
        backup_sqlite(tmp_path / "missing.db", tmp_path / "new.db")

    postgres = coachbot(
        "backup",
        "coach.dump",
        env={"DATABASE_URL": "postgresql+psycopg://coach:s3cret@db:5432/coachbot"},
    )
    assert postgres.returncode == 2
    assert (
        "pg_dump --format=custom --file=coach.dump postgresql://coach@db:5432/coachbot"
        in postgres.stderr
    )
    assert "s3cret" not in postgres.stderr + postgres.stdout
