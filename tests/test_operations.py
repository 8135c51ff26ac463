"""`coachbot status` and `coachbot retention`, run as an admin would."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.core.jobs.delivery import Sent
from bot.core.jobs.retention import boundary_day
from bot.core.messages import Command, Sender
from bot.settings import Settings
from bot.storage.database import make_engine, make_session_factory
from bot.storage.leader import SenderLock
from bot.storage.migrate import alembic_config, head_revision, upgrade
from bot.storage.unit_of_work import SqlUnitOfWork
from bot.wiring import build_runtime
from tests import reports_dataset as data
from tests.storage.test_reporting import _downgrade
from tests.support import FakeClock, scratch_postgres_database
from tests.test_cli import coachbot

MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # a Tuesday


def _settings(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]


def _queue_three_and_send_one(url: str) -> None:
    """Three operatives due a prompt at 08:00; one of them sent by worker ``van-7``."""
    runtime = build_runtime(_settings(url), clock=FakeClock(MORNING))
    for user_id in (501, 502, 503):
        runtime.coach.handle(Command(Sender(user_id, "Op"), "start"))
    runtime.planner.plan()
    claim = runtime.deliveries.claim(1, "van-7")
    (first, *_) = claim.messages
    runtime.deliveries.write(claim.token, going=[first])
    runtime.deliveries.write(claim.token, outcomes=[Sent(first, 9001)])
    runtime.engine.dispose()


def _line(output: str, label: str) -> str:
    (found,) = [line.strip() for line in output.splitlines() if line.strip().startswith(label)]
    return found.removeprefix(label).strip()


def test_status_on_sqlite_shows_the_queue_the_last_send_and_the_migrations(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'ops.db'}"
    _queue_three_and_send_one(url)
    result = coachbot("status", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert _line(out, "Migrations") == f"up to date ({head_revision()})"
    assert _line(out, "Sender") == "SQLite: the one running `coachbot run` sends"
    assert _line(out, "Last send").startswith("2026-12-01 08:00:00 UTC (")
    assert re.search(r"a prompt, by van-7:[0-9a-f]{8}$", _line(out, "Last send"))
    assert _line(out, "Outbox").split() == ["pending", "claimed", "sending"]
    assert _line(out, "prompt").split() == ["2", "0", "0"]
    assert _line(out, "total").split() == ["2", "0", "0"]
    assert _line(out, "Due now").startswith("2, the oldest due for ")
    assert len(out.splitlines()) <= 24  # one screen


def test_status_on_postgres_names_the_session_that_sends_and_pending_migrations(
    tmp_path: Path,
) -> None:
    with scratch_postgres_database() as url:
        _queue_three_and_send_one(url)
        runtime = build_runtime(_settings(url))
        lock = SenderLock(runtime.engine)
        assert lock.held()
        sending = coachbot("status", env={"DATABASE_URL": url})
        assert sending.returncode == 0, sending.stderr
        sender = _line(sending.stdout, "Sender")
        assert sender.startswith("PostgreSQL session ")
        assert "(coachbot " in sender and ", connected 20" in sender
        lock.release()
        idle = coachbot("status", env={"DATABASE_URL": url})
        assert _line(idle.stdout, "Sender") == (
            "no replica holds the sender lock, so nothing is being sent"
        )
        head = head_revision()
        assert head is not None
        previous = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
        _downgrade(runtime.engine, str(previous))
        behind = coachbot("status", env={"DATABASE_URL": url})
        assert behind.returncode == 1
        assert _line(behind.stdout, "Migrations").startswith(
            f"1 pending ({head}); the database is at {previous}."
        )
        upgrade(runtime.engine)
        runtime.engine.dispose()


def test_status_before_any_migration_says_what_to_do_and_makes_no_database(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "misspelt.db"
    refused = coachbot("status", env={"DATABASE_URL": f"sqlite:///{missing}"})
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"coachbot: DATABASE_URL: there is no database at {missing}")
    assert not missing.exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    result = coachbot("status", env={"DATABASE_URL": f"sqlite:///{empty}"})
    assert result.returncode == 1
    assert _line(result.stdout, "Migrations") == "no tables yet: run `coachbot db upgrade`"


def test_coachbot_retention_applies_the_setting_now(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        data.build(uow)  # October and November 2026
        uow.commit()
    with engine.connect() as connection:
        events_before = connection.execute(text("SELECT count(*) FROM engagement_events")).scalar()
    result = coachbot("retention", env={"DATABASE_URL": url, "COACHBOT_RETENTION_MONTHS": "1"})
    assert result.returncode == 0, result.stderr
    kept_from = boundary_day(datetime.now(UTC), 1, "Europe/London")
    assert result.stdout.startswith(f"kept in full from {kept_from}: ")
    deleted = int(re.search(r"deleted (\d+) events", result.stdout)[1])  # type: ignore[index]
    with engine.connect() as connection:
        events_after = connection.execute(text("SELECT count(*) FROM engagement_events")).scalar()
        summaries = connection.execute(text("SELECT count(*) FROM report_summaries")).scalar()
    assert deleted > 0 and events_after == events_before - deleted
    assert summaries and f"{summaries} week and month summaries written" in result.stdout
    engine.dispose()


def test_status_says_in_one_line_when_the_database_is_out_of_reach() -> None:
    url = "postgresql+psycopg://coachbot:pa55word@127.0.0.1:1/coachbot"
    result = coachbot("status", env={"DATABASE_URL": url})
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(
        "coachbot: DATABASE_URL: can't reach the database at "
        "postgresql+psycopg://coachbot:***@127.0.0.1:1/coachbot ("
    )
    assert "pa55word" not in result.stderr + result.stdout
