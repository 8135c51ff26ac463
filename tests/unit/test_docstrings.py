"""The examples in the matching modules' docstrings run, and show what they say."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import bot.core.matching
from bot.core.content.library import Library
from bot.core.matching.matcher import Matcher

MODULES = sorted(
    f"bot.core.matching.{info.name}" for info in pkgutil.iter_modules(bot.core.matching.__path__)
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run_as_shown(name: str, library: Library, matcher: Matcher) -> None:
    module = importlib.import_module(name)
    # The examples use the content as it ships, as a reader of the module would.
    names = {"library": library, "matcher": matcher, "normaliser": matcher.normaliser}
    results = doctest.testmod(module, extraglobs=names, optionflags=doctest.ELLIPSIS)
    assert results.failed == 0
