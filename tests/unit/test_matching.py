"""Normalising and matching, on the real content."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.content.library import Library
from bot.core.matching.matcher import Confidence, Matcher
from bot.core.matching.normalising import Normaliser, Vocabulary, stem


def test_phone_typed_english_is_normalised(library: Library) -> None:
    normaliser = Normaliser(library.vocabulary)
    assert normaliser.text("Tenent CAN'T get in!!") == "tenant can not get in"
    assert normaliser.text("u running l8? appt in 10 mins tbh") == (
        "you running late? appointment in 10 minutes to be honest".replace("?", "")
    )
    assert normaliser.text("I’m   gonna   ring   ahead") == "i am going to call ahead"
    assert normaliser.text("dont cant wont") == "do not can not will not"


def test_terms_drop_filler_but_keep_negation(library: Library) -> None:
    normaliser = Normaliser(library.vocabulary)
    assert "not" in normaliser.terms("I wouldn't walk in")
    assert "the" not in normaliser.terms("the tenant")
    assert stem("leaking") == "leak" and stem("tenants") == "tenant"


def test_vocabulary_is_editable_data_not_code() -> None:
    normaliser = Normaliser(Vocabulary(words={"gaffer": "supervisor"}))
    assert normaliser.text("ask the gaffer") == "ask the supervisor"


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("running late what do i tell the tenant", "appointments"),
        ("tenent wants me to put shelves up while im here", "saying-no"),
        ("tenant shouting and swearing at me", "difficult-conversations"),
        ("black mould in the bedroom, not my job today", "preventive"),
        ("tenant is deaf how do i explain the job", "diversity"),
    ],
)
def test_clear_questions_find_their_topic(matcher: Matcher, message: str, topic: str) -> None:
    route = matcher.route(message)
    assert route.topic == topic
    assert route.tip is not None and matcher.library.topic_of[route.tip] == topic


@pytest.mark.parametrize(
    "message", ["morning", "cheers mate", "asdfghjkl", "👍👍", "", "   ", "?!"]
)
def test_small_talk_gibberish_and_emoji_are_off_topic(matcher: Matcher, message: str) -> None:
    route = matcher.route(message)
    assert route.confidence is Confidence.OFF_TOPIC
    assert route.topic is None and route.tip is None


def test_unsure_routes_offer_two_different_topics(matcher: Matcher) -> None:
    route = matcher.route("tenant upset about the office and the survey")
    assert len(route.choices) == 2
    assert route.choices[0][0] != route.choices[1][0]


def test_a_reply_is_judged_against_the_prompt_rubric(matcher: Matcher, library: Library) -> None:
    prompt = library.prompts["doorstep-no-id-asked"]
    assert matcher.judge(prompt, "show him my id card and say who i am").verdict == "strong"
    assert matcher.judge(prompt, "just go in and crack on").verdict == "concern"
    assert matcher.judge(prompt, "").verdict is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_handled_without_error(text: str) -> None:
    from bot.core.content.loader import load_library
    from tests.conftest import CONTENT

    matcher = _shared_matcher(load_library, CONTENT)
    route = matcher.route(text)
    assert route.confidence in set(Confidence)
    assert 0.0 <= route.score <= 1.0
    once = matcher.normaliser.text(text)
    assert matcher.normaliser.text(once) == once  # normalising is idempotent


_CACHE: dict[str, Matcher] = {}


def _shared_matcher(load, content) -> Matcher:  # type: ignore[no-untyped-def]
    if "m" not in _CACHE:
        _CACHE["m"] = Matcher(load(content))
    return _CACHE["m"]
