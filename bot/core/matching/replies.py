"""How the wording of a reply leans: to a concern or a partial answer, to a strong or a
partial one.

Learnt from the replies operatives have typed and trainers have marked
(``content/replied.yaml``), across every prompt: words and word pairs that dismiss or
cut a corner ("just", "leave it", "say nowt", "not us") against those of a thin but
harmless start ("prob", "ask him", "see if"); and the full, careful wording of strong
answers ("explain", "so he knows", "and then") against the thin one of partial ones.
The judge uses it only where ingredients and red flags leave the verdict open: to
choose between the nearest partial and the nearest concern example
(:meth:`bot.core.matching.matcher.Matcher.judge_by_rubric`), and to take a reply that
has some of the ingredients, and no act-now step missing, as strong when it is worded
very like the strong answers (:mod:`bot.core.matching.judging`).

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

#: The pairs of verdicts the wording tells apart: (towards, against).
_CONCERN = ("concern", "partial")
_STRONG = ("strong", "partial")


class ReplyLean:
    """Naive Bayes models of concern against partial replies, and strong against
    partial ones, over every prompt."""

    def __init__(
        self, normaliser: Normaliser, models: Mapping[tuple[str, str], NaiveBayes]
    ) -> None:
        self.normaliser = normaliser
        self._models = dict(models)

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
            (verdict, words)
            for by_verdict in replied.values()
            for verdict, replies in by_verdict.items()
            for reply in replies
            if (words := normaliser.text(reply).split()) and " ".join(words) not in leave_out
        ]
        models: dict[tuple[str, str], NaiveBayes] = {}
        for pair in (_CONCERN, _STRONG):
            chosen = [(verdict, words, 1.0) for verdict, words in examples if verdict in pair]
            if {verdict for verdict, _, _ in chosen} == set(pair):
                models[pair] = NaiveBayes.fit(chosen, smoothing=smoothing, max_penalty=max_penalty)
        return cls(normaliser, models)

    def towards_concern(self, text: str) -> float:
        """Log odds of concern over partial (0 with nothing learnt, or nothing known)."""
        return self._log_odds(_CONCERN, text)

    def towards_strong(self, text: str) -> float:
        """Log odds of strong over partial (0 with nothing learnt, or nothing known)."""
        return self._log_odds(_STRONG, text)

    def _log_odds(self, pair: tuple[str, str], text: str) -> float:
        model = self._models.get(pair)
        words = self.normaliser.text(text).split()
        if model is None or not words:
            return 0.0
        beliefs = model.beliefs(words)
        towards, against = pair
        return math.log(beliefs[towards]) - math.log(beliefs[against])
