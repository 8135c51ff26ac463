"""Complement naive Bayes over words, word pairs and letter runs
(:mod:`bot.core.matching.tfidf`).

Complement naive Bayes (Rennie et al., 2003) learns each label from every *other*
label's examples, which keeps it steady when labels have very different numbers of
examples, and it fits in one pass over the counts.

    >>> model = ComplementModel.fit([("late", "running late", 1.0), ("no", "cant do that", 1.0)])
    >>> model.best("sorry im running a bit late")
    'late'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from bot.core.matching.tfidf import Rows, Space, run_features, word_features


class ComplementModel:
    """Labels texts; build with :meth:`fit`, ask with :meth:`scores` or :meth:`best`."""

    def __init__(
        self, labels: Sequence[str], spaces: tuple[Space, Space], weights: npt.NDArray[np.float64]
    ) -> None:
        self.labels = tuple(labels)
        self._spaces = spaces
        #: One row per feature, one column per label.
        self._weights = weights

    @classmethod
    def fit(
        cls,
        examples: Iterable[tuple[str, str, float]],
        smoothing: float = 1.0,
        words: tuple[Space, Rows] | None = None,
    ) -> ComplementModel:
        """Learn from ``(label, text, weight)`` triples; ``words``, the texts' word
        features if already learnt (``Space.learn(texts, word_features)``), saves
        learning them again."""
        rows = list(examples)
        labels = sorted({label for label, _, _ in rows})
        column = {label: number for number, label in enumerate(labels)}
        label_of = np.array([column[label] for label, _, _ in rows], dtype=np.intp)
        weight_of = np.array([weight for _, _, weight in rows])
        texts = [text for _, text, _ in rows]
        word_space, word_rows = words or Space.learn(texts, word_features)
        run_space, run_rows = Space.learn(texts, run_features)
        counts = np.vstack(
            [
                _totals(word_space, word_rows, label_of, weight_of, len(labels)),
                _totals(run_space, run_rows, label_of, weight_of, len(labels)),
            ]
        )
        complement = counts.sum(axis=1, keepdims=True) - counts + smoothing
        weights = -np.log(complement / complement.sum(axis=0, keepdims=True))
        return cls(labels, (word_space, run_space), weights)

    def scores(self, text: str) -> dict[str, float]:
        """Each label's score for ``text``: higher is likelier; only differences matter."""
        offset = len(self._spaces[0].ids)
        word_ids, word_values = self._spaces[0].vector(word_features(text))
        run_ids, run_values = self._spaces[1].run_vector(text, offset)
        totals = word_values @ self._weights[word_ids] + run_values @ self._weights[run_ids]
        return dict(zip(self.labels, totals.tolist(), strict=True))

    def best(self, text: str) -> str:
        scores = self.scores(text)
        return max(scores, key=scores.__getitem__)


def _totals(
    space: Space,
    rows: Rows,
    label_of: npt.NDArray[np.intp],
    weight_of: npt.NDArray[np.float64],
    labels: int,
) -> npt.NDArray[np.float64]:
    """Each feature's weighted TF-IDF total by label (a row per feature)."""
    totals: npt.NDArray[np.float64] = np.bincount(
        rows.features * labels + label_of[rows.documents],
        weights=rows.values * weight_of[rows.documents],
        minlength=len(space.ids) * labels,
    ).astype(np.float64)
    return totals.reshape(len(space.ids), labels)
