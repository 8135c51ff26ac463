"""The report SQL, on SQLite and PostgreSQL, against figures worked out by hand.

The dataset and how each operative behaves: tests/reports_dataset.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Connection, Engine, inspect, text

from bot.core.model import EngagementEvent, Operative
from bot.core.reports.ports import (
    Activity,
    CommitmentFigures,
    Membership,
    Period,
    PersonFigures,
    Recipient,
    Scope,
    TopicFigures,
)
from bot.storage.database import make_session_factory
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.reporting import zone_segments
from bot.storage.unit_of_work import SqlUnitOfWork
from tests import reports_dataset as data
from tests.reports_dataset import PERIOD, at

W0, W1 = date(2026, 11, 2), date(2026, 11, 9)


@pytest.fixture
def uow(engine: Engine) -> Iterator[SqlUnitOfWork]:
    sessions = make_session_factory(engine)
    with SqlUnitOfWork(sessions) as uow:
        yield uow


@pytest.fixture
def ids(uow: SqlUnitOfWork) -> dict[str, int]:
    built = data.build(uow)
    uow.commit()
    return built


def hull(ids: dict[str, int]) -> Scope:
    return Scope(frozenset({ids["cohort_a"]}))


def test_one_cohort_every_figure(uow: SqlUnitOfWork, ids: dict[str, int]) -> None:
    figures = uow.reports.figures(hull(ids), PERIOD)
    # a7 joined after the period; the facilitator in the cohort is staff.
    assert figures.membership == Membership(
        enrolled=6, joined=1, paused=1, stopped=1, unreachable=1
    )
    # Daily prompts, week 0: a1 5, a2 5, a3 3; replies a1 5 (600 s), a2 5 (1200 s).
    # a5's practice scenario (answered after 60 s) is counted apart.
    # Week 1: a1 5, a2 5, a4 5, a6 2; replies a1 5, a2 4, a4 2 (3600 s), a6 1800 s and 2400 s.
    assert figures.weekly.weeks == (
        (
            W0,
            Activity(
                prompts=13,
                prompted=3,
                replies=10,
                median_reply_seconds=900.0,
                active=3,
                gaps=2,
                practice=1,
                practising=1,
                practice_answered=1,
            ),
        ),
        (
            W1,
            Activity(
                prompts=17, prompted=4, replies=13, median_reply_seconds=1200.0, active=4, gaps=1
            ),
        ),
    )
    # 23 delays: ten of 600, nine of 1200, 1800, 2400, 3600, 3600: the 12th is 1200.
    assert figures.weekly.total == Activity(
        prompts=30,
        prompted=5,
        replies=23,
        median_reply_seconds=1200.0,
        active=5,
        gaps=3,
        practice=1,
        practising=1,
        practice_answered=1,
    )
    assert figures.topics == (
        TopicFigures("appointments", answers=11, operatives=4, strong=6, partial=4, concern=1),
        TopicFigures("doorstep", answers=14, operatives=5, strong=7, partial=6, concern=1),
        TopicFigures("safeguarding", answers=1, operatives=1, strong=1, partial=0, concern=0),
    )
    # 0: a3, a5, a6 (Berlin: its 13 Nov reply came on the 14th there); 1-2: a4; 3-4: a2; 10+: a1.
    assert figures.streaks == (3, 1, 1, 0, 1)
    assert figures.commitments == CommitmentFigures(made=5, kept=2, partly=1, not_yet=1)


def test_everyone_leaves_staff_out(uow: SqlUnitOfWork, ids: dict[str, int]) -> None:
    figures = uow.reports.figures(Scope(), PERIOD)
    assert figures.membership == Membership(
        enrolled=9, joined=1, paused=1, stopped=1, unreachable=1
    )
    # Leeds adds three prompts on 3 Nov, each answered after 900 s.
    # Week 0's 13 delays: five of 600, three of 900, five of 1200: the 7th is 900.
    assert figures.weekly.weeks[0] == (
        W0,
        Activity(
            prompts=16,
            prompted=6,
            replies=13,
            median_reply_seconds=900.0,
            active=6,
            gaps=4,
            practice=1,
            practising=1,
            practice_answered=1,
        ),
    )
    # 26 delays: ten of 600, three of 900, then 1200: the 13th and 14th are 900 and 1200.
    assert figures.weekly.total == Activity(
        prompts=33,
        prompted=8,
        replies=26,
        median_reply_seconds=1050.0,
        active=8,
        gaps=5,
        practice=1,
        practising=1,
        practice_answered=1,
    )
    assert figures.topics[1] == TopicFigures(
        "doorstep", answers=17, operatives=8, strong=10, partial=6, concern=1
    )
    assert figures.streaks == (3, 4, 1, 0, 1)
    assert figures.commitments == CommitmentFigures(made=6, kept=3, partly=1, not_yet=1)


def test_several_cohorts_together(uow: SqlUnitOfWork, ids: dict[str, int]) -> None:
    both = uow.reports.figures(Scope(frozenset({ids["cohort_a"], ids["cohort_b"]})), PERIOD)
    everyone = uow.reports.figures(Scope(), PERIOD)
    assert (both.membership, both.topics, both.streaks, both.commitments) == (
        everyone.membership,
        everyone.topics,
        everyone.streaks,
        everyone.commitments,
    )
    # Only the question from someone in no group is missing.
    assert (both.weekly.total.gaps, everyone.weekly.total.gaps) == (4, 5)
    assert uow.reports.figures(Scope(frozenset()), PERIOD).membership == Membership()


def test_a_group_in_one_time_zone(uow: SqlUnitOfWork, ids: dict[str, int]) -> None:
    leeds = uow.reports.figures(Scope(frozenset({ids["cohort_b"]})), PERIOD)
    assert leeds.membership == Membership(enrolled=3)
    assert leeds.streaks == (0, 3, 0, 0, 0)
    assert leeds.weekly.total == Activity(
        prompts=3, prompted=3, replies=3, median_reply_seconds=900.0, active=3, gaps=1
    )


def test_weekly_alone_matches(uow: SqlUnitOfWork, ids: dict[str, int]) -> None:
    assert uow.reports.weekly(hull(ids), PERIOD) == uow.reports.figures(hull(ids), PERIOD).weekly


def test_a_quiet_period_is_all_zeros(uow: SqlUnitOfWork, ids: dict[str, int]) -> None:
    quiet = Period(date(2026, 9, 7), date(2026, 9, 13), "Europe/London")
    figures = uow.reports.figures(hull(ids), quiet)
    assert figures.membership == Membership()
    assert figures.weekly.total == Activity()
    assert figures.weekly.weeks == ((date(2026, 9, 7), Activity()),)
    assert figures.topics == ()
    assert figures.streaks == (0, 0, 0, 0, 0)


def test_replies_after_the_period_count_for_its_last_prompts(
    uow: SqlUnitOfWork, ids: dict[str, int]
) -> None:
    """A prompt on the last evening answered the next morning is answered (its week),
    but the reply doesn't make anyone active in the period."""
    uow.events.record(
        EngagementEvent("prompt_sent", ids["a3"], at(15, 19), {"item": "late", "via": "schedule"})
    )
    uow.events.record(
        EngagementEvent(
            "answered",
            ids["a3"],
            at(16, 7),
            {"item": "late", "topic": "doorstep", "verdict": "strong", "via": "text"},
        )
    )
    weekly = uow.reports.weekly(hull(ids), PERIOD)
    assert weekly.weeks[1][1].prompts == 18 and weekly.weeks[1][1].replies == 14
    assert weekly.total.active == 5


def test_a_later_prompt_of_the_same_item_takes_the_reply(
    uow: SqlUnitOfWork, ids: dict[str, int]
) -> None:
    """Two prompts of one item: each reply belongs to the latest prompt at or before it."""
    a3 = ids["a3"]
    for moment, type_ in ((at(11, 9), "prompt_sent"), (at(11, 10), "prompt_sent")):
        uow.events.record(EngagementEvent(type_, a3, moment, {"item": "twice", "via": "schedule"}))
    uow.events.record(
        EngagementEvent(
            "answered",
            a3,
            at(11, 10, 5),
            {"item": "twice", "topic": "doorstep", "verdict": "strong", "via": "text"},
        )
    )
    week = uow.reports.weekly(hull(ids), PERIOD).weeks[1][1]
    # Two more prompts, one more answered (the second), 300 s after it.
    assert (week.prompts, week.replies) == (19, 14)
    # Week 1 delays now: 300, five of 600, four of 1200, 1800, 2400, 3600, 3600 (14): 1200.
    assert week.median_reply_seconds == 1200.0


def test_people_for_a_facilitator(uow: SqlUnitOfWork, ids: dict[str, int]) -> None:
    rows = list(uow.reports.people(hull(ids), PERIOD))
    assert rows == [
        PersonFigures(data.FORMULA_NAME, "Hull North", "active", 5, 2, 2, date(2026, 11, 13)),
        PersonFigures("Alice", "Hull North", "active", 10, 10, 10, date(2026, 11, 13)),
        PersonFigures("Bob", "Hull North", "paused", 10, 10, 3, date(2026, 11, 13)),
        PersonFigures("Cara", "Hull North", "paused", 3, 0, 0, None),
        PersonFigures("Dev", "Hull North", "stopped", 1, 2, 0, date(2026, 11, 4)),
        PersonFigures("Eve", "Hull North", "unreachable", 2, 2, 0, date(2026, 11, 13)),
    ]


def test_digest_recipients_are_active_managers(uow: SqlUnitOfWork, ids: dict[str, int]) -> None:
    uow.operatives.add(
        Operative(
            telegram_id=601,
            display_name="Away",
            timezone="Europe/London",
            role=data.Role.MANAGER,
            status=data.Status.STOPPED,
            created_at=at(1, month=10),
        )
    )
    assert uow.reports.digest_recipients() == [
        Recipient(ids["manager"], data.MANAGER, "Europe/London")
    ]


def test_weeks_follow_the_clocks(uow: SqlUnitOfWork, ids: dict[str, int]) -> None:
    """Across the October clock change, an event at 23:30 UTC on Sunday 25 Oct is
    Sunday night in London (GMT): still the week of 19 Oct."""
    a3 = ids["a3"]
    for moment in (
        datetime(2026, 10, 18, 23, 30, tzinfo=UTC),  # BST: Monday 19 Oct 00:30 local
        datetime(2026, 10, 25, 23, 30, tzinfo=UTC),  # GMT: Sunday 25 Oct 23:30 local
    ):
        uow.events.record(
            EngagementEvent(
                "prompt_sent", a3, moment, {"item": f"p{moment.day}", "via": "schedule"}
            )
        )
    october = Period(date(2026, 10, 19), date(2026, 10, 25), "Europe/London")
    # Both, and a2's prompt of 20 Oct.
    assert uow.reports.weekly(hull(ids), october).weeks[0][1].prompts == 3


def test_zone_segments_find_the_clock_changes() -> None:
    low = datetime(2026, 3, 1, tzinfo=UTC)
    high = datetime(2026, 11, 1, tzinfo=UTC)
    assert zone_segments("Europe/London", low, high) == (
        (int(low.timestamp()), 0),
        (int(datetime(2026, 3, 29, 1, tzinfo=UTC).timestamp()), 3600),
        (int(datetime(2026, 10, 25, 1, tzinfo=UTC).timestamp()), 0),
    )
    assert zone_segments("UTC", low, high) == ((int(low.timestamp()), 0),)
    assert len(zone_segments("Europe/Berlin", low, low + timedelta(days=10))) == 1


def test_a_reply_recorded_late_counts_from_when_it_was_given(
    uow: SqlUnitOfWork, ids: dict[str, int]
) -> None:
    """Replies can reach the log out of order (a retried delivery): the first reply is
    the earliest given, not the first written."""
    a3, later = ids["a3"], Period(date(2026, 12, 7), date(2026, 12, 13), "Europe/London")
    uow.events.record(
        EngagementEvent("prompt_sent", a3, at(8, 9, month=12), {"item": "x", "via": "schedule"})
    )
    for minute in (20, 5):
        uow.events.record(
            EngagementEvent(
                "answered",
                a3,
                at(8, 9, minute, month=12),
                {"item": "x", "topic": "doorstep", "verdict": "strong", "via": "text"},
            )
        )
    total = uow.reports.weekly(hull(ids), later).total
    assert (total.prompts, total.replies, total.median_reply_seconds) == (1, 1, 300.0)


def test_upgrading_an_existing_log_pairs_its_prompts_and_replies_as_recording_does(
    engine: Engine,
) -> None:
    """Migration 0005 builds the prompt replies read model from events already logged:
    the figures after the upgrade are the ones recorded live."""
    sessions = make_session_factory(engine)
    with SqlUnitOfWork(sessions) as uow:
        built = data.build(uow)
        uow.commit()
    with SqlUnitOfWork(sessions) as uow:
        live = (
            uow.reports.figures(hull(built), PERIOD),
            list(uow.reports.people(hull(built), PERIOD)),
        )
    with engine.begin() as connection:
        rows_live = _prompt_replies(connection)
    _downgrade(engine, "0004")
    assert "prompt_replies" not in inspect(engine).get_table_names()
    upgrade(engine)
    with engine.begin() as connection:
        assert _prompt_replies(connection) == rows_live
    with SqlUnitOfWork(sessions) as uow:
        upgraded = (
            uow.reports.figures(hull(built), PERIOD),
            list(uow.reports.people(hull(built), PERIOD)),
        )
    assert upgraded == live


def _prompt_replies(connection: Connection) -> list[tuple[object, ...]]:
    return [
        tuple(row)
        for row in connection.execute(
            text(
                "SELECT operative_id, item, sent_at, scheduled, first_reply_at "
                "FROM prompt_replies ORDER BY sent_at, operative_id, item"
            )
        )
    ]


def _downgrade(engine: Engine, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
