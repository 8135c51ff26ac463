"""Managers' reports at the service level: a real coach on SQLite, the hand-built
dataset of tests/reports_dataset.py, and exact figures.

Also: periods, the privacy floor, role checks, the chart, the exports (XLSX, CSV,
JSON) and `coachbot report`, and the Monday digest.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from matplotlib import image
from openpyxl import load_workbook
from PIL import Image as PILImage

from bot import cli
from bot.core.content.library import Library
from bot.core.jobs.digest import queue_weekly_digests
from bot.core.jobs.planner import DailyPrompts
from bot.core.jobs.retention import Retention
from bot.core.matching.matcher import Matcher
from bot.core.messages import Command, Reply, Sender
from bot.core.model import Delivery, Kind, Role
from bot.core.reports.figures import (
    FEWER,
    ChartData,
    Report,
    document,
    floored,
    people,
    rate,
    summary_text,
    summary_values,
)
from bot.core.reports.periods import parse_period, period_label
from bot.core.reports.ports import (
    Activity,
    CommitmentFigures,
    Figures,
    Membership,
    Period,
    Scope,
    TopicFigures,
    Weekly,
)
from bot.core.router import Coach, CoachConfig
from bot.reporting.export import neutralise, write_csv, write_json, write_xlsx
from bot.reporting.renderers import REPORT_RENDERERS
from bot.storage.database import make_engine, make_session_factory
from bot.storage.migrate import upgrade
from bot.storage.unit_of_work import SqlUnitOfWork
from tests import reports_dataset as data
from tests.conftest import ADMIN_ID, BOT_USERNAME, CONTENT
from tests.support import FakeClock

LONDON = "Europe/London"
RANGE = "2026-11-02..2026-11-15"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """The dataset, built once: each test gets a copy of this database file."""
    path = tmp_path_factory.mktemp("reports") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        ids = data.build(uow)
        uow.commit()
    engine.dispose()
    return path, ids


@pytest.fixture
def sqlite_url(template: tuple[Path, dict[str, int]], tmp_path: Path) -> str:
    """The coach's database (see tests/conftest.py): a fresh copy of the dataset."""
    copy = tmp_path / "coachbot.db"
    shutil.copyfile(template[0], copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def coach(sqlite_url: str, library: Library, clock: FakeClock, matcher: Matcher) -> Iterator[Coach]:
    """As in tests/conftest.py, without migrating again (the copy is up to date) and
    with one matcher for the module (reports never route text)."""
    engine = make_engine(sqlite_url)
    yield Coach(
        partial(SqlUnitOfWork, make_session_factory(engine)),
        library,
        clock,
        CoachConfig(default_timezone=LONDON, admin_ids=frozenset({ADMIN_ID})),
        matcher,
        renderers=REPORT_RENDERERS,
        bot_username=BOT_USERNAME,
    )
    engine.dispose()


@pytest.fixture
def ids(template: tuple[Path, dict[str, int]], coach: Coach) -> dict[str, int]:
    return template[1]


def ask(coach: Coach, user_id: int, text: str) -> list[Reply]:
    name, _, args = text.lstrip("/").partition(" ")
    return coach.handle(Command(Sender(user_id, "Someone"), name, args))


def texts(replies: list[Reply]) -> str:
    return "\n".join(reply.text for reply in replies)


# -- periods -------------------------------------------------------------------

WEDNESDAY = date(2026, 11, 18)


@pytest.mark.parametrize(
    ("typed", "first", "last"),
    [
        ("", date(2026, 10, 19), date(2026, 11, 15)),
        ("4w", date(2026, 10, 19), date(2026, 11, 15)),
        ("1w", date(2026, 11, 9), date(2026, 11, 15)),
        ("last-week", date(2026, 11, 9), date(2026, 11, 15)),
        ("this-week", date(2026, 11, 16), WEDNESDAY),
        ("this-month", date(2026, 11, 1), WEDNESDAY),
        ("last-month", date(2026, 10, 1), date(2026, 10, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-11", date(2026, 11, 1), WEDNESDAY),
        (RANGE, date(2026, 11, 2), date(2026, 11, 15)),
        ("LAST-MONTH", date(2026, 10, 1), date(2026, 10, 31)),
        # As people say them.
        ("last week", date(2026, 11, 9), date(2026, 11, 15)),
        ("Last  Week", date(2026, 11, 9), date(2026, 11, 15)),
        ("this week", date(2026, 11, 16), WEDNESDAY),
        ("this month", date(2026, 11, 1), WEDNESDAY),
        ("last month", date(2026, 10, 1), date(2026, 10, 31)),
        ("4 weeks", date(2026, 10, 19), date(2026, 11, 15)),
        ("last 2 weeks", date(2026, 11, 2), date(2026, 11, 15)),
        ("nov", date(2026, 11, 1), WEDNESDAY),
        ("November", date(2026, 11, 1), WEDNESDAY),
        ("october", date(2026, 10, 1), date(2026, 10, 31)),
        ("december", date(2025, 12, 1), date(2025, 12, 31)),  # the latest December begun
        ("dec 2024", date(2024, 12, 1), date(2024, 12, 31)),
        ("since 1/11", date(2026, 11, 1), WEDNESDAY),
        ("since 1 nov", date(2026, 11, 1), WEDNESDAY),
        ("since 1st November", date(2026, 11, 1), WEDNESDAY),
        ("since 20/12", date(2025, 12, 20), WEDNESDAY),
        ("since october", date(2026, 10, 1), WEDNESDAY),
        ("since 2026-10-15", date(2026, 10, 15), WEDNESDAY),
        ("1/11 to 15/11", date(2026, 11, 1), date(2026, 11, 15)),
        ("from 2 nov to 15 nov", date(2026, 11, 2), date(2026, 11, 15)),
        ("1/11/26 - 15/11/26", date(2026, 11, 1), date(2026, 11, 15)),
        ("20/12 to 5/1", date(2025, 12, 20), date(2026, 1, 5)),
        ("1/11 to 30/11", date(2026, 11, 1), WEDNESDAY),  # no days to come
    ],
)
def test_periods(typed: str, first: date, last: date) -> None:
    assert parse_period(typed, WEDNESDAY, LONDON) == Period(first, last, LONDON)


def test_last_month_in_january_is_december() -> None:
    period = parse_period("last-month", date(2027, 1, 5), LONDON)
    assert period is not None
    assert (period.first, period.last) == (date(2026, 12, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    "typed",
    [
        "0w",
        "105w",
        "2026-13",
        "2027-01",
        "2026-11-15..2026-11-02",
        "2026-02-30..2026-03-01",
        "2020-01-01..2026-01-01",
        "fortnight",
        "0000-01",
        "decembr",
        "since",
        "since 1/12/2026",  # after today
        "since 31/2",
        "1/11 to",
        "15/11 to 1/11/2026",
        "next week",
        "all",
        "9999-12",
        "²w",
        "2026-1٢",
    ],
)
def test_periods_that_are_refused(typed: str) -> None:
    assert parse_period(typed, WEDNESDAY, LONDON) is None


def test_period_bounds_and_weeks() -> None:
    period = Period(date(2026, 10, 1), date(2026, 10, 31), LONDON)
    # BST: midnight in London is 23:00 UTC the day before; GMT again by the 31st.
    assert period.start == datetime(2026, 9, 30, 23, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 1, 0, tzinfo=UTC)
    assert period.weeks == (
        date(2026, 9, 28),
        date(2026, 10, 5),
        date(2026, 10, 12),
        date(2026, 10, 19),
        date(2026, 10, 26),
    )
    assert period_label(period) == "1 Oct to 31 Oct 2026"
    assert period_label(Period(date(2026, 12, 28), date(2027, 1, 3), LONDON)) == (
        "28 Dec 2026 to 3 Jan 2027"
    )


# -- the privacy floor ---------------------------------------------------------


def test_the_floor_is_five() -> None:
    # A true zero is about nobody, so it is shown: the floor hides 1 to 4 people.
    assert [people(n) for n in (0, 1, 4, 5, 6)] == [0, FEWER, FEWER, 5, 6]
    assert floored(120, 4) is FEWER and floored(120, 5) == 120 and floored(0, 0) == 0
    assert floored(2, 0) is FEWER  # a count about nobody that isn't 0: not trusted
    assert rate(3, 4, 4) is FEWER
    assert rate(3, 4, 5) == 0.75
    assert rate(0, 0, 5) is None and rate(0, 0, 0) is None


def _figures(enrolled: int, topics: tuple[TopicFigures, ...] = ()) -> Figures:
    week = Activity(
        prompts=10, prompted=enrolled, replies=5, median_reply_seconds=60.0, active=enrolled, gaps=2
    )
    return Figures(
        Membership(enrolled=enrolled),
        Weekly(week, ((date(2026, 11, 9), week),)),
        topics,
        (enrolled, 0, 0, 0, 0),
        CommitmentFigures(),
    )


def test_a_group_of_four_shows_no_figure_at_all() -> None:
    report = Report(
        "Tiny", Period(date(2026, 11, 9), date(2026, 11, 15), LONDON), _figures(4), Activity()
    )
    assert report.withheld
    values = summary_values(report)
    shown = {key: value for key, value in values.items() if value is not FEWER}
    assert shown == {
        "group": "Tiny",
        "period_from": date(2026, 11, 9),
        "period_to": date(2026, 11, 15),
        "time_zone": LONDON,
    }
    text = summary_text(report, _text(), {})
    assert text == (
        "<b>Tiny</b>, 9 Nov to 15 Nov 2026\n"
        "This group has fewer than 5 operatives, so I don't show any figures for it. "
        "That keeps everyone anonymous."
    )
    # The export keeps its layout, every figure held back.
    doc = document(report, _text(), {"doorstep": "On the doorstep"})
    assert [list(table.rows) for table in doc.tables] == [
        [(date(2026, 11, 9), *[FEWER] * 8)],
        [("On the doorstep", "doorstep", *[FEWER] * 5)],
    ]


def test_all_groups_below_the_floor_are_these_groups_and_an_empty_group_is_not_fewer() -> None:
    period = Period(date(2026, 11, 9), date(2026, 11, 15), LONDON)
    several = Report("All groups", period, _figures(3), Activity(), several=True)
    assert summary_text(several, _text(), {}).splitlines()[1] == (
        "These groups have fewer than 5 operatives between them, so I don't show any "
        "figures for them. That keeps everyone anonymous."
    )
    no_outcomes = Figures(
        Membership(enrolled=6),
        _figures(6).weekly,
        (),
        (6, 0, 0, 0, 0),
        CommitmentFigures(made=6),
    )
    text = summary_text(Report("Hull", period, no_outcomes, Activity()), _text(), {})
    assert "Commitments: none followed up yet." in text.splitlines()
    empty = Report("Hull", period, _figures(0), Activity())
    assert not empty.withheld
    assert summary_text(empty, _text(), {}).splitlines()[1] == (
        "No operatives had joined this group by 15 Nov 2026, so there's nothing to show "
        "for this period."
    )


@pytest.mark.parametrize(
    ("practising", "line"),
    [
        (6, "Practice: 8 scenarios asked for by 6 operatives, 75% answered"),
        (4, "Practice: fewer than 5 operatives asked for a scenario, so no figures."),
    ],
)
def test_practice_is_a_figure_of_its_own(practising: int, line: str) -> None:
    """Daily prompts' reply rate leaves /practice out; practice has its own line, under
    the same privacy floor (issue 14)."""
    week = Activity(
        prompts=10,
        prompted=8,
        replies=5,
        median_reply_seconds=60.0,
        active=8,
        practice=8,
        practising=practising,
        practice_answered=6,
    )
    figures = Figures(
        Membership(enrolled=8),
        Weekly(week, ((date(2026, 11, 9), week),)),
        (),
        (8, 0, 0, 0, 0),
        CommitmentFigures(),
    )
    period = Period(date(2026, 11, 9), date(2026, 11, 15), LONDON)
    lines = summary_text(Report("Hull", period, figures, Activity()), _text(), {}).splitlines()
    assert "Daily prompts: 10 sent, 50% answered, median reply 1 min" in lines
    assert line in lines
    values = summary_values(Report("Hull", period, figures, Activity()))
    shown = values["practice_sent"], values["operatives_practising"]
    assert shown == ((8, 6) if practising >= 5 else (FEWER, FEWER))


def test_weak_topics_first_and_small_topics_last() -> None:
    topics = (
        TopicFigures("appointments", 10, 5, strong=8, partial=2, concern=0),  # 0.9
        TopicFigures("doorstep", 10, 6, strong=2, partial=4, concern=4),  # 0.4
        TopicFigures("diversity", 10, 4, strong=0, partial=0, concern=10),  # too few people
        TopicFigures("saying-no", 10, 5, strong=5, partial=0, concern=5),  # 0.5
        TopicFigures("preventive", 2, 2, strong=0, partial=0, concern=2),  # too few people
    )
    report = Report(
        "G", Period(date(2026, 11, 9), date(2026, 11, 15), LONDON), _figures(10, topics), Activity()
    )
    assert [t.topic for t in report.topics()] == [
        "doorstep",
        "saying-no",
        "appointments",
        "diversity",
        "preventive",
    ]


def _text() -> Any:
    from bot.core.content.loader import load_library

    return load_library(CONTENT).text


# -- /summary: roles and figures -----------------------------------------------

TITLES = {
    "doorstep": "On the doorstep",
    "appointments": "Keeping tenants informed",
    "safeguarding": "Safeguarding and welfare",
}


def test_manager_summary_text_and_chart(coach: Coach, ids: dict[str, int]) -> None:
    replies = ask(coach, data.MANAGER, f"/summary {RANGE}")
    assert [reply.image is not None for reply in replies] == [False, True, False]
    assert replies[0].text.splitlines() == [
        "<b>All groups</b>, 2 Nov to 15 Nov 2026",
        "Operatives: 9 enrolled, 8 answered at least once, fewer than 5 new",
        "Paused fewer than 5 · stopped fewer than 5 · can't be reached fewer than 5",
        "Daily prompts: 33 sent, 79% answered, median reply 18 min",
        "Practice: fewer than 5 operatives asked for a scenario, so no figures.",
        "Week on week: fewer than 5 operatives in one of the weeks, so no figures.",
        "Days in a row: 0: fewer than 5 · 1–2: fewer than 5 · 3–4: fewer than 5 · "
        "5–9: 0 · 10+: fewer than 5",
        "Weakest topics: On the doorstep (59% strong, 6% concern)",
        "Commitments kept: 60% of 5 followed up",
        "Questions I couldn't answer: 5",
    ]
    png = replies[1].image
    assert png is not None and png.filename.endswith(".png")
    assert png.content.startswith(PNG_SIGNATURE)
    pixels = image.imread(io.BytesIO(png.content), format="png")
    assert pixels.shape[:2] == (1000, 900)


def _chart_colours(weeks: list[tuple[str, float | None]], topics: list[Any]) -> set[Any]:
    labels = {
        key: key.replace("_", " ")
        for key in ("reply_rate", "topics", "strong", "partial", "concern", "no_data", "fewer")
    }
    png = REPORT_RENDERERS.chart(
        ChartData("All groups, 3 Aug to 29 Nov 2026", weeks, topics, labels)
    )
    assert png.startswith(PNG_SIGNATURE)
    picture = PILImage.open(io.BytesIO(png)).convert("RGB")
    assert picture.size == (900, 1000)
    return {colour for _, colour in picture.getcolors(900 * 1000) or []}


def test_the_chart_draws_what_may_be_shown_and_nothing_else() -> None:
    blue, green, orange, red = (33, 102, 172), (27, 120, 55), (241, 163, 64), (178, 24, 43)
    # Seventeen weeks (slanted labels), some held back; two topics.
    weeks = [(f"{day} Aug", None if day % 3 else 0.5) for day in range(1, 18)]
    shown = _chart_colours(weeks, [("Working with the office and other trades", 0.5, 0.3, 0.2)])
    assert {blue, green, orange, red} <= shown
    # Every week held back and no topic to rank: no bar at all.
    nothing = _chart_colours([("2 Nov", None), ("9 Nov", None)], [])
    assert not {blue, green, orange, red} & nothing


def test_facilitator_sees_their_own_group(coach: Coach, ids: dict[str, int]) -> None:
    summary, chart = ask(coach, data.FACILITATOR_A, f"/summary {RANGE}")
    text = summary.text
    assert chart.image is not None
    assert text.splitlines()[:4] == [
        "<b>Hull North</b>, 2 Nov to 15 Nov 2026",
        "Operatives: 6 enrolled, 5 answered at least once, fewer than 5 new",
        "Paused fewer than 5 · stopped fewer than 5 · can't be reached fewer than 5",
        "Daily prompts: 30 sent, 77% answered, median reply 20 min",
    ]
    assert "Weakest topics: On the doorstep (50% strong, 7% concern)" in text
    assert "Commitments: fewer than 5 followed up so far." in text
    assert text.endswith("Questions I couldn't answer: 3")
    assert ask(coach, data.FACILITATOR_A, f"/summary HULL1 {RANGE}")[0].text == text


def test_facilitator_cannot_see_another_group(coach: Coach, ids: dict[str, int]) -> None:
    refused = texts(ask(coach, data.FACILITATOR_A, "/summary LEEDS1"))
    unknown = texts(ask(coach, data.FACILITATOR_A, "/summary NOSUCH"))
    # The same answer as for a code that doesn't exist: codes can't be probed.
    assert refused == unknown.replace("NOSUCH", "LEEDS1")
    assert "can't find a group with the code <code>LEEDS1</code>" in refused
    assert "Leeds" not in refused
    (export,) = ask(coach, data.FACILITATOR_A, "/export LEEDS1")
    assert export.document is None and export.text == refused


def test_a_group_below_the_floor_is_withheld(coach: Coach, ids: dict[str, int]) -> None:
    withheld = (
        "<b>Leeds</b>, 2 Nov to 15 Nov 2026\n"
        "This group has fewer than 5 operatives, so I don't show any figures for it. "
        "That keeps everyone anonymous."
    )
    for user in (data.MANAGER, data.FACILITATOR_B):
        (reply,) = ask(coach, user, f"/summary LEEDS1 {RANGE}")
        assert reply.text == withheld and reply.image is None
    # Leeds is facilitator 501's only group, so it is what they get by default.
    assert texts(ask(coach, data.FACILITATOR_B, f"/summary {RANGE}")) == withheld


def test_a_facilitator_without_groups(coach: Coach, ids: dict[str, int]) -> None:
    ask(coach, 777, "/start")
    with coach.uow_factory() as uow:
        newcomer = uow.operatives.get(777)
        assert newcomer is not None
        newcomer.role = Role.FACILITATOR
        uow.operatives.save(newcomer)
        uow.commit()
    assert texts(ask(coach, 777, "/summary")).startswith("You haven't got any groups yet")
    assert "can't find a group" in texts(ask(coach, 777, "/export HULL1"))


def test_operatives_are_not_allowed(coach: Coach, ids: dict[str, int]) -> None:
    for command in ("/summary", "/export", f"/summary HULL1 {RANGE}"):
        assert texts(ask(coach, 1001, command)) == coach.text("not_allowed")


def test_admin_sees_everything(coach: Coach, ids: dict[str, int]) -> None:
    ask(coach, ADMIN_ID, "/start")
    text = texts(ask(coach, ADMIN_ID, f"/summary HULL1 {RANGE}"))
    assert "Daily prompts: 30 sent, 77% answered" in text
    assert "Daily prompts: 33 sent" in texts(ask(coach, ADMIN_ID, f"/summary all {RANGE}"))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("HULL1 fortnight", 'I can\'t read "fortnight" as a period'),
        ("HULL1 last weeek", 'I can\'t read "last weeek" as a period'),
        ("last weeek", 'I can\'t read "last weeek" as a period'),
        ("2026-13", 'I can\'t read "2026-13" as a period'),
        ("decembr", "a group with the code <code>decembr</code> among yours, or read it as a"),
        ("a b c", 'I can\'t read "a b c" as a period'),
        ("NOPE last week", "can't find a group with the code <code>NOPE</code>"),
        ("<b>x</b>", "can't find a group with the code <code>&lt;b&gt;x&lt;/b&gt;</code>"),
    ],
)
def test_what_a_manager_typed_wrong(
    coach: Coach, ids: dict[str, int], args: str, expected: str
) -> None:
    assert expected in texts(ask(coach, data.MANAGER, f"/summary {args}"))


def test_no_free_text_ever_reaches_a_manager(coach: Coach, ids: dict[str, int]) -> None:
    replies = ask(coach, data.MANAGER, f"/summary {RANGE}") + ask(
        coach, data.MANAGER, f"/export {RANGE}"
    )
    assert [bool(reply.image or reply.document) for reply in replies] == [
        False,
        True,
        False,
        True,
        False,
    ]
    for reply in replies:
        assert data.SECRET not in reply.text
        attachment = reply.document or reply.image
        assert attachment is None or data.SECRET.encode() not in attachment.content
    book = _book(replies[-2])
    cells = [cell for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row]
    assert data.SECRET not in cells


# -- /export ---------------------------------------------------------------------


def _book(reply: Reply) -> Any:
    assert reply.document is not None
    return load_workbook(io.BytesIO(reply.document.content))


def _rows(sheet: Any) -> list[tuple[Any, ...]]:
    return list(sheet.iter_rows(values_only=True))


def test_manager_export(coach: Coach, ids: dict[str, int]) -> None:
    reply, picker = ask(coach, data.MANAGER, f"/export {RANGE}")
    assert reply.document is not None
    assert reply.document.filename == "doorstep-coach-all-2026-11-02-to-2026-11-15.xlsx"
    assert [row[0].label for row in picker.buttons] == ["Leeds", "Hull North"]
    book = _book(reply)
    assert book.sheetnames == ["Summary", "Weeks", "Topics"]
    summary = dict(_rows(book["Summary"]))
    fewer = "fewer than 5"
    assert summary["Figure"] == "Value"
    assert summary["Group"] == "All groups"
    assert summary["From"] == datetime(2026, 11, 2)
    assert summary["Operatives enrolled"] == 9
    assert summary["Joined in the period"] == fewer
    assert summary["Answered at least once"] == 8
    assert summary["Prompts sent"] == 33
    assert summary["Prompts answered"] == 26
    assert summary["Reply rate"] == 0.7879
    assert summary["Median minutes to reply"] == 17.5
    assert summary["Practice scenarios asked for"] == fewer
    assert summary["Reply rate, last week"] == fewer
    assert summary["Days in a row: 1–2"] == fewer
    assert summary["Commitments made"] == 6
    assert summary["Commitments kept"] == 0.6
    assert summary["Questions the coach couldn't answer"] == 5
    assert _rows(book["Weeks"]) == [
        (
            "Week starting",
            "Prompts sent",
            "Operatives sent prompts",
            "Prompts answered",
            "Reply rate",
            "Change on the week before (points)",
            "Median minutes to reply",
            "Answered at least once",
            "Questions the coach couldn't answer",
        ),
        (datetime(2026, 11, 2), 16, 6, 13, 0.8125, None, 15, 6, 4),
        (datetime(2026, 11, 9), fewer, fewer, fewer, fewer, fewer, fewer, fewer, 1),
    ]
    assert _rows(book["Topics"]) == [
        ("Topic", "Topic id", "Answers", "Operatives", "Strong", "Partial", "Concern"),
        ("On the doorstep", "doorstep", 17, 8, 0.5882, 0.3529, 0.0588),
        ("Keeping tenants informed", "appointments", fewer, fewer, fewer, fewer, fewer),
        ("Safeguarding and welfare", "safeguarding", fewer, fewer, fewer, fewer, fewer),
    ]


def test_facilitator_export_has_their_people(coach: Coach, ids: dict[str, int]) -> None:
    (reply,) = ask(coach, data.FACILITATOR_A, f"/export {RANGE}")
    book = _book(reply)
    assert book.sheetnames == ["Summary", "Weeks", "Topics", "People"]
    assert _rows(book["People"]) == [
        ("Name", "Group", "Status", "Prompts sent", "Answers", "Days in a row", "Last answer"),
        # A name that looks like a formula stays text.
        ("'" + data.FORMULA_NAME, "Hull North", "active", 5, 2, 2, datetime(2026, 11, 13)),
        ("Alice", "Hull North", "active", 10, 10, 10, datetime(2026, 11, 13)),
        ("Bob", "Hull North", "paused", 10, 10, 3, datetime(2026, 11, 13)),
        ("Cara", "Hull North", "paused", 3, 0, 0, None),
        ("Dev", "Hull North", "stopped", 1, 2, 0, datetime(2026, 11, 4)),
        ("Eve", "Hull North", "unreachable", 2, 2, 0, datetime(2026, 11, 13)),
    ]
    # Managers never get individual rows.
    (manager,) = ask(coach, data.MANAGER, f"/export HULL1 {RANGE}")
    assert "People" not in _book(manager).sheetnames


def test_export_of_a_small_group_is_the_same_workbook_held_back(
    coach: Coach, ids: dict[str, int]
) -> None:
    (reply,) = ask(coach, data.MANAGER, f"/export LEEDS1 {RANGE}")
    assert "fewer than 5 operatives, so every figure is held back" in reply.text
    book = _book(reply)
    assert book.sheetnames == ["Summary", "Weeks", "Topics"]
    summary = _rows(book["Summary"])
    assert summary[1] == ("Group", "Leeds")
    assert dict(summary)["Prompts sent"] == "fewer than 5"
    assert summary[-1][0].startswith('Cells reading "fewer than 5" are held back')
    weeks = _rows(book["Weeks"])
    assert weeks[1:] == [
        (datetime(2026, 11, 2), *["fewer than 5"] * 8),
        (datetime(2026, 11, 9), *["fewer than 5"] * 8),
    ]
    held_back = book["Weeks"]["B2"]
    assert held_back.font.italic and held_back.fill.fill_type == "solid"
    topics = _rows(book["Topics"])[1:]
    assert len(topics) == len(coach.library.titles())
    assert {row[2:] for row in topics} == {("fewer than 5",) * 5}
    # The facilitator of a small group gets the People sheet too, with nobody on it.
    (own,) = ask(coach, data.FACILITATOR_B, f"/export {RANGE}")
    people_sheet = _book(own)["People"]
    assert _rows(people_sheet) == [
        ("Name", "Group", "Status", "Prompts sent", "Answers", "Days in a row", "Last answer")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 7700", "'+44 7700"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Hull = North", "Hull = North"),
        ("", ""),
    ],
)
def test_cells_that_would_be_formulas_are_neutralised(text: str, expected: str) -> None:
    assert neutralise(text) == expected


def test_xlsx_csv_and_json_carry_the_same_figures(coach: Coach, ids: dict[str, int]) -> None:
    with coach.uow_factory() as uow:
        from bot.core.reports.figures import build_report

        scope = Scope(frozenset({ids["cohort_a"]}))
        report = build_report(uow.reports, scope, data.PERIOD, "=Hull")
        text = coach.text
        out = io.StringIO()
        write_csv(document(report, text, TITLES), out)
        as_csv = list(csv.reader(io.StringIO(out.getvalue())))
        out = io.StringIO()
        write_json(document(report, text, TITLES), out)
        as_json = json.loads(out.getvalue())
        binary = io.BytesIO()
        write_xlsx(document(report, text, TITLES), binary)
    assert as_csv[0] == ["section", "key", "metric", "value"]
    assert ["summary", "", "group", "'=Hull"] in as_csv
    assert ["summary", "", "prompts_sent", "30"] in as_csv
    assert ["summary", "", "operatives_paused", "fewer than 5"] in as_csv
    assert ["weeks", "2026-11-09", "prompts_sent", "fewer than 5"] in as_csv
    assert ["topics", "On the doorstep", "strong_share", "0.5"] in as_csv
    assert as_json["summary"]["group"] == "=Hull"  # JSON is data, not a spreadsheet
    assert as_json["summary"]["reply_rate"] == 0.7667
    assert as_json["summary"]["median_minutes_to_reply"] == 20.0
    # Held back is null, and named; "not known" is null, and not named.
    assert as_json["weeks"][0] == {
        "week_starting": "2026-11-02",
        "prompts_sent": None,
        "operatives_prompted": None,
        "prompts_answered": None,
        "reply_rate": None,
        "reply_rate_change_points": None,
        "median_minutes_to_reply": None,
        "operatives_active": None,
        "unmatched_messages": 2,
        "suppressed": [
            "prompts_sent",
            "operatives_prompted",
            "prompts_answered",
            "reply_rate",
            "median_minutes_to_reply",
            "operatives_active",
        ],
    }
    assert as_json["summary"]["operatives_paused"] is None
    assert "operatives_paused" in as_json["summary"]["suppressed"]
    assert "reply_rate" not in as_json["summary"]["suppressed"]
    assert as_json["privacy_floor"] == 5
    assert [row["topic_id"] for row in as_json["topics"]] == [
        "doorstep",
        "appointments",
        "safeguarding",
    ]
    book = load_workbook(binary)
    assert dict(_rows(book["Summary"]))["Group"] == "'=Hull"


# -- coachbot report -------------------------------------------------------------


@pytest.fixture
def command_line(
    coach: Coach, ids: dict[str, int], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    for name in ("TELEGRAM_BOT_TOKEN", "COACHBOT_ADMIN_IDS", "COACHBOT_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("COACHBOT_CONTENT_DIR", str(CONTENT))
    yield


def test_report_command_json_to_stdout(
    command_line: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        [
            "report",
            "--cohort",
            "HULL1",
            "--from",
            "2026-11-02",
            "--to",
            "2026-11-15",
            "--format",
            "json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["summary"]["group"] == "Hull North"
    assert out["summary"]["operatives_enrolled"] == 6
    assert out["summary"]["prompts_answered"] == 23
    assert out["summary"]["unmatched_messages"] == 3


def test_report_command_files(
    command_line: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xlsx, table = tmp_path / "r.xlsx", tmp_path / "r.csv"
    assert (
        cli.main(
            [
                "report",
                "--from",
                "2026-11-02",
                "--to",
                "2026-11-15",
                "--format",
                "xlsx",
                "--output",
                str(xlsx),
            ]
        )
        == 0
    )
    assert (
        cli.main(["report", "--from", "2026-11-02", "--to", "2026-11-15", "--output", str(table)])
        == 0
    )
    assert load_workbook(xlsx).sheetnames == ["Summary", "Weeks", "Topics"]
    assert dict(_rows(load_workbook(xlsx)["Summary"]))["Prompts sent"] == 33
    assert ["summary", "", "prompts_sent", "33"] in list(csv.reader(table.open()))
    assert capsys.readouterr().err.splitlines() == [f"wrote {xlsx}", f"wrote {table}"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--format", "pdf"], 2, "coachbot: unknown format 'pdf': use csv, xlsx or json"),
        (
            ["--from", "2026-13-01"],
            2,
            "coachbot: bad --from date '2026-13-01': use YYYY-MM-DD, like 2026-10-31",
        ),
        (
            ["--from", "2026-11-15", "--to", "2026-11-02"],
            2,
            "coachbot: --from 2026-11-15 is after --to 2026-11-02",
        ),
        (
            ["--from", "2020-01-01", "--to", "2026-01-01"],
            2,
            "coachbot: a report covers at most 731 days",
        ),
        (["--cohort", "NOPE"], 1, "coachbot: no group with the code 'NOPE'"),
        (["--cohort", "no such!"], 2, "coachbot: bad group code 'no such!'"),
    ],
)
def test_report_command_errors_are_one_line(
    command_line: None,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    code: int,
    message: str,
) -> None:
    assert cli.main(["report", *args]) == code
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [message]
    assert captured.out == ""


# -- the Monday digest -------------------------------------------------------------


def queue(coach: Coach, clock: FakeClock, moment: datetime) -> int:
    clock.set(moment)
    with coach.uow_factory() as uow:
        queued = queue_weekly_digests(coach.deps, uow, moment)
        uow.commit()
    return queued


def test_digest_goes_on_monday_from_eight_once(
    coach: Coach, clock: FakeClock, ids: dict[str, int]
) -> None:
    assert queue(coach, clock, datetime(2026, 11, 16, 7, 59, tzinfo=UTC)) == 0
    assert queue(coach, clock, datetime(2026, 11, 15, 9, 0, tzinfo=UTC)) == 0  # Sunday
    assert queue(coach, clock, datetime(2026, 11, 16, 8, 0, tzinfo=UTC)) == 1
    assert queue(coach, clock, datetime(2026, 11, 16, 8, 1, tzinfo=UTC)) == 0
    assert queue(coach, clock, datetime(2026, 11, 16, 19, 0, tzinfo=UTC)) == 0
    with coach.uow_factory() as uow:
        message = uow.outbox.find(Kind.DIGEST, ids["manager"], date(2026, 11, 16), "weekly")
        assert uow.outbox.counts(Kind.DIGEST) == {Delivery.PENDING: 1}
    assert message is not None
    assert message.chat_id == data.MANAGER
    assert message.due_at == datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    assert message.buttons == []
    lines = message.text.splitlines()
    assert lines[:4] == [
        "<b>Your weekly Doorstep Coach digest</b>",
        "<b>All groups</b>, 9 Nov to 15 Nov 2026",
        "Operatives: 9 enrolled, fewer than 5 answered at least once, 0 new",
        "Paused fewer than 5 · stopped fewer than 5 · can't be reached fewer than 5",
    ]
    assert "Daily prompts: fewer than 5 operatives were sent any, so no figures." in lines
    assert "Week on week: fewer than 5 operatives in one of the weeks, so no figures." in lines
    assert lines[-1] == "/summary for a chart · /export for the spreadsheet"
    assert data.SECRET not in message.text


def test_digest_follows_the_managers_time_zone(
    coach: Coach, clock: FakeClock, ids: dict[str, int]
) -> None:
    with coach.uow_factory() as uow:
        manager = uow.operatives.get(data.MANAGER)
        assert manager is not None
        manager.timezone = "Asia/Tokyo"  # UTC+9: Monday 08:00 is Sunday 23:00 UTC
        uow.operatives.save(manager)
        uow.commit()
    assert queue(coach, clock, datetime(2026, 11, 15, 22, 59, tzinfo=UTC)) == 0
    assert queue(coach, clock, datetime(2026, 11, 15, 23, 0, tzinfo=UTC)) == 1
    # 20:00 in Tokyo on Monday: too late for a new one (it's already there anyway).
    assert queue(coach, clock, datetime(2026, 11, 16, 11, 0, tzinfo=UTC)) == 0


def test_planning_queues_the_digest_and_only_for_managers(
    coach: Coach, clock: FakeClock, ids: dict[str, int]
) -> None:
    ask(coach, ADMIN_ID, "/start")
    clock.set(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))
    planner = DailyPrompts(coach.uow_factory, coach.deps)
    assert planner.plan().digests == 1
    assert planner.plan().digests == 0
    with coach.uow_factory() as uow:
        assert uow.outbox.counts(Kind.DIGEST) == {Delivery.PENDING: 1}
        admin = uow.operatives.get(ADMIN_ID)
        assert admin is not None and coach.deps.role_of(admin) is Role.ADMIN
        assert uow.outbox.find(Kind.DIGEST, admin.id or 0, date(2026, 11, 16), "weekly") is None


# -- after retention (COACHBOT_RETENTION_MONTHS) ----------------------------------------

TWO_YEARS_ON = datetime(2029, 1, 10, 10, 0, tzinfo=UTC)


def test_an_old_month_reads_the_same_after_retention_with_a_note(
    coach: Coach, ids: dict[str, int], clock: FakeClock
) -> None:
    clock.set(TWO_YEARS_ON)
    summary_before, chart_before, _ = ask(coach, data.MANAGER, "/summary 2026-11")
    done = Retention(coach.uow_factory, clock, 24, "Europe/London").run()
    assert done.events > 0
    summary_after, chart_after, _ = ask(coach, data.MANAGER, "/summary 2026-11")
    assert summary_after.text.splitlines() == [
        *summary_before.text.splitlines(),
        "<i>Records from before 4 Jan 2027 have been deleted. These are the figures kept "
        "for this week or month, with no rows per person.</i>",
    ]
    assert any(
        line.startswith("Daily prompts: 34 sent") for line in summary_after.text.splitlines()
    )
    assert chart_after.image is not None and chart_before.image is not None
    assert chart_after.image.content == chart_before.image.content


def test_other_old_periods_say_to_ask_for_a_week_or_a_month(
    coach: Coach, ids: dict[str, int], clock: FakeClock
) -> None:
    clock.set(TWO_YEARS_ON)
    Retention(coach.uow_factory, clock, 24, "Europe/London").run()
    two_weeks = texts(ask(coach, data.MANAGER, f"/summary {RANGE}"))
    assert "Records from before 4 Jan 2027 are kept only as figures for each week" in two_weeks
    week = texts(ask(coach, data.MANAGER, "/summary 2026-11-09..2026-11-15"))
    assert "have been deleted. These are the figures kept" in week


def test_a_facilitators_export_of_an_old_month_has_no_rows_per_person(
    coach: Coach, ids: dict[str, int], clock: FakeClock
) -> None:
    clock.set(TWO_YEARS_ON)
    (with_people,) = ask(coach, data.FACILITATOR_A, "/export 2026-11")
    assert "a row per person" in with_people.text
    Retention(coach.uow_factory, clock, 24, "Europe/London").run()
    (summarised,) = ask(coach, data.FACILITATOR_A, "/export 2026-11")
    assert summarised.document is not None
    assert "a row per person" not in summarised.text


# -- the group picker --------------------------------------------------------------


def press(coach: Coach, user_id: int, data_: str) -> list[Reply]:
    from bot.core.messages import ButtonPress

    return coach.handle(ButtonPress(Sender(user_id, "Someone"), data_))


def test_a_picked_group_is_the_same_as_its_code_and_forged_ids_expire(
    coach: Coach, ids: dict[str, int]
) -> None:
    *_, picker = ask(coach, data.MANAGER, f"/summary {RANGE}")
    hull = next(row[0] for row in picker.buttons if row[0].label == "Hull North")
    assert hull.data == f"rep:s:{ids['cohort_a']}:20261102-20261115"
    by_button = press(coach, data.MANAGER, hull.data)
    by_code = ask(coach, data.MANAGER, f"/summary HULL1 {RANGE}")
    assert by_button[0].text == by_code[0].text
    # A facilitator can't reach another's group by forging its id: it just expires.
    leeds = f"rep:s:{ids['cohort_b']}:20261102-20261115"
    assert texts(press(coach, data.FACILITATOR_A, leeds)) == coach.text("button_expired")
    assert texts(press(coach, data.MANAGER, "rep:s:999:20261102-20261115")) == coach.text(
        "button_expired"
    )
    # Days that are no period (backwards, too long) expire too; operatives are refused.
    assert texts(press(coach, data.MANAGER, "rep:s:all:20261115-20261102")) == coach.text(
        "button_expired"
    )
    assert texts(press(coach, 1001, hull.data)) == coach.text("not_allowed")


def test_two_groups_of_the_same_name_are_told_apart_by_date(
    coach: Coach, ids: dict[str, int]
) -> None:
    from bot.core.model import Cohort

    with coach.uow_factory() as uow:
        uow.cohorts.add(
            Cohort(
                "Leeds",
                "LEEDS2",
                workshop_date=date(2026, 11, 20),
                created_by=data.FACILITATOR_B,
                created_at=data.at(20),
            )
        )
        uow.commit()
    *_, picker = ask(coach, data.MANAGER, f"/summary {RANGE}")
    assert [row[0].label for row in picker.buttons] == [
        "Leeds (20 Nov 2026)",
        "Leeds (1 Oct 2026)",
        "Hull North",
    ]
    # A facilitator with several groups picks among their own only.
    *_, own = ask(coach, data.FACILITATOR_B, f"/summary {RANGE}")
    assert [row[0].label for row in own.buttons] == ["Leeds (20 Nov 2026)", "Leeds (1 Oct 2026)"]
