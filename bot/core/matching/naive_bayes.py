"""A small multinomial naive Bayes text classifier over words and word pairs.

    >>> model = NaiveBayes.fit([("late", ["running", "late"], 1), ("mould", ["mould"], 1)])
    >>> max(model.beliefs(["late"]).items(), key=lambda kv: kv[1])[0]
    'late'

Unseen words cost a label only a bounded amount (``max_penalty``), so one
stray word can't outweigh a telling one.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import numpy.typing as npt


def features(terms: Sequence[str]) -> list[str]:
    """Words and adjacent word pairs: "running late" says more than "running" and "late"."""
    return [*terms, *(f"{a} {b}" for a, b in pairwise(terms))]


@dataclass(frozen=True)
class NaiveBayes:
    labels: tuple[str, ...]
    #: log P(feature | label), one value per label, for every feature seen in training.
    log_probability: dict[str, tuple[float, ...]]
    max_penalty: float
    pair_weight: float
    #: The most an unseen feature costs each label (in ``labels`` order), where it
    #: differs from ``max_penalty``: a model leaning to one label forgives it more.
    penalties: tuple[float, ...] | None = None
    _rows: dict[str, int] = field(init=False, repr=False, compare=False)
    _scores: npt.NDArray[np.float64] = field(init=False, repr=False, compare=False)

    @classmethod
    def fit(
        cls,
        examples: Iterable[tuple[str, Sequence[str], float]],
        *,
        smoothing: float = 0.5,
        max_penalty: float = 3.0,
        pair_weight: float = 1.0,
        penalties: dict[str, float] | None = None,
    ) -> NaiveBayes:
        """Learn from (label, terms, weight) examples."""
        counts: dict[str, defaultdict[str, float]] = {}
        for label, terms, weight in examples:
            table = counts.setdefault(label, defaultdict(float))
            for feature in features(terms):
                table[feature] += weight
        labels = tuple(sorted(counts))
        vocabulary = {feature for table in counts.values() for feature in table}
        denominators = [
            sum(counts[label].values()) + smoothing * len(vocabulary) for label in labels
        ]
        log_probability = {
            feature: tuple(
                math.log((counts[label].get(feature, 0.0) + smoothing) / denominator)
                for label, denominator in zip(labels, denominators, strict=True)
            )
            for feature in vocabulary
        }
        per_label = (
            tuple(penalties.get(label, max_penalty) for label in labels) if penalties else None
        )
        return cls(labels, log_probability, max_penalty, pair_weight, per_label)

    def knows(self, term: str) -> bool:
        return term in self.log_probability

    def __post_init__(self) -> None:
        # What each feature adds to each label's score, worked out once: its log
        # probability, no lower than its best label's less the penalty, a word pair's
        # times ``pair_weight``. A long message then costs one sum of rows.
        penalties = np.array(self.penalties or [self.max_penalty] * len(self.labels))
        rows = np.array(list(self.log_probability.values()), dtype=np.float64).reshape(
            len(self.log_probability), len(self.labels)
        )
        floored = np.maximum(rows, rows.max(axis=1, keepdims=True) - penalties)
        pairs = np.array([" " in feature for feature in self.log_probability])
        floored[pairs] *= self.pair_weight
        object.__setattr__(self, "_rows", {f: n for n, f in enumerate(self.log_probability)})
        object.__setattr__(self, "_scores", floored)

    def beliefs(self, terms: Sequence[str]) -> dict[str, float]:
        """The posterior over labels (uniform prior) for these terms."""
        rows = self._rows
        known = [n for feature in features(terms) if (n := rows.get(feature)) is not None]
        totals = self._scores[known].sum(axis=0)
        exps = np.exp(totals - totals.max())
        shares: list[float] = (exps / exps.sum()).tolist()
        return dict(zip(self.labels, shares, strict=True))
