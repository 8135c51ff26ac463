"""Chat that isn't a question: thanks, greetings, being sworn at, questions about the
bot itself, sums and trivia, and work chat that isn't customer care.

Each kind (``content/small_talk.yaml``) gets its own short, human answer ("Glad it
helped.") instead of a coaching tip. A short message is that kind of chat when it
shows one of the kind's signs, is a sum ("15% of 240") for a kind that takes sums,
is made only of the kind's words and small ones ("cheers that helped"), or is short,
asks nothing and opens or ends with one of its bookends ("cheers for the help earlier"). A message
about the work with tenants (the ``customer care`` group: "tenant", "job", "her"...) is
never chat: "van broke down, how do i tell my first job" is a question.

    >>> chat = ChatSigns(library, normaliser)
    >>> chat.kind_of("cheers that helped").id
    'thanks'
    >>> chat.kind_of("tenant said thanks but seemed upset") is None
    True
"""

from __future__ import annotations

import re

from bot.core.content.library import ChatKind, Library
from bot.core.matching.normalising import Normaliser, stem
from bot.core.matching.signs import Signs

#: Longer messages are questions, whatever chat they hold.
CHAT_MAX_WORDS = 14
#: A message this short that opens or ends with a kind's bookend is that kind.
BOOKEND_MAX_WORDS = 7
#: The group of words that mark a message as about the work with tenants.
CUSTOMER_CARE = "customer care"
# No "/" or "-": "got a 3/10" is a survey score, "8-12" an appointment slot.
_SUM = re.compile(
    r"\d\s*(?:[x×*+^=]|times|plus|minus|divided by|multiplied by|squared|%|percent)"
    r"\s*(?:of\s*)?\d|square root|\bsqrt\b|\d\s*(?:%|percent) of",
    re.IGNORECASE,
)


class ChatSigns:
    def __init__(self, library: Library, normaliser: Normaliser) -> None:
        self._normaliser = normaliser
        self._signs = Signs(
            [(kind, kind.signs) for kind in library.chat], library.chat_groups, normaliser
        )
        self._small = frozenset(stem(word) for word in normaliser.vocabulary.stopwords)
        self._words = [
            (kind, frozenset(self._stems(" ".join(kind.words)))) for kind in library.chat
        ]
        self._sums = next((kind for kind in library.chat if kind.sums), None)
        self._bookends = [
            (kind, [tuple(self._stems(bookend)) for bookend in kind.bookends])
            for kind in library.chat
            if kind.bookends
        ]
        self._care = Signs([(True, [f"${CUSTOMER_CARE}"])], library.chat_groups, normaliser)

    def _stems(self, text: str) -> list[str]:
        return [stem(word) for word in self._normaliser.text(text).split()]

    def kind_of(self, text: str) -> ChatKind | None:
        """The kind of chat a message is, or None if it may be a real question."""
        words = self._stems(text)
        if not words or len(words) > CHAT_MAX_WORDS or self._care.best(text):
            return None
        signed = self._signs.best(text)
        if signed is not None:
            return signed
        if self._sums is not None and _SUM.search(text):
            return self._sums
        # "thanks but no, cant take cash" says something else: a refusal.
        if len(words) <= BOOKEND_MAX_WORDS and "?" not in text and "but" not in words:
            for kind, bookends in self._bookends:
                for bookend in bookends:
                    if bookend and (
                        tuple(words[: len(bookend)]) == bookend
                        or tuple(words[-len(bookend) :]) == bookend
                    ):
                        return kind
        meaningful = [word for word in words if word not in self._small]
        if not meaningful:
            return None
        for kind, vocabulary in self._words:
            if vocabulary.issuperset(meaningful):
                return kind
        return None
