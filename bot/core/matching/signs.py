"""Phrase signs: does a message say one of these things, in so many words?

Used where a message must be recognised whatever the topic model thinks: urgent
safety matters (``content/urgent.yaml``) and chat that is not a question
(``content/small_talk.yaml``).

A sign is parts joined by ``+``, and every part must be somewhere in the message.
A part is a phrase, whose words must come in order (up to two small words, the
vocabulary's stopwords, may stand between them: "smell gas" matches "smell of
gas"), or ``$name``: any phrase of the group of that name. So "$water +
$electrics" matches "leak from upstairs running down onto the fuse box". Words are
compared after normalising (the vocabulary) and light stemming; a typo is read as
the word it is closest to when the caller says how (``correct``). A phrase said to be
absent does not count: "no smell", "no wires showing", "nowhere near anything
electric" (a negation just before it, small words and a few fillers between), unless
the phrase itself opens with the negation ("no answer").

    >>> signs = Signs([("gas", ["smell + gas"])], {}, normaliser)
    >>> signs.best("theres a gas smell in the hall")
    'gas'
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.core.matching.normalising import Normaliser, stem

#: How many small words may stand between two words of one phrase.
MAX_GAP = 2
#: Words that say what follows is absent, and the filler that may stand between.
_NEGATIONS = frozenset(stem(word) for word in ("no", "not", "never", "without", "none", "nowhere"))
_NEGATION_FILLER = frozenset(
    stem(word) for word in ("anything", "near", "sign", "signs", "real", "obvious", "strong")
)
#: How far back a negation still reaches.
NEGATION_REACH = 3

Label = TypeVar("Label")
Phrase = tuple[str, ...]


@dataclass(frozen=True)
class _Sign(Generic[Label]):
    label: Label
    #: Where its label was listed: of two labels' equally sure signs, the first wins.
    rank: int
    #: Each part is the set of phrases (by number) any one of which will do.
    parts: tuple[frozenset[int], ...]
    #: More words make a surer sign: it decides between two labels.
    weight: int


class Signs(Generic[Label]):
    def __init__(
        self,
        labelled: Sequence[tuple[Label, Sequence[str]]],
        groups: Mapping[str, Sequence[str]],
        normaliser: Normaliser,
        correct: Callable[[str], str] | None = None,
    ) -> None:
        self._normaliser = normaliser
        self._correct = correct
        self._small = frozenset(stem(word) for word in normaliser.vocabulary.stopwords)
        self._phrases: list[Phrase] = []
        numbers: dict[Phrase, int] = {}

        def number(text: str) -> int | None:
            phrase = tuple(self._words(text))
            if not phrase:
                return None
            if phrase not in numbers:
                numbers[phrase] = len(self._phrases)
                self._phrases.append(phrase)
            return numbers[phrase]

        grouped = {
            name: frozenset(n for text in texts if (n := number(text)) is not None)
            for name, texts in groups.items()
        }
        self._signs: list[_Sign[Label]] = []
        for rank, (label, signs) in enumerate(labelled):
            for sign in signs:
                parts: list[frozenset[int]] = []
                for text in (part.strip() for part in sign.split("+")):
                    if text.startswith("$"):
                        parts.append(grouped.get(text[1:], frozenset()))
                    else:
                        n = number(text)
                        parts.append(frozenset() if n is None else frozenset({n}))
                if parts and all(parts):
                    weight = sum(min(len(self._phrases[n]) for n in part) for part in parts)
                    self._signs.append(_Sign(label, rank, tuple(parts), weight))
        # Each phrase filed under its word that fewest phrases share ("stair" before
        # "her"): a message lacking it can't contain the phrase, and few are checked.
        sharing = Counter(word for phrase in self._phrases for word in set(phrase))
        self._by_word: dict[str, list[int]] = {}
        for n, phrase in enumerate(self._phrases):
            rarest = min(reversed(phrase), key=sharing.__getitem__)
            self._by_word.setdefault(rarest, []).append(n)
        self._sign_words = frozenset(sharing)
        self._phrase_words = [frozenset(phrase) for phrase in self._phrases]
        # Each sign filed under the phrases of its first part: only those can match.
        self._by_phrase: dict[int, list[int]] = {}
        for index, filed in enumerate(self._signs):
            for n in filed.parts[0]:
                self._by_phrase.setdefault(n, []).append(index)

    def _words(self, text: str) -> list[str]:
        return [stem(word) for word in self._normaliser.text(text).split()]

    def best(self, text: str) -> Label | None:
        """The label whose surest sign the message shows, if any."""
        shown = self.shown(text)
        # In the order listed, so that of two equally sure signs the first listed wins.
        return max(shown, key=lambda item: item[1])[0] if shown else None

    def shown(self, text: str) -> list[tuple[Label, int]]:
        """Each label the message shows a sign of, with the weight of its surest sign, in
        the order the labels were listed."""
        words = self._words(text)
        if self._correct is not None:
            # A word no sign uses may be a typo of one that does ("asbestoes").
            words = [
                word if word in self._sign_words or word in self._small else self._correct(word)
                for word in words
            ]
        at: dict[str, list[int]] = {}
        for position, word in enumerate(words):
            at.setdefault(word, []).append(position)
        present = set(at)
        matched = {
            n
            for word in present
            for n in self._by_word.get(word, ())
            if self._phrase_words[n] <= present
            and _contains(words, self._small, self._phrases[n], at[self._phrases[n][0]])
        }
        surest: dict[int, _Sign[Label]] = {}
        for index in {i for n in matched for i in self._by_phrase.get(n, ())}:
            sign = self._signs[index]
            known = surest.get(sign.rank)
            if (known is None or sign.weight > known.weight) and all(
                not part.isdisjoint(matched) for part in sign.parts[1:]
            ):
                surest[sign.rank] = sign
        return [(surest[rank].label, surest[rank].weight) for rank in sorted(surest)]


def _contains(
    words: Sequence[str], small: frozenset[str], phrase: Phrase, starts: Sequence[int]
) -> bool:
    """Whether the words of ``phrase`` appear in order, with at most MAX_GAP small words
    between each and the next ("smell gas" is in "smell of gas", not in "smell, no gas"),
    and not just after a negation ("no smell of gas"). ``starts``: where its first word
    is in ``words``."""

    def from_(position: int, index: int) -> bool:
        if index == len(phrase):
            return True
        for at in range(position, min(len(words), position + MAX_GAP + 1)):
            if words[at] == phrase[index] and from_(at + 1, index + 1):
                return True
            if words[at] not in small:
                return False
        return False

    return any(from_(at + 1, 1) and not _negated(words, small, at) for at in starts)


def _negated(words: Sequence[str], small: frozenset[str], at: int) -> bool:
    """Whether the word at ``at`` follows a negation ("no wires showing")."""
    for before in range(at - 1, max(-1, at - 1 - NEGATION_REACH), -1):
        word = words[before]
        if word in _NEGATIONS:
            return True
        if word not in small and word not in _NEGATION_FILLER:
            return False
    return False
