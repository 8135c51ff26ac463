"""Managers' reports end to end: real PTB Application, local Bot API server, people at
the keys. The dataset is tests/reports_dataset.py."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from telegram.ext import Application

from bot.core.coach import Coach
from tests import reports_dataset as data
from tests.fake_bot_api import FakeBotAPI

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
    assert sent.filename == "doorstep-coach-HULL1-2026-11-02-to-2026-11-15.xlsx"
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
