"""The small naive Bayes model: a label given a smaller penalty forgives words it has
not seen more than the others do."""

from __future__ import annotations

from bot.core.matching.naive_bayes import NaiveBayes

EXAMPLES = [
    ("calm", ["brew", "chat", "weather"], 1.0),
    ("calm", ["brew", "parking"], 1.0),
    ("urgent", ["gas", "smell"], 1.0),
]


def test_a_smaller_penalty_forgives_a_label_words_it_has_not_seen() -> None:
    even = NaiveBayes.fit(EXAMPLES, smoothing=0.1, max_penalty=3.0)
    leaning = NaiveBayes.fit(EXAMPLES, smoothing=0.1, max_penalty=3.0, penalties={"urgent": 1.0})
    message = ["gas", "brew", "chat", "weather"]
    assert leaning.beliefs(message)["urgent"] > even.beliefs(message)["urgent"]
    # Words only the urgent label has seen weigh the same either way.
    assert leaning.beliefs(["gas", "smell"]) == even.beliefs(["gas", "smell"])
