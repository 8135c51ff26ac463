"""The built matcher kept on disk: loaded when the content, landlord and code are the
same, built afresh when anything changes or the cache can't be used."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.core.content.library import DEFAULT_LANDLORD, Library
from bot.core.matching.matcher import Matcher
from bot.matcher_cache import KEPT, cached_matcher
from tests.conftest import CONTENT


class Builds:
    """Stands in for ``Matcher``: counts builds, and gives what it is told to."""

    def __init__(self, result: Callable[[Library], object] = lambda _: "built") -> None:
        self.count = 0
        self._result = result

    def __call__(self, library: Library) -> object:
        self.count += 1
        return self._result(library)


@pytest.fixture
def content(tmp_path: Path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(CONTENT, copy)
    return copy


def test_a_matcher_built_once_is_loaded_next_time_and_answers_the_same(
    library: Library, matcher: Matcher, tmp_path: Path
) -> None:
    builds = Builds(lambda _: matcher)
    cache = tmp_path / "cache"
    cached_matcher(library, CONTENT, DEFAULT_LANDLORD, cache, builds)
    loaded = cached_matcher(library, CONTENT, DEFAULT_LANDLORD, cache, builds)
    assert builds.count == 1
    assert loaded is not matcher  # read from disk
    for text in ("tenent kicking off about the wait", "i can smell gas in the hall", "cheers"):
        assert loaded.route(text) == matcher.route(text)
    prompt = library.prompts["appt-running-late"]
    reply = "pull over and ring her, tell her half 12"
    assert loaded.judge(prompt, reply) == matcher.judge(prompt, reply)


def test_changed_content_or_landlord_is_built_afresh(
    library: Library, content: Path, tmp_path: Path
) -> None:
    builds, cache = Builds(), tmp_path / "cache"
    cached_matcher(library, content, DEFAULT_LANDLORD, cache, builds)
    cached_matcher(library, content, DEFAULT_LANDLORD, cache, builds)
    assert builds.count == 1
    cached_matcher(library, content, "Riverside Homes", cache, builds)
    assert builds.count == 2
    small_talk = content / "small_talk.yaml"
    small_talk.write_text(small_talk.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    cached_matcher(library, content, DEFAULT_LANDLORD, cache, builds)
    assert builds.count == 3


def test_a_damaged_file_is_built_again_and_said_in_one_line(
    library: Library, content: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    builds, cache = Builds(), tmp_path / "cache"
    cached_matcher(library, content, DEFAULT_LANDLORD, cache, builds)
    (kept,) = cache.glob("matcher-*")
    kept.write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING):
        assert cached_matcher(library, content, DEFAULT_LANDLORD, cache, builds) == "built"
    assert builds.count == 2
    assert [record.getMessage() for record in caplog.records] == [
        f"The cached matcher {kept.name} could not be read (UnpicklingError); building it again."
    ]
    assert cached_matcher(library, content, DEFAULT_LANDLORD, cache, builds) == "built"
    assert builds.count == 2  # the damaged file was replaced


def test_a_cache_that_cant_be_written_still_gives_a_matcher(
    library: Library, content: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    builds = Builds()
    with caplog.at_level(logging.WARNING):
        built = cached_matcher(library, content, DEFAULT_LANDLORD, blocker / "cache", builds)
    assert built == "built" and builds.count == 1
    assert [record.getMessage() for record in caplog.records] == [
        f"The matcher cache in {blocker / 'cache'} can't be used (Not a directory); "
        "building without it."
    ]


def test_no_cache_folder_builds_every_time(library: Library, content: Path) -> None:
    builds = Builds()
    cached_matcher(library, content, DEFAULT_LANDLORD, None, builds)
    cached_matcher(library, content, DEFAULT_LANDLORD, None, builds)
    assert builds.count == 2


def test_only_the_most_recently_used_are_kept(
    library: Library, content: Path, tmp_path: Path
) -> None:
    builds, cache = Builds(), tmp_path / "cache"
    landlords = [f"Landlord {number}" for number in range(KEPT + 2)]
    for landlord in landlords:
        cached_matcher(library, content, landlord, cache, builds)
    assert len(list(cache.glob("matcher-*"))) == KEPT
    # The newest are kept: building them again is not needed.
    for landlord in landlords[-KEPT:]:
        cached_matcher(library, content, landlord, cache, builds)
    assert builds.count == len(landlords)
