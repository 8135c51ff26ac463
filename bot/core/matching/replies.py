"""How far a reply leans to a concern rather than a partial answer, by its wording.

Learnt from the replies operatives have typed and trainers have marked
(``content/replied.yaml``), across every prompt: words and word pairs that dismiss or
cut a corner ("just", "leave it", "say nowt", "not us") against those of a thin but
harmless start ("prob", "ask him", "see if"). The judge uses it only to choose between
the nearest partial and the nearest concern example, when neither ingredients nor red
flags have decided (see :meth:`bot.core.matching.matcher.Matcher.judge_by_rubric`).

    >>> replied = {"p": {"partial": ["ask him"], "concern": ["just leave it"]}}
    >>> lean = ReplyLean.fit(normaliser, replied)
    >>> lean.towards_concern("leave it") > 0
    True

Little words count here, unlike in the rubric's word overlap: "just" and "it" are
much of what tells "just clear it" from "clear it and tell him".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from bot.core.matching.naive_bayes import NaiveBayes
from bot.core.matching.normalising import Normaliser

_SIDES = ("partial", "concern")


class ReplyLean:
    """A naive Bayes model of partial against concern replies, over every prompt."""

    def __init__(self, normaliser: Normaliser, model: NaiveBayes | None) -> None:
        self.normaliser = normaliser
        self._model = model

    @classmethod
    def fit(
        cls,
        normaliser: Normaliser,
        replied: Mapping[str, Mapping[str, Iterable[str]]],
        *,
        smoothing: float = 1.0,
        max_penalty: float = 3.0,
        leave_out: frozenset[str] = frozenset(),
    ) -> ReplyLean:
        """Learn from ``replied`` (prompt -> verdict -> replies), without any reply whose
        normalised text is in ``leave_out`` (to score a part of them honestly)."""
        examples = [
            (verdict, words, 1.0)
            for by_verdict in replied.values()
            for verdict in _SIDES
            for reply in by_verdict.get(verdict, ())
            if (words := normaliser.text(reply).split()) and " ".join(words) not in leave_out
        ]
        if {verdict for verdict, _, _ in examples} != set(_SIDES):
            return cls(normaliser, None)
        model = NaiveBayes.fit(examples, smoothing=smoothing, max_penalty=max_penalty)
        return cls(normaliser, model)

    def towards_concern(self, text: str) -> float:
        """Log odds of concern over partial (0 with nothing learnt, or nothing known)."""
        if self._model is None:
            return 0.0
        words = self.normaliser.text(text).split()
        if not words:
            return 0.0
        beliefs = self._model.beliefs(words)
        return math.log(beliefs["concern"]) - math.log(beliefs["partial"])
