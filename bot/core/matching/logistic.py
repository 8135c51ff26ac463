"""A softmax (multinomial logistic) regression over words and word pairs.

Naive Bayes counts each word on its own, so a message full of words common to two
topics is pulled by all of them at once. A logistic model learns its weights together,
so a word that only repeats what others already say counts for less, and the words that
tell two close topics apart count for more. It is fitted by mini-batch stochastic
gradient descent, from a fixed seed, so the same content always gives the same model.

    >>> model = LogisticModel.fit([("late", "running late", 1.0), ("no", "cant do that", 1.0)])
    >>> max(model.shares("sorry im running a bit late").items(), key=lambda kv: kv[1])[0]
    'late'
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt

from bot.core.matching.tfidf import Rows, Space, word_features

#: Texts a step learns from: small enough that each step is cheap, large enough that
#: the steps are steady.
_BATCH = 256


class LogisticModel:
    """Labels texts; build with :meth:`fit`, ask with :meth:`shares`."""

    def __init__(
        self, labels: Sequence[str], space: Space, weights: npt.NDArray[np.float64]
    ) -> None:
        self.labels = tuple(labels)
        self._space = space
        #: One row per feature, one column per label.
        self._weights = weights

    @classmethod
    def fit(
        cls,
        examples: Iterable[tuple[str, str, float]],
        epochs: int = 10,
        learning_rate: float = 1.0,
        regularisation: float = 1e-5,
        seed: int = 0,
        words: tuple[Space, Rows] | None = None,
    ) -> LogisticModel:
        """Learn from ``(label, text, weight)`` triples: ``epochs`` passes over them, each
        step ``learning_rate`` (falling pass by pass) times the mean gradient of the
        weighted log loss, and weights shrinking by ``regularisation`` (L2). ``words``,
        the texts' word features if already learnt, saves learning them again."""
        rows = list(examples)
        labels = sorted({label for label, _, _ in rows})
        column = {label: number for number, label in enumerate(labels)}
        label_of = np.array([column[label] for label, _, _ in rows], dtype=np.intp)
        weight_of = np.array([weight for _, _, weight in rows], dtype=np.float64)
        space, vectors = words or Space.learn([text for _, text, _ in rows], word_features)
        # Each text's entries are one slice of the (document-ordered) arrays; a text with
        # no features (an emoji) teaches nothing.
        starts = np.searchsorted(vectors.documents, np.arange(len(rows) + 1))
        useful = np.flatnonzero(starts[1:] > starts[:-1])
        weights = np.zeros((len(space.ids), len(labels)))
        scale = 1.0
        generator = np.random.default_rng(seed)
        for epoch in range(epochs):
            step = learning_rate / (1 + epoch)
            order = generator.permutation(useful)
            for first in range(0, len(order), _BATCH):
                batch = order[first : first + _BATCH]
                lengths = starts[batch + 1] - starts[batch]
                offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
                # The batch's entries, text by text: start of its text plus place in it.
                entries = np.repeat(starts[batch] - offsets, lengths) + np.arange(lengths.sum())
                features = vectors.features[entries]
                values = vectors.values[entries]
                logits = np.add.reduceat(weights[features] * values[:, None], offsets, axis=0)
                error = _softmax(logits)
                error[np.arange(len(batch)), label_of[batch]] -= 1.0
                error *= weight_of[batch, None] / len(batch)
                touched, place = np.unique(features, return_inverse=True)
                contributions = values[:, None] * error[np.repeat(np.arange(len(batch)), lengths)]
                cells = place[:, None] * len(labels) + np.arange(len(labels))
                gradient = np.bincount(
                    cells.ravel(), contributions.ravel(), len(touched) * len(labels)
                ).reshape(len(touched), len(labels))
                # L2 shrinking, kept as one scale for all the weights rather than applied
                # to every weight at every step.
                scale *= 1.0 - step * regularisation
                weights[touched] -= step * gradient / scale
        return cls(labels, space, weights * scale)

    def shares(self, text: str) -> dict[str, float]:
        """How likely each label is for ``text``; the shares add up to 1."""
        ids, values = self._space.vector(word_features(text))
        logits = values @ self._weights[ids]
        return dict(zip(self.labels, _softmax(logits[None, :])[0].tolist(), strict=True))


def _softmax(logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    exps = np.exp(logits - logits.max(axis=1, keepdims=True))
    shares: npt.NDArray[np.float64] = exps / exps.sum(axis=1, keepdims=True)
    return shares
