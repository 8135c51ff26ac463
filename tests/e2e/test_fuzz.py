"""A few hundred random updates from many users through the real Application: every
private text and every press answered, no Bot API 400, no handler error.

The full form, 10,000 updates, is `python -m bench fuzz`."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import get_args

import pytest

from bot.core.router import Coach
from tests.conftest import ADMIN_ID
from tests.fake_bot_api import FakeBotAPI
from tests.fuzzing import ErrorLog, Fuzz, Kind, LiveBot, run

pytestmark = pytest.mark.e2e

UPDATES = 300
KINDS = get_args(Kind)


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


def test_random_updates_from_many_users_are_all_answered_without_errors(
    server: FakeBotAPI, coach: Coach, errors: ErrorLog
) -> None:
    with LiveBot(coach, server) as bot:
        fuzz = Fuzz(
            coach,
            server,
            bot,
            errors,
            people=30,
            first_id=6_100_000,
            admin_id=ADMIN_ID,
        )
        tally = run(fuzz, UPDATES)
    assert tally.updates >= UPDATES
    # Which kinds come up, and how often, is hypothesis's choice; texts and presses always do.
    assert set(tally.kinds) <= set(KINDS)
    assert tally.texts > 0 and tally.presses > 0, tally.kinds
    assert tally.misses == [], f"{tally.answered_percent:.1f}% answered"
    assert tally.refusal_causes == []
    assert tally.handler_errors == []
