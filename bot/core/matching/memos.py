"""Per-instance memo caches that a pickle leaves out and loading makes afresh.

A matcher memoises some lookups per instance (typo corrections, beliefs), with
``functools.lru_cache`` wrappers made when it is built. Those wrappers can't be
pickled, and a cache of one process is no use to the next, so a built matcher kept
on disk (:mod:`bot.matcher_cache`) is stored without them.

    >>> class Squares(Memoised):
    ...     MEMOS = (("square", "_square_uncached", 16),)
    ...     def __init__(self) -> None:
    ...         self.memoise()
    ...     def _square_uncached(self, n: int) -> int:
    ...         return n * n
    >>> squares = Squares()
    >>> squares.square(7)
    49
    >>> "square" in squares.__getstate__()  # what a pickle holds
    False
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, ClassVar


class Memoised:
    """Mix in, name the memos in ``MEMOS`` (attribute, method, most entries), and call
    :meth:`memoise` in ``__init__`` before the first of them is used."""

    MEMOS: ClassVar[tuple[tuple[str, str, int], ...]] = ()

    def memoise(self) -> None:
        for attribute, method, most in self.MEMOS:
            setattr(self, attribute, lru_cache(maxsize=most)(getattr(self, method)))

    def __getstate__(self) -> dict[str, Any]:
        memos = {attribute for attribute, _, _ in self.MEMOS}
        return {key: value for key, value in self.__dict__.items() if key not in memos}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.memoise()
