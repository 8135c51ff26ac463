"""How the wording of a reply leans, partial or concern, learnt from marked replies."""

from __future__ import annotations

import pytest

from bot.core.content.library import Library
from bot.core.matching.judging import Judgement
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
    judgement = _judged_unseen(matcher, library, prompt, reply)
    assert judgement.verdict == verdict
    assert judgement.feedback == library.prompts[prompt].rubric[judgement.pattern or 0].feedback


def _judged_unseen(matcher: Matcher, library: Library, prompt: str, reply: str) -> Judgement:
    """``reply`` judged by a matcher that learnt from every marked reply but this one."""
    kept = matcher.learnt
    matcher.learnt = matcher.learn_replies(
        library.replied, frozenset({matcher.normaliser.text(reply)})
    )
    try:
        return matcher.judge(library.prompts[prompt], reply)
    finally:
        matcher.learnt = kept


def test_some_steps_worded_very_like_the_strong_replies_are_strong(
    matcher: Matcher, library: Library
) -> None:
    reply = (
        "respect that, dont push. tell her my name and who i work for, offer to have the "
        "office ring her to confirm, and rebook if she'd prefer"
    )
    judgement = _judged_unseen(matcher, library, "virt-closed-door", reply)
    assert judgement.verdict == "strong"
    # The feedback still names only what it found, and what to add.
    assert judgement.ingredients_missing
    assert judgement.feedback == matcher._judges["virt-closed-door"].feedback(
        judgement.ingredients_found, judgement.ingredients_missing
    )


def test_an_act_now_step_missing_is_never_taken_on_trust_however_it_is_worded(
    matcher: Matcher, library: Library
) -> None:
    reply = (
        "dont rely on the yes, explain simple, show him the socket, put tape n a sign on it "
        "saying DO NOT USE. ask him to tell me back wot it means, n tell the office"
    )
    assert matcher.lean.towards_strong(reply) > matcher.tuning.strong_lean_above
    judgement = _judged_unseen(matcher, library, "div-learning-disability", reply)
    assert "make-safe" in judgement.ingredients_missing
    assert judgement.verdict != "strong"
