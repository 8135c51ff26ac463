"""The complement model: letters as well as words, so typos and slang still land."""

from __future__ import annotations

from dataclasses import replace

from bot.core.content.library import Library
from bot.core.matching.complement import ComplementModel
from bot.core.matching.matcher import Matcher

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
    asked = "she wants her flibbet doing, its a wonky dingle"
    assert matcher.route(asked).topic != "saying-no"
    taught = replace(
        library,
        asked={**library.asked, "saying-no": (*library.asked.get("saying-no", ()), asked)},
    )
    assert Matcher(taught).route("her flibbet wants doing, wonky dingle again").topic == "saying-no"
