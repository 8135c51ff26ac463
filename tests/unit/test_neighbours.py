"""The nearest-phrasings index that routing votes with."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.matching.neighbours import PhraseIndex, Phrasing

PHRASINGS = [
    Phrasing("appointments", "late", ("running", "late")),
    Phrasing("appointments", "parts", ("part", "on", "order")),
    Phrasing("doorstep", "boots", ("take", "boots", "off")),
    Phrasing("doorstep", None, ("boots",)),
    Phrasing("preventive", "mould", ("black", "mould", "bathroom")),
    Phrasing("preventive", "mould-again", ("black", "mould", "bathroom")),
]


def test_the_closest_phrasing_comes_first_and_only_k_come_back() -> None:
    index = PhraseIndex(PHRASINGS)
    found = index.nearest(["running", "late", "again"], 2)
    assert [n.phrasing.tip for n in found] == ["late"]  # nothing else shares a word
    found = index.nearest(["take", "boots", "off"], 2)
    assert [n.phrasing.tip for n in found] == ["boots", None]
    assert found[0].similarity > found[1].similarity
    assert abs(found[0].similarity - 1.0) < 1e-9


def test_ties_go_to_the_phrasing_listed_first() -> None:
    index = PhraseIndex(PHRASINGS)
    found = index.nearest(["black", "mould"], 1)
    assert [n.phrasing.tip for n in found] == ["mould"]
    both = index.nearest(["black", "mould"], 5)
    assert [n.phrasing.tip for n in both] == ["mould", "mould-again"]
    assert both[0].similarity == both[1].similarity


def test_a_message_of_unknown_words_has_no_neighbours() -> None:
    assert PhraseIndex(PHRASINGS).nearest(["football", "tonight"], 3) == []
    assert PhraseIndex(PHRASINGS).nearest([], 3) == []


WORDS = st.sampled_from(["running", "late", "part", "order", "boots", "mould", "black", "tap"])


@given(st.lists(WORDS, max_size=6), st.integers(min_value=1, max_value=8))
def test_search_agrees_with_scoring_every_phrasing_one_by_one(terms: list[str], k: int) -> None:
    index = PhraseIndex(PHRASINGS)
    query = index._vector(terms)
    expected = []
    for number, phrasing in enumerate(index.phrasings):
        other = index._vector(phrasing.terms)
        score = sum(value * other.get(term, 0.0) for term, value in query.items())
        if score > 0:
            expected.append((-score, number))
    expected.sort()
    found = index.nearest(terms, k)
    assert [index.phrasings.index(n.phrasing) for n in found] == [
        number for _, number in expected[:k]
    ]
