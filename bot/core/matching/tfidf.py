"""TF-IDF features of a text: words and word pairs, or letter runs.

Letter runs (``char n-grams``: "boi", "oile", "iler") let "boilr", "boiler's" and
"combi boiler" share most of their features, so typos, slang and dialect still land
near the content's own wording; word pairs keep "no access" apart from "access".

    >>> space, rows = Space.learn(["running late", "cant do that"], word_features)
    >>> ids, values = space.vector(word_features("running late again"))
    >>> len(ids)
    3
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"\w\w+")
#: The shortest and longest letter runs, taken within a word padded with spaces.
_RUNS = (2, 5)

Featurise = Callable[[str], Counter[str]]
Ids = npt.NDArray[np.intp]
Values = npt.NDArray[np.float64]


def word_features(text: str) -> Counter[str]:
    words = _WORD.findall(text.lower())
    return Counter([*words, *(f"{a} {b}" for a, b in pairwise(words))])


def run_features(text: str) -> Counter[str]:
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
class Rows:
    """The training texts as TF-IDF vectors, scaled to unit length: entry ``n`` is
    ``values[n]`` of feature ``features[n]`` in text ``documents[n]``."""

    documents: Ids
    features: Ids
    values: Values


@dataclass(frozen=True)
class Space:
    """One family of features (words, or letter runs): their ids and idf."""

    ids: dict[str, int]
    idf: Values

    @classmethod
    def learn(cls, texts: Sequence[str], featurise: Featurise) -> tuple[Space, Rows]:
        """The features ``texts`` hold, and the texts as vectors in them."""
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
        values = values / np.where(norms > 0, norms, 1.0)[document]
        return cls(ids, idf), Rows(document, feature, values)

    def vector(self, counts: Counter[str], offset: int = 0) -> tuple[Ids, Values]:
        """TF-IDF (log term frequency), scaled to unit length, as feature ids and values;
        features it never learnt are left out."""
        ids = self.ids
        numbers = np.array([ids.get(feature, -1) for feature in counts], dtype=np.intp)
        known = numbers >= 0
        numbers = numbers[known]
        times = np.array(list(counts.values()), dtype=np.float64)[known]
        values = (1.0 + np.log(times)) * self.idf[numbers]
        norm = float(np.sqrt(values @ values)) or 1.0
        return numbers + offset, values / norm
