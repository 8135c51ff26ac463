"""The logistic model: words learnt together, so the words that tell topics apart count."""

from __future__ import annotations

from bot.core.matching.logistic import LogisticModel

EXAMPLES = [
    ("late", "running late for my next job", 1.0),
    ("late", "stuck in traffic, tell the tenant i'll be late", 1.0),
    ("no", "tenant wants me to paint the fence", 1.0),
    ("no", "can you just put my shelves up while you're here", 1.0),
    ("office", "the office booked the wrong job for the tenant", 1.0),
    ("office", "scheduler keeps changing my jobs", 1.0),
]


def best(model: LogisticModel, text: str) -> str:
    shares = model.shares(text)
    return max(shares, key=shares.__getitem__)


def test_a_message_goes_to_the_label_its_telling_words_belong_to() -> None:
    model = LogisticModel.fit(EXAMPLES, epochs=20, learning_rate=20.0)
    assert best(model, "tenant asked me to paint her shelves") == "no"
    assert best(model, "stuck in traffic again") == "late"
    assert best(model, "the scheduler booked me the wrong job") == "office"


def test_shares_add_up_to_one_even_for_words_it_never_saw() -> None:
    model = LogisticModel.fit(EXAMPLES)
    for text in ("zzz qqq", "", "👍"):
        shares = model.shares(text)
        assert set(shares) == {"late", "no", "office"}
        assert abs(sum(shares.values()) - 1.0) < 1e-9


def test_the_same_examples_always_give_the_same_model() -> None:
    first = LogisticModel.fit(EXAMPLES).shares("running late for the tenant")
    again = LogisticModel.fit(EXAMPLES).shares("running late for the tenant")
    assert first == again


def test_an_example_with_no_words_teaches_nothing_and_breaks_nothing() -> None:
    model = LogisticModel.fit([*EXAMPLES, ("chat", "👍", 1.0)], epochs=20, learning_rate=20.0)
    assert best(model, "running late for my next job") == "late"
