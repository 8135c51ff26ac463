"""The built matcher, kept on disk so that a restart answers in seconds.

Building the matcher (:class:`bot.core.matching.matcher.Matcher`) trains its models on
the content: about 20 seconds on a small machine, during which a restarted bot answers
nobody. What it builds depends only on the content files, the landlord's name and the
matching code, so it is kept in ``COACHBOT_CACHE_DIR`` under a name made from those
(a digest) and loaded from there the next time, by this process or another replica on
the same machine. Changed content or code makes a new name, so a stale matcher is never
loaded; the three most recently used are kept.

    >>> matcher = cached_matcher(  # doctest: +SKIP
    ...     library, Path("content"), "the housing association", Path("~/.cache/coach"), Matcher
    ... )

The files are pickles, which run code when loaded: the directory must be writable only
by the bot's own user (the default, under its home, is). Anything that goes wrong with
the cache (a directory that can't be written, a damaged file) is logged in one line
and the matcher is built as if there were no cache.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import pickle
import platform
import tempfile
from collections.abc import Callable, Iterator
from importlib.metadata import version
from pathlib import Path
from typing import TypeVar, cast

from bot.core.content.library import Library
from bot.core.matching.matcher import Matcher
from bot.settings import Settings

logger = logging.getLogger(__name__)

#: How many built matchers a cache directory keeps (the most recently used).
KEPT = 3
_PREFIX = "matcher-"
_SUFFIX = ".pickle"
#: The code that loads and matches content (content/ and matching/ in it).
_CORE = Path(__file__).resolve().parent / "core"

Built = TypeVar("Built")


def cached_matcher(
    library: Library,
    content_dir: Path,
    landlord_name: str,
    cache_dir: Path | None,
    build: Callable[[Library], Built],
) -> Built:
    """``build(library)``, loaded from ``cache_dir`` if it was built there before for the
    same content, landlord name and code; else built and saved there. ``None`` builds
    without a cache. Processes sharing a directory build it once: the others wait."""
    if cache_dir is None:
        return build(library)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        path = cache_dir / f"{_PREFIX}{_digest(content_dir, landlord_name)}{_SUFFIX}"
        built = _load(path, report=False)
        if built is None:
            with _locked(cache_dir):
                built = _load(path, report=True)  # another may have built it meanwhile
                if built is None:
                    built = build(library)
                    _save(built, path)
                    _prune(cache_dir)
        return cast(Built, built)
    except OSError as error:
        logger.warning(
            "The matcher cache in %s can't be used (%s); building without it.",
            cache_dir,
            error.strerror or type(error).__name__,
        )
        return build(library)


def settings_matcher(library: Library, settings: Settings) -> Matcher:
    """The content's matcher, cached as the settings say (``COACHBOT_CACHE_DIR``)."""
    return cached_matcher(
        library,
        settings.coachbot_content_dir,
        settings.coachbot_landlord_name,
        settings.coachbot_cache_dir,
        Matcher,
    )


def _digest(content_dir: Path, landlord_name: str) -> str:
    """A name for what the matcher is built from: every content file, the landlord's
    name, the code that loads and matches content, and the versions that code runs on."""
    digest = hashlib.sha256()
    for label, value in (
        ("python", platform.python_version()),
        ("numpy", version("numpy")),
        ("rapidfuzz", version("rapidfuzz")),
        ("landlord", landlord_name),
    ):
        digest.update(f"{label}={value}\n".encode())
    for root in (content_dir, _CORE / "content", _CORE / "matching"):
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".yaml", ".yml", ".py"}:
                digest.update(f"{path.relative_to(root)}\n".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:32]


@contextlib.contextmanager
def _locked(cache_dir: Path) -> Iterator[None]:
    """Held while one process builds; the lock goes if the process dies. Loading needs
    none: a file is only ever replaced whole."""
    with open(cache_dir / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _load(path: Path, *, report: bool) -> object | None:
    """The matcher kept at ``path``, or None; ``report`` says in the log why not."""
    if not path.exists():
        return None
    try:
        with path.open("rb") as file:
            built: object = pickle.load(file)
    except Exception as error:  # a damaged or foreign file: build afresh, over it
        if not report:
            return None
        logger.warning(
            "The cached matcher %s could not be read (%s); building it again.",
            path.name,
            type(error).__name__,
        )
        return None
    os.utime(path)  # most recently used
    return built


def _save(built: object, path: Path) -> None:
    """Written whole or not at all: a reader never sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".building-")
    try:
        with os.fdopen(handle, "wb") as file:
            pickle.dump(built, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _prune(cache_dir: Path) -> None:
    kept = sorted(cache_dir.glob(f"{_PREFIX}*{_SUFFIX}"), key=lambda path: path.stat().st_mtime)
    for stale in kept[:-KEPT]:
        stale.unlink(missing_ok=True)
