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

from dataclasses import dataclass

import pytest

from bot.core.content.library import Library
from bot.core.matching.matcher import Matcher
from bot.core.matching.waiting import reads_as_question
from tests.eval.scoring import (
    TOPIC_HELD_OUT_PARTS,
    TOPIC_TUNING_PARTS,
    URGENT_HELD_OUT_PARTS,
    URGENT_TUNING_PARTS,
    VERDICT_HELD_OUT_PARTS,
    VERDICT_TUNING_PARTS,
    WAITING_HELD_OUT_PARTS,
    WAITING_TUNING_PARTS,
    library_without,
    parts_present,
    score_topics,
    score_verdicts,
    topic_cases,
    urgent_cases,
    verdict_cases,
    waiting_cases,
)


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


def test_no_safety_reply_swaps_strong_and_concern_on_any_tuning_part(
    matcher: Matcher, library: Library
) -> None:
    """Scored as ``bench.matching --tuning`` does, each part by a judge that learnt from
    the other parts' replies only. Measured when round 7 tuning ended: 0 swaps on each
    part (590 safety replies), where ``tune7`` had 4 when first scored."""
    kept = matcher.learnt
    try:
        for part in parts_present("verdict", VERDICT_TUNING_PARTS):
            cases = verdict_cases(part)
            left_out = frozenset(matcher.normaliser.text(case.reply) for case in cases)
            matcher.learnt = matcher.learn_replies(library.replied, left_out)
            scores = score_verdicts(
                lambda prompt, reply: matcher.judge(library.prompts[prompt], reply).verdict,
                [case for case in cases if case.safety],
            )
            assert scores.safety_swaps == 0, part
    finally:
        matcher.learnt = kept


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


@pytest.mark.parametrize(
    ("part", "most_false_alarms"),
    [
        ("tune", 0.1),
        ("tune4", 0.1),
        ("spent3", 0.1),
        ("spent4", 0.1),
        ("spent5", 0.2),
        ("tune6", 0.15),
        ("spent6", 0.2),
        ("tune7", 0.45),
        ("spent7", 0.35),
        ("tune7b", 0.35),
        ("tune7c", 0.45),
        ("tune8a", 0.4),
        ("tune8b", 0.25),
        ("tune8c", 0.35),
        ("tune8d", 0.3),
        ("tune8e", 0.3),
        ("tune8f", 0.4),
    ],
)
def test_urgent_messages_are_caught_and_near_misses_mostly_not(
    matcher: Matcher, part: str, most_false_alarms: float
) -> None:
    """Measured on these tuning parts, which the urgent models learn from, when round
    8's urgent work ended: 100% caught on each, near misses 1.7%, 5%, 1.7%, 0%, 13.3%,
    11%, 12.9%, 38.3%, 30%, 27.1%, 40%, 32.9%, 18.6%, 27.1%, 24.3%, 25.7% and 37.1% (the
    models lean to recall: a false alarm costs a safety tip, a miss can cost a life; the
    later parts' near misses were written to be hard). How the models meet wordings
    they never learnt is the test above."""
    if not parts_present("urgent", [part]):
        pytest.skip(f"no urgent_{part}.yaml")
    cases = urgent_cases(part)
    flagged = [(matcher.route(case.text).urgent is not None, case.urgent) for case in cases]
    caught = [flag for flag, urgent in flagged if urgent]
    false_alarms = [flag for flag, urgent in flagged if not urgent]
    assert sum(caught) / len(caught) >= 0.99
    assert sum(false_alarms) / len(false_alarms) <= most_false_alarms


def test_emergencies_told_in_words_the_models_never_learnt_are_caught(library: Library) -> None:
    """Two urgent parts and their routing siblings taken out of what the matcher learns
    (asked.yaml, urgent_asked.yaml): measured when round 8's urgent work ended, 295 of
    300 urgent messages caught (98.3%), near misses 26.4%, and 12 of 970 ordinary
    questions (1.2%, safeguarding aside) taken for an emergency the signs didn't show;
    when round 9's ended, 299 of 300 (signs now hold four of the wordings once missed),
    26.4% and 11 of 970; when round 10's ended, 299 of 300, 27.1% and 14 of 970 (the
    models, having learnt quieter emergencies, read a few more questions as one); when
    round 11's ended, 299 of 300, 27.1% and 14 of 970; once round 12's began (the models
    learnt round 11's held-out part, and a second opinion asks a little more), 299 of
    300, 27.1% and 10 of 970; when round 12's ended (its tuning parts learnt, signs
    that marked everyday questions narrowed, quiet signs added), 300 of 300, 26.4% and
    11 of 970; when round 14's ended (the models learnt its quieter urgent parts and
    its tricky chat), 300 of 300, 25.7% and 13 of 970; once round 15's began (the
    models learnt round 14's held-out part, emergencies told in passing in long
    questions, and suppliers not heard from for days), 300 of 300, 26.4% and 14 of 970;
    once round 16's began (the models learnt round 15's held-out part, and water and damp
    asked about as repairs), 300 of 300, 26.4% and 13 of 970; once they learnt round 16's
    people at risk told in passing (``urgent_tune16a``), 300 of 300, 26.4% and 16 of 970,
    some of them arguably right ("window restrictor broken in the kids bedroom, 3rd
    floor", "boyfriend put his fist through the bedroom door"): the bar moved from 1.5%
    to 1.7%, recall on emergencies told in passing being worth more than those; once
    round 17's began (the models learnt round 16's held-out part, and doorstep questions
    about who to let in), 300 of 300, 25.7% and 16 of 970."""
    parts = [part for part in ("spent7", "tune8b") if parts_present("urgent", [part])]
    if not parts:
        pytest.skip("no urgent parts to leave out")
    cases = [case for part in parts for case in urgent_cases(part)]
    questions = [case for part in parts_present("topic", parts) for case in topic_cases(part)]
    matcher = Matcher(library_without(library, [case.text for case in (*cases, *questions)]))
    urgent = [matcher.route(case.text).urgent is not None for case in cases if case.urgent]
    calm = [matcher.route(case.text).urgent is not None for case in cases if not case.urgent]
    assert sum(urgent) / len(urgent) >= 0.98
    assert sum(calm) / len(calm) <= 0.3
    ordinary = [case.text for case in questions if case.topic != "safeguarding"]
    alarms = [
        text
        for text in ordinary
        if matcher.urgent.signed(text) is None and matcher.route(text).urgent is not None
    ]
    assert len(alarms) / len(ordinary) <= 0.017


@pytest.mark.parametrize("part", ["spent3", "tune4", "spent5", "tune6"])
def test_questions_typed_while_a_scenario_waits_are_told_apart(
    matcher: Matcher, library: Library, part: str
) -> None:
    """Measured on these tuning parts when round 6's waiting work ended: 100%, 100%,
    97.7% and 100%; when round 9's waiting work ended (the model has learnt them),
    99.2%, 100%, 98.5% and 100%."""
    if not parts_present("waiting", [part]):
        pytest.skip(f"no waiting_{part}.yaml")
    cases = waiting_cases(part)
    right = sum(
        reads_as_question(matcher, library.prompts[c.prompt], c.text, matcher.route(c.text))
        == c.is_question
        for c in cases
    )
    assert right / len(cases) >= 0.97


def test_questions_typed_while_waiting_in_words_never_learnt_are_told_apart(
    library: Library,
) -> None:
    """Round 8's held-out waiting part taken out of what the matcher learns
    (typed_while_waiting.yaml): measured when round 9's waiting work ended, 137 of 140
    told apart (97.9%), where the signs alone had told 127 (90.7%)."""
    if not parts_present("waiting", ["spent8"]):
        pytest.skip("no waiting_spent8.yaml")
    cases = waiting_cases("spent8")
    matcher = Matcher(library_without(library, [case.text for case in cases]))
    right = sum(
        reads_as_question(matcher, library.prompts[c.prompt], c.text, matcher.route(c.text))
        == c.is_question
        for c in cases
    )
    assert right / len(cases) >= 0.95


@pytest.mark.parametrize("part", ["spent3", "tune4"])
def test_chat_is_refused_and_questions_are_not(matcher: Matcher, part: str) -> None:
    """Measured on these tuning parts when round 4 tuning ended: off-topic recall 99.4%
    and 99.5%, on-topic refused 1.4% and 0.7%."""
    if not parts_present("topic", [part]):
        pytest.skip(f"no topic_{part}.yaml")
    scores = score_topics(lambda text: matcher.route(text).topic, topic_cases(part))
    assert scores.off_topic_recall >= 0.97
    assert scores.off_topic_false_positive_rate <= 0.02


@dataclass(frozen=True)
class Floors:
    verdicts: float
    partial_as_strong: float
    urgent_recall: float
    waiting: float
    topics: float
    off_topic_recall: float
    #: The most on-topic messages refused: the issue's bar, unless the round measured more.
    refused: float = 0.02


#: Held-out parts, each with a floor a little under what it measured once, when its
#: round's choices were all made and before anything was fitted to it:
#: - ``spent4`` (round 4): verdicts 86.7%, partial as strong 1.1%, urgent recall 88.3%,
#:   waiting 98.5%, topics 79.2%, off-topic recall 95.6%; tuning data since;
#: - ``spent5`` (round 5): verdicts 84.8%, partial as strong 8.4%, urgent recall
#:   95.0%, waiting 94.6%, topics 88.8%, off-topic recall 86.7%; tuning data since;
#: - ``spent6`` (round 6): verdicts 89.7%, partial as strong 3.3%, urgent recall
#:   99.3%, waiting 97.9%, topics 91.0%, off-topic recall 96.0%; tuning data since;
#: - ``spent7`` (round 7): verdicts 92.7%, partial as strong 4.8%, urgent recall
#:   94.7%, waiting 96.4%, topics 89.25%, off-topic recall 91.0%; tuning data since;
#: - ``spent8`` (round 8): verdicts 91.0%, partial as strong 6.7%, urgent recall
#:   98.7%, waiting 90.7%, topics 93.25%, off-topic recall 95.0%; tuning data since;
#: - ``spent9`` (round 9): verdicts 93.7%, partial as strong 2.2%, urgent recall
#:   99.3%, waiting 96.4%, topics 93.0%, off-topic recall 98.0%; tuning data since;
#: - ``spent10`` (round 10): verdicts 86.7%, partial as strong 2.2%, urgent recall
#:   99.3%, waiting 96.4%, topics 92.2%, off-topic recall 96.0%; tuning data since;
#: - ``spent11`` (round 11): verdicts 90.7%, partial as strong 4.4%, urgent recall
#:   98.0%, waiting 93.6%, topics 90.5%, off-topic recall 97.0%; tuning data since;
#: - ``spent12`` (round 12): verdicts 89.3%, partial as strong 0.0%, urgent recall
#:   99.3%, waiting 95.7%, topics 95.25%, off-topic recall 94.0%; tuning data since;
#: - ``spent13`` (round 13): verdicts 88.0%, partial as strong 6.7%, urgent recall
#:   98.0%, waiting 97.1%, topics 94.25%, off-topic recall 98.0%; tuning data since;
#: - ``spent14`` (round 14): verdicts 88.3%, partial as strong 2.2%, urgent recall
#:   97.3%, waiting 97.1%, topics 92.25%, off-topic recall 99.0%; tuning data since;
#: - ``spent15`` (round 15): verdicts 85.7%, partial as strong 6.7%, urgent recall
#:   98.7%, waiting 95.7%, topics 91.5%, off-topic recall 96.0%, on-topic refused 2.25%;
#:   tuning data since;
#: - ``spent16`` (round 16): verdicts 86.3%, partial as strong 6.7%, urgent recall
#:   98.7%, waiting 97.1%, topics 94.5%, off-topic recall 97.0%, on-topic refused 0.5%;
#:   tuning data since.
#: - ``heldout17`` (round 17): verdicts 93.3%, partial as strong 4.4%, urgent recall
#:   100.0%, waiting 97.9%, topics 94.2%, off-topic recall 97.0%, on-topic refused 0.5%.
#: A guard against regressions, not a target: the issue's targets are higher.
HELD_OUT_FLOORS = {
    "spent4": Floors(0.84, 0.05, 0.85, 0.95, 0.76, 0.92),
    "spent5": Floors(0.82, 0.10, 0.92, 0.92, 0.85, 0.83),
    "spent6": Floors(0.87, 0.06, 0.98, 0.96, 0.89, 0.94),
    "spent7": Floors(0.90, 0.07, 0.93, 0.95, 0.87, 0.89),
    "spent8": Floors(0.90, 0.08, 0.98, 0.90, 0.92, 0.94),
    "spent9": Floors(0.92, 0.04, 0.98, 0.95, 0.92, 0.96),
    "spent10": Floors(0.85, 0.04, 0.98, 0.95, 0.91, 0.95),
    "spent11": Floors(0.89, 0.06, 0.97, 0.92, 0.89, 0.96),
    "spent12": Floors(0.88, 0.02, 0.98, 0.95, 0.94, 0.93),
    "spent13": Floors(0.87, 0.08, 0.97, 0.96, 0.93, 0.97),
    "spent14": Floors(0.87, 0.04, 0.96, 0.96, 0.91, 0.97),
    "spent15": Floors(0.84, 0.09, 0.97, 0.94, 0.90, 0.94, refused=0.03),
    "spent16": Floors(0.85, 0.08, 0.98, 0.96, 0.93, 0.96),
    "heldout17": Floors(0.92, 0.06, 0.99, 0.97, 0.93, 0.96),
}


@pytest.mark.parametrize("part", sorted(HELD_OUT_FLOORS))
def test_held_out_parts_stay_at_least_where_their_round_left_them(
    matcher: Matcher, library: Library, part: str
) -> None:
    floors = HELD_OUT_FLOORS[part]
    verdicts = score_verdicts(
        lambda prompt, reply: matcher.judge(library.prompts[prompt], reply).verdict,
        verdict_cases(part),
    )
    assert verdicts.accuracy >= floors.verdicts
    assert verdicts.partial_as_strong <= floors.partial_as_strong
    urgent = [case for case in urgent_cases(part) if case.urgent]
    caught = sum(matcher.route(case.text).urgent is not None for case in urgent)
    assert caught / len(urgent) >= floors.urgent_recall
    waiting = waiting_cases(part)
    told_apart = sum(
        reads_as_question(
            matcher, library.prompts[case.prompt], case.text, matcher.route(case.text)
        )
        == case.is_question
        for case in waiting
    )
    assert told_apart / len(waiting) >= floors.waiting
    topics = score_topics(lambda text: matcher.route(text).topic, topic_cases(part))
    assert topics.topic_accuracy >= floors.topics
    assert topics.off_topic_recall >= floors.off_topic_recall
    assert topics.off_topic_false_positive_rate <= floors.refused
