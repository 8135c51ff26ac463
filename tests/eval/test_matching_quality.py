"""Guards against regressions in understanding, on the held-out evaluation parts.

The floors sit a little under what was measured when they were set; the issues'
targets are reported by the benchmark, not here. Since issue 13 (urgent signs, chat
answered as chat, and verdicts from ingredients and red flags), the old held-out
part measured: topic 90.0%, off-topic recall 90.5% and precision 88.4%; verdicts 81.4%.
"""

from __future__ import annotations

import pytest

from bot.core.content.library import Library
from bot.core.matching.matcher import Matcher
from tests.eval.scoring import (
    TOPIC_HELD_OUT_PARTS,
    TOPIC_TUNING_PARTS,
    VERDICT_TUNING_PARTS,
    score_topics,
    score_verdicts,
    topic_cases,
    verdict_cases,
)


@pytest.fixture(scope="module")
def matcher(library: Library) -> Matcher:
    return Matcher(library)


@pytest.mark.parametrize(("part", "floor"), [("heldout", 0.88), ("heldout2", 0.91)])
def test_held_out_messages_mostly_reach_the_right_topic(
    matcher: Matcher, part: str, floor: float
) -> None:
    scores = score_topics(lambda text: matcher.route(text).topic, topic_cases(part))
    assert scores.topic_accuracy >= floor
    assert scores.off_topic_false_positive_rate <= 0.05
    assert scores.off_topic_precision >= 0.85


def test_held_out_replies_mostly_get_the_right_verdict(matcher: Matcher, library: Library) -> None:
    scores = score_verdicts(
        lambda prompt, reply: matcher.judge(library.prompts[prompt], reply).verdict,
        verdict_cases("heldout"),
    )
    assert scores.accuracy >= 0.80


def test_every_evaluation_label_names_real_content(library: Library) -> None:
    for part in (*TOPIC_TUNING_PARTS, *TOPIC_HELD_OUT_PARTS):
        assert {case.topic for case in topic_cases(part)} <= {*library.topics, None}
    for part in (*VERDICT_TUNING_PARTS, "heldout"):
        assert {case.prompt for case in verdict_cases(part)} <= set(library.prompts)
