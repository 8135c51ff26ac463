"""The rollups give the very figures the records give, on SQLite and PostgreSQL.

A generated history (three groups, one below the privacy floor, staff, three time
zones, late and out-of-order replies, practice, pauses and stops) is recorded
through the event log as the bot records it; then reports of whole weeks, months,
ranges that start and end mid-week, "this week" and single days are read twice:
from the rollups (by week, and by day at the ends), and from the records (the
rollups switched off). Migrations 0012 and 0013 must build the same rollups from a
log recorded before them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from bot.core.model import Cohort, EngagementEvent, Operative, Role
from bot.core.reports.figures import Report, summary_values
from bot.core.reports.ports import Figures, Period, Scope
from bot.storage.database import make_engine, make_session_factory
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.rollup_reports import RollupReports, Span, day_number
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import database_copy, migrated_template

ZONES = ("Europe/London", "Europe/London", "Europe/Berlin", "America/New_York")
TOPICS = ("doorstep", "appointments", "saying-no")
START = datetime(2026, 9, 28, tzinfo=UTC)  # a Monday
WEEKS = 8


def generate(uow: SqlUnitOfWork, seed: int = 15) -> dict[str, int]:
    """Three groups (12, 7 and 3 operatives), two staff; eight weeks of activity."""
    rng = random.Random(seed)
    cohorts = {}
    for name, size in (("big", 12), ("mid", 7), ("tiny", 3)):
        cohort = uow.cohorts.add(Cohort(name, name.upper(), created_by=900, created_at=START))
        assert cohort.id is not None
        cohorts[name] = (cohort.id, size)
    people: list[tuple[int, datetime]] = []
    telegram = 5000
    for name, (cohort_id, size) in cohorts.items():
        for _ in range(size):
            telegram += 1
            zone = rng.choice(ZONES)
            joined = START + timedelta(days=rng.randrange(20), hours=rng.randrange(24))
            operative = uow.operatives.add(
                Operative(
                    telegram_id=telegram,
                    display_name=f"{name}{telegram}",
                    timezone=zone,
                    cohort_id=cohort_id,
                    created_at=joined,
                )
            )
            assert operative.id is not None
            people.append((operative.id, joined))
            uow.events.record(EngagementEvent("enrolled", operative.id, joined, {}))
    for role, telegram_id in ((Role.MANAGER, 901), (Role.FACILITATOR, 902)):
        staff = uow.operatives.add(
            Operative(
                telegram_id=telegram_id,
                display_name="staff",
                timezone="Europe/London",
                role=role,
                cohort_id=cohorts["big"][0],
                created_at=START,
            )
        )
        assert staff.id is not None
        people.append((staff.id, START))
    late: list[EngagementEvent] = []
    for day in range(WEEKS * 7):
        for op, joined in people:
            if START + timedelta(days=day) >= joined and rng.random() < 0.5:
                # 07:00 to 08:59 UTC, and now and then close to midnight (other zones' days).
                hour = 23 if rng.random() < 0.1 else rng.choice((7, 8))
                sent = START + timedelta(days=day, hours=hour, minutes=rng.randrange(60))
                item = f"{rng.choice(TOPICS)}-{rng.randrange(4)}"
                via = "practice" if rng.random() < 0.2 else "schedule"
                uow.events.record(
                    EngagementEvent("prompt_sent", op, sent, {"item": item, "via": via})
                )
                for _ in range(rng.choice((0, 1, 1, 1, 2))):
                    delay = timedelta(seconds=rng.choice((30, 59, 60, 61, 600, 3599, 90_000)))
                    delay += timedelta(seconds=rng.randrange(400))
                    reply = EngagementEvent(
                        "answered",
                        op,
                        sent + delay,
                        {
                            "item": item,
                            "topic": item.rsplit("-", 1)[0],
                            "verdict": rng.choice(("strong", "partial", "concern")),
                            "via": "button",
                        },
                    )
                    # Some replies reach the log late, after later events.
                    (late if rng.random() < 0.15 else [reply]).append(reply)
                    if reply not in late:
                        uow.events.record(reply)
            if rng.random() < 0.01:
                moment = START + timedelta(days=day, hours=12)
                kind = rng.choice(("paused", "resumed", "stopped", "unreachable"))
                uow.events.record(EngagementEvent(kind, op, moment, {}))
        if day % 7 == 6:
            uow.events.record_many(late)
            late = []
    uow.events.record_many(late)
    return {name: cohort_id for name, (cohort_id, _) in cohorts.items()}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, int]]]:
    """The generated history, recorded once per engine (a few seconds); each test gets a
    copy of its database, as ``database_url`` below."""
    template = migrated_template(request, request.param)
    with database_copy(template, tmp_path_factory.mktemp("history")) as url:
        yield url, _record_history(url)


def _record_history(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        found = generate(uow)
        uow.commit()
    engine.dispose()
    return found


@pytest.fixture
def database_url(history: tuple[str, dict[str, int]], tmp_path: Path) -> Iterator[str]:
    """A copy of the recorded history, for this test alone."""
    with database_copy(history[0], tmp_path) as url:
        yield url


@pytest.fixture
def groups(history: tuple[str, dict[str, int]]) -> dict[str, int]:
    return history[1]


def both(engine: Engine, scope: Scope, period: Period) -> tuple[Figures, Figures]:
    """(from the rollups, from the records)."""
    sessions = make_session_factory(engine)
    with SqlUnitOfWork(sessions) as uow:
        rolled = uow.reports.figures(scope, period)
    with SqlUnitOfWork(sessions) as uow, pytest.MonkeyPatch.context() as patch:
        patch.setattr(RollupReports, "covers", lambda self, period: False)
        recorded = uow.reports.figures(scope, period)
    return rolled, recorded


def periods() -> Iterator[Period]:
    for first, weeks in ((0, 1), (1, 4), (4, 4), (6, 2)):
        monday = (START + timedelta(weeks=first)).date()
        yield Period(monday, monday + timedelta(weeks=weeks, days=-1), "Europe/London")
    day = START.date()
    for first, last in (
        (3, 33),  # October: a Thursday to a Saturday
        (16, 18),  # Wednesday to Friday of one week
        (21, 23),  # "this week" on a Wednesday
        (9, 9),  # one day
        (5, 45),  # a Saturday to a Thursday, five weeks later
        (35, 55),  # the last three weeks, from a Sunday: replies after its end
    ):
        yield Period(day + timedelta(days=first), day + timedelta(days=last), "Europe/London")
    # Last: everything.
    yield Period(day, day + timedelta(weeks=WEEKS, days=-1), "Europe/London")


def scopes(groups: dict[str, int]) -> list[Scope]:
    return [
        Scope(),
        Scope(frozenset({groups["big"]})),
        Scope(frozenset({groups["tiny"]})),
        Scope(frozenset({groups["mid"], groups["tiny"]})),
    ]


def test_the_rollups_give_the_figures_of_the_records(
    engine: Engine, groups: dict[str, int]
) -> None:
    for scope in scopes(groups):
        for period in periods():
            rolled, recorded = both(engine, scope, period)
            assert rolled == recorded, (scope, period)
            # And so the same figures are shown, and the same ones held back.
            assert summary_values(Report("g", period, rolled, rolled.weekly.total)) == (
                summary_values(Report("g", period, recorded, recorded.weekly.total))
            )
    *_, everything = periods()
    everyone, _ = both(engine, Scope(), everything)
    assert everyone.weekly.total.prompts > 80 and everyone.weekly.total.practice > 15
    assert sum(everyone.streaks[1:]) > 0
    tiny, _ = both(engine, Scope(frozenset({groups["tiny"]})), everything)
    assert tiny.membership.enrolled == 3  # below the floor: withheld either way
    assert Report("tiny", everything, tiny, tiny.weekly.total).withheld


def test_an_erased_person_leaves_the_rollups(engine: Engine, groups: dict[str, int]) -> None:
    """Erasure takes a person out of every rollup, the counts for everyone included."""
    *_, everything = periods()
    before, _ = both(engine, Scope(), everything)
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        assert uow.erasure.erase(5001) is not None
        uow.commit()
    rolled, recorded = both(engine, Scope(), everything)
    assert rolled == recorded
    assert rolled.membership.enrolled == before.membership.enrolled - 1


def test_only_other_zones_are_read_from_the_records(engine: Engine, groups: dict[str, int]) -> None:
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        reads = RollupReports(uow.session)
        assert reads.covers(Period(date(2026, 10, 5), date(2026, 10, 11), "Europe/London"))
        assert reads.covers(Period(date(2026, 10, 5), date(2026, 10, 10), "Europe/London"))
        assert reads.covers(Period(date(2026, 10, 1), date(2026, 10, 31), "Europe/London"))
        assert not reads.covers(Period(date(2026, 10, 5), date(2026, 10, 11), "Europe/Berlin"))


def test_a_period_is_whole_weeks_by_week_and_its_ends_by_day() -> None:
    october = Span.of(Period(date(2026, 10, 1), date(2026, 10, 31), "Europe/London"))
    monday = day_number(date(2026, 10, 5))
    assert october.weeks == (monday, monday + 14)  # 5 Oct to 25 Oct: three whole weeks
    assert october.days == (
        (day_number(date(2026, 10, 1)), day_number(date(2026, 10, 4)), monday - 7),
        (day_number(date(2026, 10, 26)), day_number(date(2026, 10, 31)), monday + 21),
    )
    this_week = Span.of(Period(date(2026, 12, 7), date(2026, 12, 9), "Europe/London"))
    first = day_number(date(2026, 12, 7))
    assert this_week == Span(None, ((first, first + 2, first),))


def test_upgrading_builds_the_rollups_that_recording_keeps(
    engine: Engine, groups: dict[str, int]
) -> None:
    tables = (
        "report_weeks",
        "report_topic_weeks",
        "report_reply_delays",
        "report_reply_minutes",
        "report_days",
        "report_topic_days",
        "report_day_delays",
        "report_day_minutes",
        "status_changes",
    )
    live = _dump(engine, tables)
    config = alembic_config()
    rollups = ScriptDirectory.from_config(config).get_revision("0012")
    assert rollups is not None and isinstance(rollups.down_revision, str)
    before = rollups.down_revision  # the revision 0012 follows
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, before)
    upgrade(engine)
    assert _dump(engine, tables) == live


def _dump(engine: Engine, tables: tuple[str, ...]) -> dict[str, list[tuple[object, ...]]]:
    found = {}
    with engine.connect() as connection:
        for table in tables:
            columns = "operative_id, changed_at, status" if table == "status_changes" else "*"
            rows = connection.execute(text(f"SELECT {columns} FROM {table}"))
            # A delay that moved (an earlier reply logged late) leaves a count of 0.
            counts = table.startswith(("report_reply_", "report_day_"))
            found[table] = sorted((tuple(row) for row in rows if not counts or row[-1]), key=repr)
    return found
