"""Erasure leaves nothing: after /forgetme, no table (nor, on SQLite, the database file or
its write-ahead log) holds the person's id, name or any word they typed.

Three people use the bot the way they would: an operative who joins a group, answers a
prompt in their own words, asks questions the coach can't answer and makes a commitment;
the facilitator who set the group up and wrote follow-ups (one queued to the members, one
still a draft); a manager who asks questions too. Each then erases themselves."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, select
from sqlalchemy.engine import make_url

from bot.core.callbacks import StepReply
from bot.core.content.library import Library
from bot.core.jobs.planner import DailyPrompts
from bot.core.model import FORMER_FACILITATOR, Role
from bot.core.router import Coach, CoachConfig
from bot.reporting.renderers import REPORT_RENDERERS
from bot.storage.database import make_engine, make_session_factory
from bot.storage.migrate import upgrade
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import BOT_USERNAME
from tests.support import FakeClock
from tests.unit.conversation import Operative as Person


@dataclass(frozen=True)
class Traces:
    """What would give a person away: their Telegram id, their name, their words."""

    telegram_id: int
    name: str
    words: tuple[str, ...]

    def texts(self) -> tuple[str, ...]:
        return (self.name, *self.words)


OPERATIVE = Traces(
    987_650_001, "Zebedee", ("marmalade wheelbarrow", "xylophone quandary", "pomegranate oath")
)
FACILITATOR = Traces(987_650_002, "Ophelia", ("periwinkle lighthouse", "saxophone drizzle"))
MANAGER = Traces(987_650_003, "Quentin", ("grumbleflap nectarine",))


@pytest.fixture
def coach(database_url: str, library: Library) -> Iterator[Coach]:
    engine = make_engine(database_url)
    upgrade(engine)
    yield Coach(
        partial(SqlUnitOfWork, make_session_factory(engine)),
        library,
        FakeClock(),
        CoachConfig(default_timezone="Europe/London"),
        renderers=REPORT_RENDERERS,
        bot_username=BOT_USERNAME,
    )
    engine.dispose()


def person(coach: Coach, traces: Traces) -> Person:
    return Person(coach, user_id=traces.telegram_id, name=traces.name)


def given_role(coach: Coach, traces: Traces, role: Role) -> None:
    with coach.uow_factory() as uow:
        found = uow.operatives.get(traces.telegram_id)
        assert found is not None
        found.role = role
        uow.operatives.save(found)
        uow.commit()


def everyone_uses_the_bot(coach: Coach) -> None:
    lead = person(coach, FACILITATOR)
    lead.send("/start")
    given_role(coach, FACILITATOR, Role.FACILITATOR)
    lead.send("/newcohort Bramblewick repairs")
    with coach.uow_factory() as uow:
        (cohort,) = uow.cohorts.created_by(FACILITATOR.telegram_id)

    worker = person(coach, OPERATIVE)
    worker.send(f"/start {cohort.invite_code}")
    worker.send("/practice")
    worker.send(f"I would say {OPERATIVE.words[0]} and show my ID")
    worker.send(f"how do i handle a {OPERATIVE.words[1]} with the tenant")
    with coach.uow_factory() as uow:
        found = uow.operatives.get(OPERATIVE.telegram_id)
        assert found is not None and found.id is not None
        found.awaiting = StepReply("commitment").encode()
        uow.operatives.save(found)
        uow.commit()
    worker.send(f"I will keep my {OPERATIVE.words[2]}")

    lead.send("/followup")
    lead.send(f"Remember the {FACILITATOR.words[0]}")
    lead.press("Send")
    lead.send("/followup")
    lead.send(f"Draft about the {FACILITATOR.words[1]}")

    boss = person(coach, MANAGER)
    boss.send("/start")
    given_role(coach, MANAGER, Role.MANAGER)
    boss.send("/summary")
    boss.send(f"is {MANAGER.words[0]} a thing")
    # Today's prompts and everything else the planner queues, for all three.
    DailyPrompts(coach.uow_factory, coach.deps).plan()


def table_dump(engine: Engine) -> str:
    """Every row of every table, as text."""
    tables = MetaData()
    tables.reflect(engine)
    lines = []
    with engine.connect() as connection:
        for table in tables.sorted_tables:
            for row in connection.execute(select(table)):
                lines.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(lines)


def file_bytes(engine: Engine) -> bytes:
    """The SQLite database file and its write-ahead log, as they are on disk."""
    database = make_url(str(engine.url)).database
    assert database is not None
    files = [Path(database), Path(f"{database}-wal")]
    return b"".join(path.read_bytes() for path in files if path.exists())


def leaks(engine: Engine, traces: Traces) -> list[str]:
    dump = table_dump(engine)
    found = [f"table row: {text!r}" for text in traces.texts() if text in dump]
    if str(traces.telegram_id) in dump:
        found.append(f"table row: id {traces.telegram_id}")
    if engine.dialect.name == "sqlite":
        raw = file_bytes(engine)
        found += [f"file bytes: {text!r}" for text in traces.texts() if text.encode() in raw]
    return found


def forget(coach: Coach, traces: Traces) -> str:
    someone = person(coach, traces)
    assert "can't be undone" in someone.send("/forgetme")
    return someone.press("Yes, erase it all")


def test_erasing_each_role_leaves_no_id_name_or_word_of_theirs(coach: Coach) -> None:
    everyone_uses_the_bot(coach)
    engine = _engine(coach)
    # The search finds each of them before: in the tables, and in the file bytes.
    for traces in (OPERATIVE, FACILITATOR, MANAGER):
        assert len(leaks(engine, traces)) >= len(traces.texts()), traces.name

    done = forget(coach, OPERATIVE)
    assert "1 question you asked me" in done and "your commitment" in done
    assert leaks(engine, OPERATIVE) == []

    done = forget(coach, FACILITATOR)
    assert "2 follow-ups you wrote" in done and "1 group you set up" in done
    assert leaks(engine, FACILITATOR) == []
    with coach.uow_factory() as uow:
        (kept,) = uow.cohorts.all()
    assert kept.name == "Bramblewick repairs" and kept.created_by == FORMER_FACILITATOR

    done = forget(coach, MANAGER)
    assert "Done. I've erased everything" in done
    assert leaks(engine, MANAGER) == []
    assert "don't have anything" in forget(coach, MANAGER)


def test_an_admin_sees_a_group_whose_facilitator_was_erased(coach: Coach) -> None:
    lead = person(coach, FACILITATOR)
    lead.send("/start")
    given_role(coach, FACILITATOR, Role.FACILITATOR)
    lead.send("/newcohort Bramblewick repairs")
    forget(coach, FACILITATOR)
    admin = Person(coach, user_id=4242, name="Ada")
    admin.send("/start")
    given_role(coach, Traces(4242, "Ada", ()), Role.ADMIN)
    assert "Bramblewick repairs" in (listing := admin.send("/cohorts"))
    assert "set up by a former facilitator" in listing


def test_changing_your_mind_erases_nothing(coach: Coach) -> None:
    worker = person(coach, OPERATIVE)
    worker.send("/start")
    worker.send("/forgetme")
    assert "nothing has been erased" in worker.press("No, keep it")
    assert "Zebedee" in table_dump(_engine(coach))


def _engine(coach: Coach) -> Engine:
    with coach.uow_factory() as uow:
        bind = uow.session.get_bind()
    assert isinstance(bind, Engine)
    return bind
