"""Guards against regressions in understanding, on parts spent by earlier rounds.

``spent1`` and ``spent2`` were held out until their rounds closed, so these floors
guard wordings the content was not first fitted to. The floors sit a little under
what was measured when they were set; the issues' targets are reported by the
benchmark (on the current held-out parts), not here. Since issue 13 (urgent signs,
chat answered as chat, and verdicts from ingredients and red flags), ``spent1``
measured: topic 90.0%, off-topic recall 90.5% and precision 88.4%; verdicts 81.4%.
Round 4 fitted the content to ``spent1``, ``spent3`` and ``tune4`` too; they then
measured: topics 94.4%, 94.1% and 95.3% (``spent2`` 97.4%); verdicts 95.9%, 93.1% and
89.0%, with at most 5.2% of partial answers judged strong and no strong/concern swap
on a safety prompt.
"""

from __future__ import annotations

import pytest

from bot.core.content.library import Library
from bot.core.matching.matcher import Matcher
from tests.eval.scoring import (
    TOPIC_HELD_OUT_PARTS,
    TOPIC_TUNING_PARTS,
    URGENT_HELD_OUT_PARTS,
    URGENT_TUNING_PARTS,
    VERDICT_HELD_OUT_PARTS,
    VERDICT_TUNING_PARTS,
    WAITING_HELD_OUT_PARTS,
    WAITING_TUNING_PARTS,
    parts_present,
    score_topics,
    score_verdicts,
    topic_cases,
    urgent_cases,
    verdict_cases,
    waiting_cases,
)


@pytest.fixture(scope="module")
def matcher(library: Library) -> Matcher:
    return Matcher(library)


@pytest.mark.parametrize(
    ("part", "floor"), [("spent1", 0.92), ("spent2", 0.95), ("spent3", 0.92), ("tune4", 0.93)]
)
def test_messages_mostly_reach_the_right_topic(matcher: Matcher, part: str, floor: float) -> None:
    scores = score_topics(lambda text: matcher.route(text).topic, topic_cases(part))
    assert scores.topic_accuracy >= floor
    assert scores.off_topic_false_positive_rate <= 0.05
    assert scores.off_topic_precision >= 0.85


@pytest.mark.parametrize(("part", "floor"), [("spent1", 0.93), ("spent3", 0.91), ("tune4", 0.87)])
def test_replies_mostly_get_the_right_verdict(
    matcher: Matcher, library: Library, part: str, floor: float
) -> None:
    scores = score_verdicts(
        lambda prompt, reply: matcher.judge(library.prompts[prompt], reply).verdict,
        verdict_cases(part),
    )
    assert scores.accuracy >= floor
    assert scores.partial_as_strong <= 0.10
    assert scores.safety_swaps == 0


def test_every_evaluation_label_names_real_content(library: Library) -> None:
    for part in parts_present("topic", (*TOPIC_TUNING_PARTS, *TOPIC_HELD_OUT_PARTS)):
        assert {case.topic for case in topic_cases(part)} <= {*library.topics, None}
    verdict_parts = (*VERDICT_TUNING_PARTS, *VERDICT_HELD_OUT_PARTS)
    for part in parts_present("verdict", verdict_parts):
        assert {case.prompt for case in verdict_cases(part)} <= set(library.prompts)
    urgent_kinds = {kind.id for kind in library.urgent}
    for part in parts_present("urgent", (*URGENT_TUNING_PARTS, *URGENT_HELD_OUT_PARTS)):
        assert {case.kind for case in urgent_cases(part)} <= {*urgent_kinds, "none"}
    for part in parts_present("waiting", (*WAITING_TUNING_PARTS, *WAITING_HELD_OUT_PARTS)):
        assert {case.prompt for case in waiting_cases(part)} <= set(library.prompts)
