"""While a scenario waits: an answer offered tentatively, or holding chat, is still an
answer; a question opened with a greeting is still a question."""

from __future__ import annotations

import pytest

from bot.core.content.library import Library
from bot.core.matching.matcher import Matcher
from bot.core.matching.waiting import reads_as_question


@pytest.fixture(scope="module")
def matcher(library: Library) -> Matcher:
    return Matcher(library)


@pytest.mark.parametrize(
    ("prompt", "text", "question"),
    [
        ("div-no-english", "a translation app on my phone and some pictures?", False),
        ("perf-survey-top-marks", "say thanks and ask for honest feedback", False),
        ("diff-verbal-abuse", "tell him calmly i will leave if he carries on like that", False),
        ("div-no-english", "hiya, what is the best way to get an interpreter", True),
        ("div-no-english", "how do i tell a tenant im running late?", True),
        ("div-no-english", "cheers", True),
        # Doing it, though "do" and "have" open questions too.
        ("office-close-in-van", "do it right, pictures and a written note on the job", False),
        ("div-colleague-joke", "have a quiet chat with him later on", False),
        # A greeting said to the tenant in the scene.
        ("doorstep-love-habit", "afternoon mr jones", False),
        ("safe-kids-alone", "at what point is a child too young to be home alone", True),
        (
            "perf-always-done-it",
            "hes been a plumber longer than ive been alive, why would he take advice from me",
            True,
        ),
    ],
)
def test_answers_and_questions_are_told_apart(
    matcher: Matcher, prompt: str, text: str, question: bool
) -> None:
    waiting = matcher.library.prompts[prompt]
    assert reads_as_question(matcher, waiting, text, matcher.route(text)) is question


def test_an_emergency_is_never_taken_for_an_answer(matcher: Matcher) -> None:
    waiting = matcher.library.prompts["div-no-english"]
    text = "tell you what, theres a strong smell of gas in the hall"
    assert reads_as_question(matcher, waiting, text, matcher.route(text))
