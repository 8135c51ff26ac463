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

from bot.core.naive_bayes import features


@dataclass(frozen=True)
class Phrasing:
    topic: str
    tip: str | None
    terms: tuple[str, ...]


@dataclass(frozen=True)
class Neighbour:
    phrasing: Phrasing
    similarity: float


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
        self._postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for number, phrasing in enumerate(self.phrasings):
            for term, value in self._vector(phrasing.terms).items():
                self._postings[term].append((number, value))

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
        """The ``k`` most similar phrasings, most similar first."""
        scores: defaultdict[int, float] = defaultdict(float)
        for term, value in self._vector(terms).items():
            for number, other in self._postings[term]:
                scores[number] += value * other
        best = sorted(scores.items(), key=lambda item: item[1], reverse=True)[:k]
        return [Neighbour(self.phrasings[number], score) for number, score in best]
