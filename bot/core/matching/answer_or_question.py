"""A model of how a message typed while a scenario waits is put: as its answer, or as a
question asked instead.

The rules in :mod:`bot.core.matching.waiting` know the plain signs ("what do i…", "?").
Many questions show none: "if i havent got covers in the van", "and if he says not
today", "no hoover on the van tho". Many answers show a false one: "ring him, is half
12 ok?". A logistic model over words and word pairs learns these from messages
operatives typed while a scenario waited (``content/typed_while_waiting.yaml``). It
reads each message with a word marking where it starts and ends, and one for a "?",
so that "what then" at the end, or "if" at the start, count as such.

    >>> from bot.core.matching.normalising import Vocabulary
    >>> normaliser = Normaliser(Vocabulary())
    >>> model = AnswerOrQuestion.fit(["ring her now"], ["and if she says no"], normaliser)
    >>> model.question_share("and if he says no") > 0.5
    True
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.core.matching.logistic import LogisticModel
from bot.core.matching.normalising import Normaliser

#: Words no message holds, so that the model can learn how messages open and close.
_START = "messagestarts"
_END = "messageends"
_QUESTION_MARK = "questionmarked"
#: How the model is fitted (passes, first step): set by leaving each waiting tuning
#: part out in turn; a few thousand short messages need a bold first step.
EPOCHS = 60
LEARNING_RATE = 30.0
#: A word and its "not" as one ("cannot"): "cant do it" opens an answer, where "can"
#: opens a question.
_NEGATED = re.compile(
    r"\b(can|could|do|does|did|will|would|should|shall|must|is|are|was|were|have|has|had) not\b"
)
ANSWER = "answer"
QUESTION = "question"


class AnswerOrQuestion:
    """Build with :meth:`fit`; ask with :meth:`question_share`."""

    def __init__(self, model: LogisticModel | None, normaliser: Normaliser) -> None:
        self._model = model
        self._normaliser = normaliser

    @classmethod
    def fit(
        cls, answers: Sequence[str], questions: Sequence[str], normaliser: Normaliser
    ) -> AnswerOrQuestion:
        """Learn from answers and questions typed while a scenario waited. With none of
        either, the model has no view (:meth:`question_share` is always one half)."""
        if not answers or not questions:
            return cls(None, normaliser)
        examples = [
            *((ANSWER, _marked(text, normaliser), 1.0) for text in answers),
            *((QUESTION, _marked(text, normaliser), 1.0) for text in questions),
        ]
        model = LogisticModel.fit(examples, epochs=EPOCHS, learning_rate=LEARNING_RATE)
        return cls(model, normaliser)

    def question_share(self, text: str) -> float:
        """How likely ``text`` is a question rather than the answer, from 0 to 1."""
        if self._model is None:
            return 0.5
        return self._model.shares(_marked(text, self._normaliser))[QUESTION]


def _marked(text: str, normaliser: Normaliser) -> str:
    plain = _NEGATED.sub(r"\1not", normaliser.text(text))
    marked = f"{_START} {plain} {_END}"
    return f"{marked} {_QUESTION_MARK}" if "?" in text else marked
