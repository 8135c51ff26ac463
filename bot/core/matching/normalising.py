"""Normalise phone-typed trade English before matching.

    >>> normaliser = Normaliser(Vocabulary(words={"tenent": "tenant", "cant": "can not"}))
    >>> normaliser.text("Tenent CAN'T get in!!")
    'tenant can not get in'

Spellings and slang live in ``content/vocabulary.yaml`` so they can grow without code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'"})
_NOT_WORD = re.compile(r"[^a-z0-9'/ ]+")
_NEGATIONS = frozenset({"not", "no", "never", "nothing", "nobody", "without", "dont"})


@dataclass(frozen=True)
class Vocabulary:
    words: dict[str, str] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    #: For spotting a prompt's ingredients and red flags only: a wording (one or more
    #: words) -> the family name it reads as ("phone", "give him a bell" -> "call").
    families: dict[str, str] = field(default_factory=dict)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A deliberately light stemmer: plurals and common verb endings."""
    if len(word) <= 3:
        return word
    if word.endswith(("sses", "shes", "ches", "xes", "zes")) and len(word) >= 5:
        return word[:-2]
    for suffix, replacement, minimum in (
        ("ies", "y", 5),
        ("ing", "", 6),
        ("ed", "", 5),
        ("ly", "", 6),
        ("s", "", 4),
    ):
        if word.endswith(suffix) and len(word) >= minimum and not word.endswith(("ss", "us")):
            return word[: len(word) - len(suffix)] + replacement
    return word


#: How many normalised texts a normaliser keeps (the content's own, and then some).
_REMEMBERED = 50_000


class Normaliser:
    """Lower-cases, strips punctuation and expands contractions, slang and misspellings."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        # Building the matcher normalises each content example three or four times.
        self._texts: dict[str, str] = {}
        self._terms: dict[str, tuple[str, ...]] = {}

    def text(self, raw: str) -> str:
        """The message as plain lower-case words, with the vocabulary applied."""
        found = self._texts.get(raw)
        if found is None:
            found = self._normalise(raw)
            if len(self._texts) < _REMEMBERED:
                self._texts[raw] = found
        return found

    def _normalise(self, raw: str) -> str:
        text = unicodedata.normalize("NFKC", raw).lower().translate(_APOSTROPHES)
        text = text.replace("n't", "nt").replace("'re", "re").replace("'m", "m")
        text = text.replace("'ve", "ve").replace("'ll", "ll").replace("'d", "d")
        text = _NOT_WORD.sub(" ", text).replace("'", "")
        words = self.vocabulary.words
        out = [words.get(word, word) for word in text.replace("/", " / ").split()]
        return " ".join(word for word in " ".join(out).split() if word != "/")

    def means_something(self, raw: str) -> bool:
        """Whether any word is left once filler is dropped (a negation alone says nothing).

        >>> Normaliser(Vocabulary(stopwords=frozenset({"in"}))).means_something("not in")
        False
        """
        return any(term not in _NEGATIONS for term in self.terms(raw))

    def terms(self, raw: str) -> list[str]:
        """Stemmed content words of the message, stopwords dropped; negations kept."""
        found = self._terms.get(raw)
        if found is None:
            stopwords = self.vocabulary.stopwords
            found = tuple(
                stem(word)
                for word in self.text(raw).split()
                if word in _NEGATIONS or (word not in stopwords and len(word) > 1)
            )
            if len(self._terms) < _REMEMBERED:
                self._terms[raw] = found
        return list(found)
