"""The complement model: letters as well as words, so typos and slang still land."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from bot.core.content.library import Library
from bot.core.matching.complement import ComplementModel
from bot.core.matching.matcher import Matcher
from bot.core.matching.tfidf import Space, run_features

EXAMPLES = [
    ("late", "running late for my next job", 1.0),
    ("late", "stuck in traffic, be there in an hour", 1.0),
    ("no", "tenant wants me to paint the fence", 1.0),
    ("no", "can you just put my shelves up while you're here", 1.0),
]


def test_typos_and_run_together_words_still_find_their_label() -> None:
    model = ComplementModel.fit(EXAMPLES)
    assert model.best("runnin l8 stuck in trafic") == "late"
    assert model.best("she wants shelfs putting up") == "no"


def test_a_label_with_many_more_examples_does_not_take_every_message() -> None:
    many = [("late", f"running late again number {n}", 1.0) for n in range(50)]
    model = ComplementModel.fit([*many, *EXAMPLES])
    assert model.best("tenant wants the fence painting") == "no"


def test_a_message_with_nothing_the_model_knows_favours_no_label() -> None:
    scores = ComplementModel.fit(EXAMPLES).scores("zzz qqq")
    assert set(scores) == {"late", "no"} and len(set(scores.values())) == 1


def test_messages_operatives_have_asked_teach_the_router_their_wording(
    library: Library, matcher: Matcher
) -> None:
    # Words the content has never seen: "she wants her ... doing" alone reads as a
    # request to turn down, so nothing here leans to a topic before it is taught.
    asked = "the flibbet has a wonky dingle"
    assert matcher.route(asked).topic != "saying-no"
    taught = replace(
        library,
        asked={**library.asked, "saying-no": (*library.asked.get("saying-no", ()), asked)},
    )
    assert Matcher(taught).route("wonky dingle on the flibbet again").topic == "saying-no"


@given(
    st.lists(st.sampled_from(["late", "LATE", "runnin", "l8", "boiler", "zzqx", "a"]), max_size=12)
)
def test_remembered_letter_runs_give_the_same_vector_as_counting_them_afresh(
    words: list[str],
) -> None:
    space, _ = Space.learn([text for _, text, _ in EXAMPLES], run_features)
    text = " ".join(words)
    fresh_ids, fresh_values = space.vector(run_features(text), offset=3)
    for _ in range(2):  # the second time from what the space remembers
        ids, values = space.run_vector(text, offset=3)
        order = np.argsort(fresh_ids)
        assert ids.tolist() == fresh_ids[order].tolist()
        assert np.allclose(values, fresh_values[order])
