"""Messages that need action now, whatever else they are about.

A gas smell, signs of carbon monoxide, live wires, asbestos, words about ending
one's life, a child or adult at risk, domestic abuse, or someone who may have
collapsed: the coach answers these with the safety tip first, before any topic
model has its say. The signs live in ``content/urgent.yaml`` (see
:mod:`bot.core.matching.signs` for how they read).

    >>> alarm = UrgentSigns(library, normaliser)
    >>> alarm.kind_of("theres a smell of gas in the hall").id
    'gas'
"""

from __future__ import annotations

from bot.core.content.library import Library, UrgentKind
from bot.core.matching.normalising import Normaliser
from bot.core.matching.signs import Signs


class UrgentSigns:
    def __init__(self, library: Library, normaliser: Normaliser) -> None:
        self._signs = Signs(
            [(kind, kind.signs) for kind in library.urgent], library.urgent_groups, normaliser
        )

    def kind_of(self, text: str) -> UrgentKind | None:
        """The kind of emergency the message shows the surest sign of, if any."""
        return self._signs.best(text)
