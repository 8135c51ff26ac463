"""The router is built once, when first needed, however many threads ask at once."""

from __future__ import annotations

import threading
import time

import pytest

import bot.core.deps
from bot.core.content.library import Library
from bot.core.deps import Deps
from tests.support import FakeClock


def test_threads_that_ask_for_the_router_at_once_share_one_build(
    library: Library, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[object] = []

    class SlowMatcher:
        def __init__(self, library: Library) -> None:
            time.sleep(0.2)  # long enough for every thread to be waiting
            built.append(self)

    monkeypatch.setattr(bot.core.deps, "Matcher", SlowMatcher)
    deps = Deps(library, clock)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(deps.matcher)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1
    assert got == built * 4
