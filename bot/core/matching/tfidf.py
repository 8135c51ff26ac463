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
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"\w\w+")
#: The shortest and longest letter runs, taken within a word padded with spaces.
_RUNS = (2, 5)
#: How many words' letter runs a space remembers before it starts afresh.
_REMEMBERED_WORDS = 50_000

Featurise = Callable[[str], Counter[str]]
Ids = npt.NDArray[np.intp]
Values = npt.NDArray[np.float64]


def word_features(text: str) -> Counter[str]:
    words = _WORD.findall(text.lower())
    return Counter([*words, *(f"{a} {b}" for a, b in pairwise(words))])


def run_features(text: str) -> Counter[str]:
    return Counter(run for word in text.lower().split() for run in word_runs(word))


def word_runs(word: str) -> list[str]:
    """The letter runs of one lower-case word, padded with spaces.

    >>> word_runs("ok")
    [' o', 'ok', 'k ', ' ok', 'ok ', ' ok ']
    """
    shortest, longest = _RUNS
    padded = f" {word} "
    end = len(padded)
    return [
        padded[start : start + size]
        for size in range(shortest, min(longest, end) + 1)
        for start in range(end - size + 1)
    ]


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
    #: Each word's known letter runs, by id: most words of a message were seen before.
    _runs_of_word: dict[str, Ids] = field(default_factory=dict, repr=False, compare=False)

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
        return self._weighted(numbers, times, offset)

    def run_vector(self, text: str, offset: int = 0) -> tuple[Ids, Values]:
        """``vector(run_features(text), offset)``, for a space of letter runs, with each
        word's runs looked up once and then remembered: the same vector, several times
        quicker for a long message (most of its words were seen before)."""
        pieces = [self._known_runs(word) for word in text.lower().split()]
        if not pieces:
            return np.array([], dtype=np.intp), np.array([], dtype=np.float64)
        numbers, times = np.unique(np.concatenate(pieces), return_counts=True)
        return self._weighted(numbers, times, offset)

    def _weighted(
        self, numbers: Ids, times: npt.NDArray[np.number], offset: int
    ) -> tuple[Ids, Values]:
        """Known features and how often each occurs, as TF-IDF scaled to unit length."""
        values = (1.0 + np.log(times)) * self.idf[numbers]
        norm = float(np.sqrt(values @ values)) or 1.0
        return numbers + offset, values / norm

    def _known_runs(self, word: str) -> Ids:
        found = self._runs_of_word.get(word)
        if found is None:
            if len(self._runs_of_word) >= _REMEMBERED_WORDS:
                self._runs_of_word.clear()
            ids = self.ids
            found = np.array(
                [number for run in word_runs(word) if (number := ids.get(run, -1)) >= 0],
                dtype=np.intp,
            )
            self._runs_of_word[word] = found
        return found
