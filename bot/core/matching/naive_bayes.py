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
from dataclasses import dataclass
from itertools import pairwise


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

    def beliefs(self, terms: Sequence[str]) -> dict[str, float]:
        """The posterior over labels (uniform prior) for these terms."""
        totals = [0.0] * len(self.labels)
        for feature in features(terms):
            row = self.log_probability.get(feature)
            if row is None:
                continue
            weight = self.pair_weight if " " in feature else 1.0
            peak_value = max(row)
            for i, value in enumerate(row):
                penalty = self.penalties[i] if self.penalties else self.max_penalty
                totals[i] += weight * max(value, peak_value - penalty)
        peak = max(totals)
        exps = [math.exp(value - peak) for value in totals]
        norm = sum(exps)
        return {label: e / norm for label, e in zip(self.labels, exps, strict=True)}
