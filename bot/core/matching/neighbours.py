"""Nearest phrasings: TF-IDF cosine similarity over labelled example phrasings.

Every tip question, topic keyword and scenario is a phrasing labelled with
its topic (and its tip, if it has one). A message's nearest phrasings vote for
their topic, weighted by similarity.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from bot.core.matching.naive_bayes import features


@dataclass(frozen=True)
class Phrasing:
    topic: str
    tip: str | None
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Neighbour:
    phrasing: Phrasing
    similarity: float


#: The most words and word pairs of a message a search goes by.
MOST_TERMS = 40


class PhraseIndex:
    def __init__(self, phrasings: Iterable[Phrasing], pair_weight: float = 1.0) -> None:
        self.phrasings = [p for p in phrasings if p.terms]
        self.pair_weight = pair_weight
        document_frequency: Counter[str] = Counter()
        for phrasing in self.phrasings:
            document_frequency.update(set(features(phrasing.terms)))
        total = len(self.phrasings)
        self._idf = {term: math.log(total / count) for term, count in document_frequency.items()}
        self._unknown_idf = math.log(total + 1)
        postings: defaultdict[str, list[tuple[int, float]]] = defaultdict(list)
        for number, phrasing in enumerate(self.phrasings):
            for term, value in self._vector(phrasing.terms).items():
                postings[term].append((number, value))
        # Arrays per term, so a search is one vectorised sum rather than a Python loop
        # over every phrasing that shares a word with the message.
        self._postings: dict[str, tuple[npt.NDArray[np.intp], npt.NDArray[np.float64]]] = {
            term: (
                np.array([number for number, _ in entries], dtype=np.intp),
                np.array([value for _, value in entries], dtype=np.float64),
            )
            for term, entries in postings.items()
        }

    def idf(self, term: str) -> float:
        """How telling a word is: rare words count more; unknown words count most."""
        return self._idf.get(term, self._unknown_idf)

    def _vector(self, terms: Sequence[str]) -> dict[str, float]:
        counts = Counter(features(terms))
        vector = {
            term: (1 + math.log(count)) * self._idf[term] * (self.pair_weight if " " in term else 1)
            for term, count in counts.items()
            if term in self._idf
        }
        norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
        return {term: value / norm for term, value in vector.items()}

    def nearest(self, terms: Sequence[str], k: int) -> list[Neighbour]:
        """The ``k`` most similar phrasings, most similar first (ties: first listed first)."""
        vector = self._vector(terms)
        if not vector:
            return []
        if len(vector) > MOST_TERMS:
            # A long message's commonest words weigh least and are in the most phrasings:
            # searching by its most telling words finds the same neighbours, far quicker.
            vector = dict(sorted(vector.items(), key=lambda item: -item[1])[:MOST_TERMS])
        postings = [(self._postings[term], value) for term, value in vector.items()]
        numbers = np.concatenate([phrasing_numbers for (phrasing_numbers, _), _ in postings])
        weights = np.concatenate([values * value for (_, values), value in postings])
        scores = np.bincount(numbers, weights=weights, minlength=len(self.phrasings))
        # Scores are never negative; a boolean mask finds the non-zero ones five times
        # quicker than searching the floats themselves.
        candidates = np.flatnonzero(scores > 0)
        found = scores[candidates]
        if len(candidates) > k:
            # Everything tied with the k-th best stays in, so ties break the same way always.
            kept = found >= np.partition(found, len(found) - k)[len(found) - k]
            candidates, found = candidates[kept], found[kept]
        order = np.lexsort((candidates, -found))[:k]
        return [
            Neighbour(self.phrasings[number], float(scores[number])) for number in candidates[order]
        ]
