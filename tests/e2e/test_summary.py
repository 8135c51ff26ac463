"""Managers' reports end to end: real PTB Application, local Bot API server, people at
the keys. The dataset is tests/reports_dataset.py."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from telegram.ext import Application

from bot.core.model import Cohort, Role
from bot.core.router import Coach
from bot.storage.unit_of_work import SqlUnitOfWork
from tests import reports_dataset as data
from tests.fake_bot_api import FakeBotAPI, FakeUser, SentMessage

pytestmark = pytest.mark.e2e

RANGE = "2026-11-02..2026-11-15"


@pytest.fixture
def ids(coach: Coach) -> dict[str, int]:
    return data.build_with(coach)


async def test_summary_is_text_then_a_chart(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    ids: dict[str, int],
) -> None:
    manager = server.user(data.MANAGER, first_name="Morgan")
    manager.send(f"/summary {RANGE}")
    summary = await manager.wait_for("All groups", timeout=20)
    assert summary.method == "sendMessage" and summary.parse_mode == "HTML"
    assert "Daily prompts: 33 sent, 79% answered, median reply 18 min" in (summary.plain_text or "")
    chart = await manager.wait_for(lambda m: m.method == "sendPhoto", timeout=20)
    assert chart.photo is not None and chart.photo.startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.caption == "Prompts answered each week, and how strong the answers were by topic."


async def test_export_is_a_spreadsheet(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    ids: dict[str, int],
) -> None:
    manager = server.user(data.MANAGER)
    manager.send(f"/export HULL1 {RANGE}")
    sent = await manager.wait_for(lambda m: m.method == "sendDocument", timeout=20)
    # Named after the group: a file name never carries its join code.
    assert sent.filename == "doorstep-coach-hull-north-2026-11-02-to-2026-11-15.xlsx"
    assert sent.document is not None
    book = load_workbook(io.BytesIO(sent.document))
    assert book.sheetnames == ["Summary", "Weeks", "Topics"]
    summary = dict(book["Summary"].iter_rows(values_only=True))
    assert (summary["Group"], summary["Prompts sent"], summary["Prompts answered"]) == (
        "Hull North",
        30,
        23,
    )


async def test_operatives_are_refused_and_facilitators_limited(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    ids: dict[str, int],
) -> None:
    alice = server.user(1001, first_name="Alice")
    alice.send("/summary")
    await alice.wait_for("only for facilitators")
    alice.send("/export")
    await alice.wait_for("only for facilitators")
    assert [m.method for m in alice.messages()] == ["sendMessage", "sendMessage"]

    facilitator = server.user(data.FACILITATOR_A)
    facilitator.send("/summary LEEDS1")
    refused = await facilitator.wait_for("can't find a group")
    assert "LEEDS1" in (refused.plain_text or "")
    facilitator.send(f"/export {RANGE}")
    sent = await facilitator.wait_for(lambda m: m.method == "sendDocument", timeout=20)
    assert sent.document is not None
    book = load_workbook(io.BytesIO(sent.document))
    assert book.sheetnames == ["Summary", "Weeks", "Topics", "People"]
    names = [row[0] for row in book["People"].iter_rows(min_row=2, values_only=True)]
    assert names == ["'" + data.FORMULA_NAME, "Alice", "Bob", "Cara", "Dev", "Eve"]


def _everything_shown(user: FakeUser) -> list[str]:
    """Every text, caption, file name, button label and button payload sent to ``user``."""
    seen: list[str] = []
    for message in user.messages():
        seen += [message.text or "", message.filename or ""]
        seen += [part for row in message.buttons for part in (row[0].text, row[0].value)]
    return seen


def _is_document(message: SentMessage) -> bool:
    return message.method == "sendDocument"


async def test_managers_pick_groups_by_name_and_never_see_a_join_code(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    ids: dict[str, int],
) -> None:
    manager = server.user(data.MANAGER)
    manager.send("/summary 2/11 to 15/11")
    await manager.wait_for("All groups", timeout=20)
    picker = await manager.wait_for("Pick a group", timeout=20)
    assert picker.button_texts == ["Leeds", "Hull North"]
    manager.press("Hull North", picker)
    hull = await manager.wait_for("Hull North", timeout=20)
    assert (hull.plain_text or "").startswith("Hull North, 2 Nov to 15 Nov 2026")
    assert "Daily prompts: 30 sent, 77% answered" in (hull.plain_text or "")
    await manager.wait_for(lambda m: m.method == "sendPhoto", timeout=20)

    manager.send("/export 2/11 to 15/11")
    everyone = await manager.wait_for(_is_document, timeout=20)
    assert everyone.filename == "doorstep-coach-all-2026-11-02-to-2026-11-15.xlsx"
    manager.press("Hull North", await manager.wait_for("Pick a group", timeout=20))
    one = await manager.wait_for(_is_document, timeout=20)
    assert one.filename == "doorstep-coach-hull-north-2026-11-02-to-2026-11-15.xlsx"
    assert one.document is not None
    summary = dict(load_workbook(io.BytesIO(one.document))["Summary"].iter_rows(values_only=True))
    assert (summary["Group"], summary["Prompts sent"]) == ("Hull North", 30)

    shown = _everything_shown(manager)
    assert not [text for text in shown if "HULL1" in text or "LEEDS1" in text]


async def test_a_true_zero_reads_0_and_periods_read_as_people_say_them(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    ids: dict[str, int],
) -> None:
    # Today is Tuesday 1 December 2026.
    manager = server.user(data.MANAGER)
    manager.send("/summary 9/11 to 15/11")
    week = await manager.wait_for("All groups", timeout=20)
    # Nobody joined that week: 0, not "fewer than 5". One to four stay hidden.
    assert "Operatives: 9 enrolled, fewer than 5 answered at least once, 0 new" in (
        week.plain_text or ""
    )
    for typed, title in (
        ("last week", "All groups, 23 Nov to 29 Nov 2026"),
        ("this month", "All groups, Tuesday 1 Dec 2026"),
        ("december", "All groups, Tuesday 1 Dec 2026"),
        ("nov", "All groups, 1 Nov to 30 Nov 2026"),
        ("since 1/11", "All groups, 1 Nov to 1 Dec 2026"),
        ("all last week", "All groups, 23 Nov to 29 Nov 2026"),
    ):
        manager.send(f"/summary {typed}")
        answer = await manager.wait_for("All groups,", timeout=20)
        assert (answer.plain_text or "").startswith(title), typed
    manager.send("/summary last weeek")
    refused = await manager.wait_for("as a period", timeout=20)
    assert 'I can\'t read "last weeek" as a period' in (refused.plain_text or "")


def _staff_and_group(coach: Coach, members: int, joined: Any) -> None:
    """A manager, and one group ("Bristol") with ``members`` operatives joined then."""
    with coach.uow_factory() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        build = data.Builder(uow)
        build.operative(
            "manager", data.MANAGER, None, created=data.at(1, month=10), role=Role.MANAGER
        )
        bristol = uow.cohorts.add(Cohort("Bristol", "BRIS7xyz", created_at=data.at(1, month=10)))
        for number in range(members):
            build.operative(f"o{number}", 3000 + number, bristol.id, created=joined)
        uow.commit()


async def test_a_group_that_joined_this_week_is_offered_this_week(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
) -> None:
    # Trained on Monday 30 November; the default period ends on Sunday 29th.
    _staff_and_group(coach, 12, data.at(30, 10))
    manager = server.user(data.MANAGER)
    manager.send("/summary")
    empty = await manager.wait_for("All groups", timeout=20)
    assert (empty.plain_text or "").splitlines()[1] == (
        "No operatives had joined these groups by 29 Nov 2026, so there's nothing to show "
        "for this period."
    )
    offer = await manager.wait_for("Tap below for this week so far", timeout=20)
    assert offer.button_texts == ["This week so far", "Bristol"]
    manager.press("Bristol", offer)
    one = await manager.wait_for("Bristol", timeout=20)
    assert "No operatives had joined this group by 29 Nov 2026" in (one.plain_text or "")
    manager.press("This week so far", await manager.wait_for("this week so far", timeout=20))
    week = await manager.wait_for("Bristol, 30 Nov", timeout=20)
    assert (week.plain_text or "").splitlines()[1:3] == [
        "Operatives: 12 enrolled, 0 answered at least once, 12 new",
        "Paused 0 · stopped 0 · can't be reached 0",
    ]
    assert "fewer than 5" not in (week.plain_text or "")


async def test_small_groups_are_these_groups_and_their_export_keeps_its_layout(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
) -> None:
    _staff_and_group(coach, 3, data.at(1, month=10))
    manager = server.user(data.MANAGER)
    manager.send("/summary")
    everyone = await manager.wait_for("All groups", timeout=20)
    assert "These groups have fewer than 5 operatives between them" in (everyone.plain_text or "")
    picker = await manager.wait_for("Pick a group", timeout=20)
    assert picker.button_texts == ["Bristol"]  # 3 joined long ago: nothing new this week

    manager.send("/export")
    await manager.wait_for(_is_document, timeout=20)
    manager.press("Bristol", await manager.wait_for("Pick a group", timeout=20))
    sent = await manager.wait_for(_is_document, timeout=20)
    assert "fewer than 5 operatives, so every figure is held back" in (sent.caption or "")
    assert sent.document is not None
    book = load_workbook(io.BytesIO(sent.document))
    assert book.sheetnames == ["Summary", "Weeks", "Topics"]
    weeks = list(book["Weeks"].iter_rows(values_only=True))
    assert [row[0].day for row in weeks[1:]] == [2, 9, 16, 23]
    assert {cell for row in weeks[1:] for cell in row[1:]} == {"fewer than 5"}
    marked = book["Weeks"]["C3"]
    assert marked.font.italic and marked.fill.fill_type == "solid"
    notes = [row[0] for row in book["Summary"].iter_rows(values_only=True)]
    assert 'Cells reading "fewer than 5" are held back' in str(notes[-1])
