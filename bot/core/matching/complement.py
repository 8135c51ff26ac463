"""Complement naive Bayes over words, word pairs and letter runs.

Letter runs (``char n-grams``: "boi", "oile", "iler") let "boilr", "boiler's" and
"combi boiler" share most of their features, so typos, slang and dialect still land
near the content's own wording; word pairs keep "no access" apart from "access".
Complement naive Bayes (Rennie et al., 2003) learns each label from every *other*
label's examples, which keeps it steady when labels have very different numbers of
examples, and it fits in one pass over the counts.

    >>> model = ComplementModel.fit([("late", "running late", 1.0), ("no", "cant do that", 1.0)])
    >>> model.best("sorry im running a bit late")
    'late'
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"\w\w+")
#: The shortest and longest letter runs, taken within a word padded with spaces.
_RUNS = (2, 5)


def _word_features(text: str) -> Counter[str]:
    words = _WORD.findall(text.lower())
    return Counter([*words, *(f"{a} {b}" for a, b in pairwise(words))])


def _run_features(text: str) -> Counter[str]:
    shortest, longest = _RUNS
    runs: list[str] = []
    for word in text.lower().split():
        padded = f" {word} "
        end = len(padded)
        runs += [
            padded[start : start + size]
            for size in range(shortest, min(longest, end) + 1)
            for start in range(end - size + 1)
        ]
    return Counter(runs)


@dataclass(frozen=True)
class _Space:
    """One family of features (words, or letter runs): their ids and idf."""

    ids: dict[str, int]
    idf: npt.NDArray[np.float64]

    def vector(
        self, counts: Counter[str], offset: int
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]:
        """TF-IDF (log term frequency), scaled to unit length, as feature ids and values;
        features it never learnt are left out."""
        numbers = np.fromiter((self.ids.get(f, -1) for f in counts), np.intp, len(counts))
        known = numbers >= 0
        numbers = numbers[known]
        times = np.fromiter(counts.values(), np.float64, len(counts))[known]
        values = (1.0 + np.log(times)) * self.idf[numbers]
        norm = float(np.sqrt(values @ values)) or 1.0
        return numbers + offset, values / norm


class ComplementModel:
    """Labels texts; build with :meth:`fit`, ask with :meth:`scores` or :meth:`best`."""

    def __init__(
        self, labels: Sequence[str], spaces: tuple[_Space, _Space], weights: npt.NDArray[np.float64]
    ) -> None:
        self.labels = tuple(labels)
        self._spaces = spaces
        #: One row per feature, one column per label.
        self._weights = weights

    @classmethod
    def fit(
        cls, examples: Iterable[tuple[str, str, float]], smoothing: float = 1.0
    ) -> ComplementModel:
        """Learn from ``(label, text, weight)`` triples."""
        rows = list(examples)
        labels = sorted({label for label, _, _ in rows})
        column = {label: number for number, label in enumerate(labels)}
        label_of = np.array([column[label] for label, _, _ in rows], dtype=np.intp)
        weight_of = np.array([weight for _, _, weight in rows])
        texts = [text for _, text, _ in rows]
        words, word_counts = _space(texts, _word_features, label_of, weight_of, len(labels))
        runs, run_counts = _space(texts, _run_features, label_of, weight_of, len(labels))
        counts = np.vstack([word_counts, run_counts])
        complement = counts.sum(axis=1, keepdims=True) - counts + smoothing
        weights = -np.log(complement / complement.sum(axis=0, keepdims=True))
        return cls(labels, (words, runs), weights)

    def scores(self, text: str) -> dict[str, float]:
        """Each label's score for ``text``: higher is likelier; only differences matter."""
        offset = len(self._spaces[0].ids)
        word_ids, word_values = self._spaces[0].vector(_word_features(text), 0)
        run_ids, run_values = self._spaces[1].vector(_run_features(text), offset)
        totals = word_values @ self._weights[word_ids] + run_values @ self._weights[run_ids]
        return dict(zip(self.labels, totals.tolist(), strict=True))

    def best(self, text: str) -> str:
        scores = self.scores(text)
        return max(scores, key=scores.__getitem__)


def _space(
    texts: Sequence[str],
    featurise: Callable[[str], Counter[str]],
    label_of: npt.NDArray[np.intp],
    weight_of: npt.NDArray[np.float64],
    labels: int,
) -> tuple[_Space, npt.NDArray[np.float64]]:
    """One family of features learnt from ``texts``, and each feature's weighted TF-IDF
    total by label (a row per feature), computed as :meth:`_Space.vector` would."""
    ids: dict[str, int] = {}
    documents: list[int] = []
    features: list[int] = []
    counts: list[int] = []
    for number, text in enumerate(texts):
        found = featurise(text)
        documents.extend([number] * len(found))
        features.extend([ids.setdefault(feature, len(ids)) for feature in found])
        counts.extend(found.values())
    document = np.array(documents, dtype=np.intp)
    feature = np.array(features, dtype=np.intp)
    frequency = np.bincount(feature, minlength=len(ids))
    idf = np.log((1 + len(texts)) / (1 + frequency)) + 1.0
    values = (1.0 + np.log(np.array(counts, dtype=np.float64))) * idf[feature]
    norms = np.sqrt(np.bincount(document, weights=values * values, minlength=len(texts)))
    values = values / np.where(norms > 0, norms, 1.0)[document] * weight_of[document]
    totals: npt.NDArray[np.float64] = np.bincount(
        feature * labels + label_of[document], weights=values, minlength=len(ids) * labels
    ).astype(np.float64)
    return _Space(ids, idf), totals.reshape(len(ids), labels)
