"""Retention (COACHBOT_RETENTION_MONTHS) on SQLite and PostgreSQL: old records are
summarised, then deleted, and every report shows the same figures as before.

The dataset is tests/reports_dataset.py (October and November 2026), plus a1's
prompts either side of the boundary. "Now" is 10 January 2029; with 24 months
kept, records are kept in full from Monday 4 January 2027.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from functools import partial

import pytest
from sqlalchemy import Engine, func, select

from bot.core.jobs.retention import Retention, boundary_day, months_before
from bot.core.model import (
    Cohort,
    ContentGap,
    Delivery,
    Kind,
    Operative,
    OutboxMessage,
    Role,
    Status,
)
from bot.core.reports.figures import build_report, summary_text
from bot.core.reports.ports import Activity, Figures, Period, Scope
from bot.storage.database import make_session_factory
from bot.storage.models import (
    ContentGapRow,
    EventRow,
    OutboxRow,
    PromptReplyRow,
    StatusChangeRow,
    TopicRollupRow,
    WeekRollupRow,
)
from bot.storage.unit_of_work import SqlUnitOfWork
from tests import reports_dataset as data
from tests.support import FakeClock

NOW = datetime(2029, 1, 10, 10, 0, tzinfo=UTC)
KEPT_FROM = date(2027, 1, 4)
LONDON, TOKYO = "Europe/London", "Asia/Tokyo"
MANAGER_IN_TOKYO = 601

Uow = Callable[[], SqlUnitOfWork]


@pytest.fixture
def uow_factory(engine: Engine) -> Uow:
    return partial(SqlUnitOfWork, make_session_factory(engine))


@pytest.fixture
def ids(uow_factory: Uow) -> dict[str, int]:
    with uow_factory() as uow:
        ids = data.build(uow)
        builder = data.Builder(uow)
        builder.ids.update(ids)
        # A second group for facilitator A, so their groups together are a scope too.
        south = uow.cohorts.add(
            Cohort("Hull South", "HULL2", created_by=data.FACILITATOR_A, created_at=data.at(1))
        )
        assert south.id is not None
        ids["cohort_c"] = south.id
        builder.operative(
            "tokyo", MANAGER_IN_TOKYO, None, created=data.at(1), zone=TOKYO, role=Role.MANAGER
        )
        # a1 goes on answering every working day from 14 Dec 2026 to 15 Jan 2027, so
        # periods just after the boundary have streaks reaching back before it.
        day = date(2026, 12, 14)
        while day <= date(2027, 1, 15):
            if day.weekday() < 5:
                moment = datetime(day.year, day.month, day.day, 8, tzinfo=UTC)
                builder.prompt("a1", moment, f"a1-{day}")
                builder.answer(
                    "a1", moment + timedelta(minutes=5), f"a1-{day}", "doorstep", "strong"
                )
            day += timedelta(days=1)
        # a3, paused since 5 Nov 2026, comes back in March 2027: early in 2027 only the
        # pause, from before the boundary, says they were paused.
        builder.event("a3", "resumed", datetime(2027, 3, 10, 9, tzinfo=UTC))
        a3 = uow.operatives.by_id(ids["a3"])
        assert a3 is not None
        a3.status = Status.ACTIVE
        uow.operatives.save(a3)
        # 05:00 in Tokyo on Monday 4 Jan is still Sunday 3 Jan in London.
        builder.answer("a2", datetime(2027, 1, 3, 20, tzinfo=UTC), "late", "diversity", "partial")
        for moment in (datetime(2027, 6, 1, tzinfo=UTC), datetime(2028, 6, 1, tzinfo=UTC)):
            uow.gaps.add(ContentGap(data.SECRET, ids["cohort_a"], ids["a1"], None, moment))
        for status, created in ((Delivery.SENT, data.at(3)), (Delivery.PENDING, data.at(4))):
            uow.outbox.add(
                OutboxMessage(
                    Kind.FOLLOW_UP,
                    ids["a1"],
                    1001,
                    created.date(),
                    "Hello",
                    created,
                    ref=f"f-{status}",
                    status=status,
                ),
                created,
            )
        uow.commit()
    return ids


def scopes(ids: dict[str, int]) -> dict[str, Scope]:
    return {
        "all": Scope(),
        "hull": Scope(frozenset({ids["cohort_a"]})),
        "leeds": Scope(frozenset({ids["cohort_b"]})),
        "facilitator A": Scope(frozenset({ids["cohort_a"], ids["cohort_c"]})),
    }


def week(monday: date, zone: str = LONDON) -> Period:
    return Period(monday, monday + timedelta(days=6), zone)


def month(first: date, zone: str = LONDON) -> Period:
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return Period(first, following - timedelta(days=1), zone)


#: Weeks and months wholly or partly before the boundary: read from the kept summaries.
SUMMARISED = [
    week(date(2026, 11, 2)),
    week(date(2026, 11, 9)),
    week(date(2026, 12, 28)),
    week(date(2026, 11, 9), TOKYO),
    month(date(2026, 10, 1)),
    month(date(2026, 11, 1)),
    month(date(2027, 1, 1)),  # begins before the boundary: kept whole
]
#: Periods from the boundary on: still read from the records, which must all be there.
KEPT_IN_FULL = [
    week(date(2027, 1, 4)),  # its trend compares it with the summarised week before
    week(date(2027, 1, 11)),  # streaks look back four weeks, to before the boundary
    week(date(2027, 1, 4), TOKYO),  # begins at 15:00 UTC on 3 January, before London's
    Period(date(2027, 1, 4), date(2027, 2, 28), LONDON),
]


def figures_and_trend(uow_factory: Uow, scope: Scope, period: Period) -> tuple[Figures, Activity]:
    with uow_factory() as uow:
        report = build_report(uow.reports, scope, period, "group")
    return replace(report.figures, kept_from=None, summary=False), report.week_before


def all_figures(uow_factory: Uow, ids: dict[str, int]) -> dict[tuple[str, Period], object]:
    return {
        (name, period): figures_and_trend(uow_factory, scope, period)
        for name, scope in scopes(ids).items()
        for period in SUMMARISED + KEPT_IN_FULL
    }


def test_the_boundary_is_the_monday_on_or_before_months_ago() -> None:
    assert boundary_day(NOW, 24, LONDON) == KEPT_FROM  # 10 Jan 2027 is a Sunday
    assert months_before(date(2029, 3, 31), 1) == date(2029, 2, 28)
    assert months_before(date(2028, 3, 31), 1) == date(2028, 2, 29)
    assert months_before(date(2029, 1, 10), 13) == date(2027, 12, 10)


def test_reports_show_the_same_figures_after_summarising_and_deleting(
    uow_factory: Uow, ids: dict[str, int]
) -> None:
    before = all_figures(uow_factory, ids)
    assert before[("hull", week(date(2026, 11, 9)))][0].weekly.total.prompts > 0  # not empty
    assert before[("all", KEPT_IN_FULL[1])][0].streaks != (0, 0, 0, 0, 0)

    done = Retention(uow_factory, FakeClock(NOW), 24, LONDON).run()

    assert done.kept_from == KEPT_FROM
    assert done.events > 0 and done.prompts > 0 and done.gaps == 6 and done.outbox == 1
    after = all_figures(uow_factory, ids)
    for key, figures in before.items():
        assert after[key] == figures, key
    with uow_factory() as uow:
        kept = uow.reports.figures(Scope(), week(date(2026, 11, 9)))
        live = uow.reports.figures(Scope(), week(date(2027, 1, 11)))
    assert kept.summary and kept.kept_from == KEPT_FROM
    assert not live.summary and live.kept_from is None


def test_what_is_deleted_and_what_stays(uow_factory: Uow, ids: dict[str, int]) -> None:
    Retention(uow_factory, FakeClock(NOW), 24, LONDON).run()
    cut = datetime(2027, 1, 3, 15, tzinfo=UTC)  # midnight in Tokyo, the earliest zone
    with uow_factory() as uow:
        session = uow.session
        old_events = session.execute(
            select(EventRow.operative_id, EventRow.type).where(EventRow.occurred_at < cut)
        ).all()
        # Only each person's latest status change is left from before the boundary.
        statuses = ("enrolled", "paused", "resumed", "stopped", "unreachable")
        assert all(type_ in statuses for _, type_ in old_events)
        assert len(old_events) == len({operative for operative, _ in old_events})
        assert "resumed" in {t for op, t in old_events if op == ids["a1"]}
        oldest_prompt = session.scalar(select(func.min(PromptReplyRow.sent_at)))
        assert oldest_prompt is not None and oldest_prompt >= cut - timedelta(weeks=4)
        gaps = session.execute(
            select(
                ContentGapRow.created_at, ContentGapRow.text, ContentGapRow.operative_id
            ).order_by(ContentGapRow.created_at)
        ).all()
        # Older than 12 months: the words and the link to the person go; the count stays.
        assert [(g[1], g[2]) for g in gaps] == [("", None), (data.SECRET, ids["a1"])]
        outbox = session.scalars(select(OutboxRow.status)).all()
        assert outbox == [Delivery.PENDING.value]  # a message still to go is never dropped
        # Each person's weekly report rows go with the records; their latest status stays.
        first_kept = (date(2027, 1, 4) - date(1970, 1, 1)).days - 7
        for table in (WeekRollupRow, TopicRollupRow):
            assert session.scalar(select(func.min(table.week))) >= first_kept
        old_changes = session.execute(
            select(StatusChangeRow.operative_id, StatusChangeRow.status).where(
                StatusChangeRow.changed_at < cut
            )
        ).all()
        assert len(old_changes) == len({operative for operative, _ in old_changes})
        assert ("active" in {s for op, s in old_changes if op == ids["a1"]}) is True


def test_running_again_changes_nothing_and_a_week_later_summarises_one_more_week(
    uow_factory: Uow, ids: dict[str, int]
) -> None:
    clock = FakeClock(NOW)
    retention = Retention(uow_factory, clock, 24, LONDON)
    retention.run()
    again = retention.run()
    assert (again.summaries, again.events, again.prompts, again.gaps) == (0, 0, 0, 0)
    next_week = week(date(2027, 1, 4))
    before = {
        name: figures_and_trend(uow_factory, scope, next_week)
        for name, scope in scopes(ids).items()
    }
    clock.advance(days=7)
    later = retention.run()
    assert later.kept_from == date(2027, 1, 11)
    # That week, in London and in Tokyo: everyone, each of three groups, facilitator A's two.
    assert later.summaries == 2 * 5
    assert later.events > 0
    for name, scope in scopes(ids).items():
        assert figures_and_trend(uow_factory, scope, next_week) == before[name], name


def test_a_period_reaching_back_past_the_boundary_says_so(
    uow_factory: Uow, ids: dict[str, int]
) -> None:
    two_weeks = Period(date(2026, 11, 2), date(2026, 11, 15), LONDON)
    Retention(uow_factory, FakeClock(NOW), 24, LONDON).run()
    with uow_factory() as uow:
        partly = build_report(uow.reports, Scope(), two_weeks, "All groups")
        kept = build_report(uow.reports, Scope(), month(date(2026, 11, 1)), "All groups")

    def texts(key: str, **values: object) -> str:
        return f"{key}{sorted(values.items())}"

    assert partly.figures.kept_from == KEPT_FROM and not partly.figures.summary
    assert not partly.has_people
    assert "report_partly_kept[('day', '4 Jan 2027')]" in summary_text(partly, texts, {})
    assert "report_kept_summary[('day', '4 Jan 2027')]" in summary_text(kept, texts, {})


def test_without_old_records_retention_keeps_everything(uow_factory: Uow) -> None:
    with uow_factory() as uow:
        uow.operatives.add(Operative(1, "New", LONDON, created_at=NOW))
        uow.commit()
    done = Retention(uow_factory, FakeClock(NOW), 24, LONDON).run()
    assert (done.summaries, done.events, done.gaps, done.outbox) == (0, 0, 0, 0)
