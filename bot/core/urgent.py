"""Messages that need action now, whatever else they are about.

A gas smell, signs of carbon monoxide, live wires, asbestos, words about ending
one's life, a child or adult at risk, domestic abuse, or someone who may have
collapsed: the coach answers these with the safety tip first, before any topic
model has its say. The signs live in ``content/urgent.yaml``.

A sign is one or more parts joined by ``+``, and every part must be somewhere in
the message. A part is a phrase, whose words must come in order (a couple of other
words may stand between them: "smell gas" matches "smell of gas"), or ``$name``, any
phrase of the group of that name ("$water + $electrics" matches "leak from upstairs
running down onto the fuse box"). Words are compared after normalising and light
stemming, typos forgiven as the matcher forgives them.

    >>> alarm = UrgentSigns(library, normaliser, correct=lambda word: word)
    >>> alarm.kind_of("theres a smell of gas in the hall").id
    'gas'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.content import Library, UrgentKind
from bot.core.normalising import Normaliser, stem

#: How many other words may stand between two words of one phrase.
MAX_GAP = 2

Phrase = tuple[str, ...]


@dataclass(frozen=True)
class _Sign:
    kind: UrgentKind
    #: Each part is the set of phrases (by number) any one of which will do.
    parts: tuple[frozenset[int], ...]
    #: More words make a surer sign: it decides between two kinds.
    weight: int


class UrgentSigns:
    def __init__(
        self, library: Library, normaliser: Normaliser, correct: Callable[[str], str]
    ) -> None:
        self._normaliser = normaliser
        self._correct = correct
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

        groups = {
            name: frozenset(n for text in texts if (n := number(text)) is not None)
            for name, texts in library.urgent_groups.items()
        }
        self._signs: list[_Sign] = []
        for kind in library.urgent:
            for sign in kind.signs:
                parts: list[frozenset[int]] = []
                for text in (part.strip() for part in sign.split("+")):
                    if text.startswith("$"):
                        parts.append(groups.get(text[1:], frozenset()))
                    else:
                        n = number(text)
                        parts.append(frozenset() if n is None else frozenset({n}))
                if parts and all(parts):
                    weight = sum(min(len(self._phrases[n]) for n in part) for part in parts)
                    self._signs.append(_Sign(kind, tuple(parts), weight))
        # Each phrase filed under its last word: a message lacking it can't contain it.
        self._by_word: dict[str, list[int]] = {}
        for n, phrase in enumerate(self._phrases):
            self._by_word.setdefault(phrase[-1], []).append(n)

    def _words(self, text: str) -> list[str]:
        return [stem(word) for word in self._normaliser.text(text).split()]

    def kind_of(self, text: str) -> UrgentKind | None:
        """The kind of emergency the message shows the surest sign of, if any."""
        forms = [{word, self._correct(word)} for word in self._words(text)]
        present = set().union(*forms)
        matched = {
            n
            for word in present
            for n in self._by_word.get(word, ())
            if present.issuperset(self._phrases[n]) and _contains(forms, self._phrases[n])
        }
        if not matched:
            return None
        best: _Sign | None = None
        for sign in self._signs:
            if (best is None or sign.weight > best.weight) and all(
                not part.isdisjoint(matched) for part in sign.parts
            ):
                best = sign
        return best.kind if best else None


def _contains(forms: Sequence[set[str]], phrase: Phrase) -> bool:
    """Whether the words of ``phrase`` appear in order, at most MAX_GAP apart."""

    def from_(position: int, index: int) -> bool:
        if index == len(phrase):
            return True
        end = len(forms) if index == 0 else min(len(forms), position + MAX_GAP + 1)
        return any(
            phrase[index] in forms[at] and from_(at + 1, index + 1) for at in range(position, end)
        )

    return from_(0, 0)
