"""Issue 13's held-out figures: urgent messages never missed, questions told apart from
answers while a scenario waits, and routing that answers chat as chat.

Each beside a simple baseline, measured in the same run on the same held-out parts
(written by people who never saw the content, and never tuned on):
- urgent: a keyword list of the obvious words (gas, smell, wires, suicide...);
- waiting: "a question mark or a question word first", the rule the coach used to have;
- routing: difflib against every tip question, with its off-topic cut-off placed on the
  tuning part that holds chat (tune3).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from pathlib import Path

from bench.matching import Baseline, _difflib_best
from bot.core.content.loader import load_library
from bot.core.matching.matcher import Matcher
from bot.core.matching.waiting import reads_as_question
from tests.eval.scoring import (
    TOPIC_HELD_OUT_PARTS,
    TOPIC_TUNING_PARTS,
    URGENT_HELD_OUT_PARTS,
    URGENT_TUNING_PARTS,
    WAITING_HELD_OUT_PARTS,
    WAITING_TUNING_PARTS,
    TopicCase,
    UrgentCase,
    WaitingCase,
    library_without,
    parts_present,
    percentile,
    score_topics,
    topic_cases,
    urgent_cases,
    waiting_cases,
)

CONTENT = Path(__file__).resolve().parent.parent / "content"
_OBVIOUS = re.compile(
    r"\b(gas|smell|carbon|monoxide|co alarm|soot|wires?|sparks?|shock|electric|asbestos|"
    r"suicide|kill (?:my|him|her)self|self harm|end it|abuse|violence|hits? her|bruises?|"
    r"alone|neglect|collapsed?|fallen|not seen|no answer)\b",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^\s*(what|how|why|when|where|who|which|is|are|can|should|do|does)\b", re.I
)


def _urgent_figures(flags: list[bool], cases: list[UrgentCase]) -> dict[str, float]:
    urgent = [flag for flag, case in zip(flags, cases, strict=True) if case.urgent]
    calm = [flag for flag, case in zip(flags, cases, strict=True) if not case.urgent]
    return {
        "urgent_recall": sum(urgent) / len(urgent),
        "urgent_missed": float(len(urgent) - sum(urgent)),
        "near_miss_false_alarms": sum(calm) / len(calm),
    }


def _waiting_accuracy(said_question: list[bool], cases: list[WaitingCase]) -> float:
    right = sum(said == case.is_question for said, case in zip(said_question, cases, strict=True))
    return right / len(cases)


#: Spent parts from before held-out parts held chat.
_NO_CHAT = frozenset({"spent1", "spent2"})


def evaluation_cases(
    held_out: bool,
) -> tuple[list[UrgentCase], list[WaitingCase], list[TopicCase]]:
    """Every held-out part there is or, to try a change without spending a held-out
    part, every tuning part. The routing parts are those that hold chat too."""
    urgent_parts = URGENT_HELD_OUT_PARTS if held_out else URGENT_TUNING_PARTS
    waiting_parts = WAITING_HELD_OUT_PARTS if held_out else WAITING_TUNING_PARTS
    spent = [part for part in TOPIC_TUNING_PARTS if part.startswith("spent")]
    routing_tuning_parts = ("tune3", "tune4", *(part for part in spent if part not in _NO_CHAT))
    topic_parts = TOPIC_HELD_OUT_PARTS if held_out else routing_tuning_parts
    urgent = [case for part in parts_present("urgent", urgent_parts) for case in urgent_cases(part)]
    waiting = [
        case for part in parts_present("waiting", waiting_parts) for case in waiting_cases(part)
    ]
    routing = [case for part in parts_present("topic", topic_parts) for case in topic_cases(part)]
    if not urgent or not waiting or not routing:
        raise SystemExit("No evaluation parts found in tests/eval for this run.")
    return urgent, waiting, routing


def run(held_out: bool = True, baselines: bool = True) -> dict[str, dict[str, float]]:
    """The figures on the held-out parts (or, to try a change, the tuning parts).

    The difflib baseline takes minutes; ``baselines=False`` leaves it out when trying a
    change: ``python -m bench.coaching --tuning``.
    """
    library = load_library(CONTENT)
    matcher = Matcher(library)
    urgent, waiting, routing = evaluation_cases(held_out)
    for case in topic_cases("tune3"):
        matcher.route(case.text)  # warm caches, as a bot is after its first messages

    coach: dict[str, float] = {}
    coach |= _urgent_figures([matcher.route(c.text).urgent is not None for c in urgent], urgent)
    coach["waiting_accuracy"] = _waiting_accuracy(
        [
            reads_as_question(matcher, library.prompts[c.prompt], c.text, matcher.route(c.text))
            for c in waiting
        ],
        waiting,
    )
    topics = score_topics(lambda text: matcher.route(text).topic, routing)
    timings: list[float] = []
    for case in [*routing, *(c for c in urgent)]:
        started = time.perf_counter()
        matcher.route(case.text)
        timings.append((time.perf_counter() - started) * 1000)
    coach |= {
        "topic_accuracy": topics.topic_accuracy,
        "off_topic_recall": topics.off_topic_recall,
        "on_topic_refused": topics.off_topic_false_positive_rate,
        "route_p50_ms": percentile(timings, 0.5),
        "route_p99_ms": percentile(timings, 0.99),
        "urgent_cases": float(len(urgent)),
        "waiting_cases": float(len(waiting)),
        "routing_cases": float(len(routing)),
    }

    if not baselines:
        return {"doorstep-coach": coach}
    baseline: dict[str, float] = {}
    baseline |= _urgent_figures([bool(_OBVIOUS.search(c.text)) for c in urgent], urgent)
    baseline["waiting_accuracy"] = _waiting_accuracy(
        [bool(_QUESTION_START.match(c.text)) or "?" in c.text for c in waiting], waiting
    )
    difflib = Baseline("difflib", _difflib_best, library)
    _, route = difflib.tuned_router(topic_cases("tune3"))
    difflib_topics = score_topics(route, routing)
    baseline |= {
        "topic_accuracy": difflib_topics.topic_accuracy,
        "off_topic_recall": difflib_topics.off_topic_recall,
        "on_topic_refused": difflib_topics.off_topic_false_positive_rate,
        "route_p50_ms": percentile(difflib_topics.latencies_ms, 0.5),
        "route_p99_ms": percentile(difflib_topics.latencies_ms, 0.99),
    }
    return {"doorstep-coach": coach, "baseline": baseline}


def leave_out(parts: Sequence[str]) -> str:
    """Routing on tuning parts that ``content/asked.yaml`` holds, each scored with its own
    messages taken out of that file first: what the router makes of wordings it has
    not learnt, which scoring a part it has learnt from can't tell.

        python -m bench.coaching --leave-out spent5,tune4
    """
    library = load_library(CONTENT)
    lines = ["Routing, each part left out of content/asked.yaml in turn"]
    for part in parts:
        cases = topic_cases(part)
        route = Matcher(library_without(library, (case.text for case in cases))).route
        scores = score_topics(lambda text, route=route: route(text).topic, cases)
        lines.append(
            f"{part:10} {len(cases):4} messages: topic {scores.topic_accuracy:.1%}, off-topic "
            f"recall {scores.off_topic_recall:.1%}, on-topic refused "
            f"{scores.off_topic_false_positive_rate:.1%}"
        )
    return "\n".join(lines)


def waiting_leave_out(parts: Sequence[str]) -> str:
    """Messages typed while a scenario waits, on tuning parts that
    ``content/typed_while_waiting.yaml`` holds, each scored with its own messages taken
    out of that file first (a matcher is built for each, so this takes minutes):

        python -m bench.coaching --leave-out-waiting spent8,tune9a
    """
    library = load_library(CONTENT)
    lines = ["Answers and questions while a scenario waits, each part left out in turn"]
    for part in parts:
        cases = waiting_cases(part)
        matcher = Matcher(library_without(library, (case.text for case in cases)))
        said = [
            reads_as_question(matcher, library.prompts[c.prompt], c.text, matcher.route(c.text))
            for c in cases
        ]
        lines.append(
            f"{part:10} {len(cases):4} messages: told apart {_waiting_accuracy(said, cases):.1%}"
        )
    return "\n".join(lines)


def report(results: dict[str, dict[str, float]], held_out: bool = True) -> str:
    columns = [
        ("urgent_recall", "urgent R", "{:.1%}"),
        ("near_miss_false_alarms", "near-miss FA", "{:.1%}"),
        ("waiting_accuracy", "waiting acc", "{:.1%}"),
        ("topic_accuracy", "topic acc", "{:.1%}"),
        ("off_topic_recall", "off-topic R", "{:.1%}"),
        ("on_topic_refused", "refused", "{:.1%}"),
        ("route_p99_ms", "p99 ms", "{:.3f}"),
    ]
    coach = results["doorstep-coach"]
    lines = [
        f"Coaching safety, {'held-out' if held_out else 'tuning'} parts: "
        f"{coach['urgent_cases']:.0f} urgent and near-miss "
        f"messages, {coach['waiting_cases']:.0f} typed while a scenario waits, "
        f"{coach['routing_cases']:.0f} routed (with chat)",
        "baselines: keyword list (urgent), '?' or a question word first (waiting), "
        "difflib with a tuned cut-off (routing)",
        f"{'':16}" + "".join(f"{title:>14}" for _, title, _ in columns),
    ]
    for name, figures in results.items():
        lines.append(
            f"{name:16}" + "".join(f"{fmt.format(figures[key]):>14}" for key, _, fmt in columns)
        )
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    if "--leave-out" in sys.argv:
        print(leave_out(sys.argv[sys.argv.index("--leave-out") + 1].split(",")))
    elif "--leave-out-waiting" in sys.argv:
        parts = sys.argv[sys.argv.index("--leave-out-waiting") + 1].split(",")
        print(waiting_leave_out(parts))
    else:
        tuning = "--tuning" in sys.argv
        print(report(run(held_out=not tuning, baselines=not tuning), held_out=not tuning))
