"""Repositories, unit of work and migrations, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import partial

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from bot.core.model import Cohort, EngagementEvent, Operative, Role, Status
from bot.storage.database import make_engine, make_session_factory
from bot.storage.migrate import current_revision, head_revision, upgrade
from bot.storage.unit_of_work import SqlUnitOfWork

NOW = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def uow_factory(engine: Engine) -> partial[SqlUnitOfWork]:
    return partial(SqlUnitOfWork, make_session_factory(engine))


def sample(telegram_id: int = 5_000_000_001, **changes: object) -> Operative:
    operative = Operative(
        telegram_id=telegram_id,
        display_name="Aisha",
        timezone="Europe/London",
        prompt_time=time(7, 45),
        working_days=frozenset({0, 2, 4}),
        created_at=NOW,
    )
    for name, value in changes.items():
        setattr(operative, name, value)
    return operative


def test_migrations_reach_head_and_create_the_tables(engine: Engine) -> None:
    assert current_revision(engine) == head_revision()
    tables = set(inspect(engine).get_table_names())
    assert {"operatives", "cohorts", "engagement_events", "alembic_version"} <= tables
    upgrade(engine)  # a second run changes nothing
    assert current_revision(engine) == head_revision()


def test_operative_round_trip_keeps_every_field(engine: Engine) -> None:
    uows = uow_factory(engine)
    with uows() as uow:
        cohort = uow.cohorts.add(
            Cohort("Hull repairs", "HULLrep123", date(2026, 11, 20), 77, None, NOW)
        )
        uow.operatives.add(sample(cohort_id=cohort.id, role=Role.FACILITATOR))
        uow.commit()
    with uows() as uow:
        operative = uow.operatives.get(5_000_000_001)
    assert operative is not None
    assert operative.display_name == "Aisha"
    assert operative.role is Role.FACILITATOR
    assert operative.prompt_time == time(7, 45)
    assert operative.working_days == frozenset({0, 2, 4})
    assert operative.created_at == NOW and operative.created_at.tzinfo is not None
    assert operative.cohort_id == cohort.id


def test_save_updates_status_and_pause(engine: Engine) -> None:
    uows = uow_factory(engine)
    with uows() as uow:
        operative = uow.operatives.add(sample())
        uow.commit()
    operative.status = Status.PAUSED
    operative.paused_until = date(2026, 4, 6)
    with uows() as uow:
        uow.operatives.save(operative)
        uow.commit()
    with uows() as uow:
        again = uow.operatives.get(operative.telegram_id)
    assert again is not None
    assert again.status is Status.PAUSED and again.paused_until == date(2026, 4, 6)


def test_leaving_without_commit_rolls_back(engine: Engine) -> None:
    uows = uow_factory(engine)
    with uows() as uow:
        uow.operatives.add(sample())
    with uows() as uow:
        assert uow.operatives.get(5_000_000_001) is None


def test_telegram_ids_and_invite_codes_are_unique(engine: Engine) -> None:
    uows = uow_factory(engine)
    with uows() as uow:
        uow.operatives.add(sample())
        uow.commit()
    with uows() as uow, pytest.raises(IntegrityError):
        uow.operatives.add(sample())
    with uows() as uow:
        uow.cohorts.add(Cohort("A", "SAMECODE1", created_at=NOW))
        uow.commit()
    with uows() as uow, pytest.raises(IntegrityError):
        uow.cohorts.add(Cohort("B", "SAMECODE1", created_at=NOW))


def test_events_keep_payload_and_order_and_are_erased_with_the_person(engine: Engine) -> None:
    uows = uow_factory(engine)
    with uows() as uow:
        operative = uow.operatives.add(sample())
        assert operative.id is not None
        for minute, kind in enumerate(["enrolled", "prompt_sent", "answered", "paused"]):
            uow.events.record(
                EngagementEvent(
                    kind, operative.id, NOW.replace(minute=minute), {"item": "x", "topic": "door"}
                )
            )
        uow.commit()
    with uows() as uow:
        events = uow.events.of(operative.id)
        answered = uow.events.of(operative.id, "answered")
    assert [e.type for e in events] == ["enrolled", "prompt_sent", "answered", "paused"]
    assert answered[0].payload == {"item": "x", "topic": "door"}
    assert answered[0].occurred_at == NOW.replace(minute=2)
    assert _prompt_replies(engine) == 1
    with uows() as uow:
        erased = uow.erasure.erase(operative.telegram_id)
        uow.commit()
    assert erased is not None and erased.events == 4
    with uows() as uow:
        assert uow.operatives.get(operative.telegram_id) is None
        assert uow.events.of(operative.id) == []
        assert uow.erasure.erase(operative.telegram_id) is None
    assert _prompt_replies(engine) == 0


def _prompt_replies(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM prompt_replies")).scalar_one())


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_default_sqlite_folder_is_created(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path)) / "nested" / "data"
    engine = make_engine(f"sqlite:///{folder / 'coachbot.db'}")
    upgrade(engine)
    assert (folder / "coachbot.db").exists()
