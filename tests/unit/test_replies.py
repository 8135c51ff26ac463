"""How the wording of a reply leans, partial or concern, learnt from marked replies."""

from __future__ import annotations

import pytest

from bot.core.content.library import Library
from bot.core.matching.matcher import Matcher
from bot.core.matching.normalising import Normaliser
from bot.core.matching.replies import ReplyLean

REPLIED = {
    "a": {"partial": ["ask him first", "ring the office"], "concern": ["just leave it"]},
    "b": {"partial": ["see if he wants it"], "concern": ["leave it, not our job"]},
}


def test_replies_worded_like_the_concerns_lean_to_a_concern(library: Library) -> None:
    lean = ReplyLean.fit(Normaliser(library.vocabulary), REPLIED)
    assert lean.towards_concern("just leave it mate") > 0
    assert lean.towards_concern("ask the office first") < 0


def test_with_nothing_learnt_a_reply_leans_nowhere(library: Library) -> None:
    normaliser = Normaliser(library.vocabulary)
    assert ReplyLean.fit(normaliser, {}).towards_concern("just leave it") == 0.0
    only_partial = {"a": {"partial": ["ask him first"]}}
    assert ReplyLean.fit(normaliser, only_partial).towards_concern("just leave it") == 0.0
    left_out = ReplyLean.fit(normaliser, REPLIED, leave_out=frozenset({"just leave it"}))
    assert left_out.towards_concern("just") == 0.0


@pytest.mark.parametrize(
    ("prompt", "reply", "verdict"),
    [
        ("perf-contractor-work", "tell him ring the office", "partial"),
        ("div-learning-disability", "he said yes he understands so job done", "concern"),
        (
            "appt-emergency-pulled",
            "emergency comes first, the office will sort the rest",
            "partial",
        ),
    ],
)
def test_between_a_thin_start_and_a_corner_cut_the_wording_decides(
    matcher: Matcher, library: Library, prompt: str, reply: str, verdict: str
) -> None:
    # Learnt without the reply itself, as a reply the judge has never seen.
    kept = matcher.lean
    matcher.lean = ReplyLean.fit(
        matcher.normaliser, library.replied, leave_out=frozenset({matcher.normaliser.text(reply)})
    )
    try:
        judgement = matcher.judge(library.prompts[prompt], reply)
    finally:
        matcher.lean = kept
    assert judgement.verdict == verdict
    assert judgement.feedback == library.prompts[prompt].rubric[judgement.pattern or 0].feedback
