"""The urgent detector on each tuning part apart, to judge whether a change generalises.

For each tuning part: urgent recall and near-miss false alarms for the whole detector
(as the coach routes), for the signs alone and for the naive-Bayes model alone (the
part meant to catch new wordings, so the one whose figures say most about what the
next held-out part will see). Then leave-one-part-out for the model's threshold: the
threshold is chosen on the other parts and scored on the one left out.

    PYTHONPATH=. python -m bench.urgent_parts            # the table
    PYTHONPATH=. python -m bench.urgent_parts --misses spent4   # what one part misses

Held-out parts are never read here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bot.core.content.loader import load_library
from bot.core.matching.matcher import Matcher
from bot.core.matching.urgent import URGENT_BELIEF
from tests.eval.scoring import URGENT_TUNING_PARTS, UrgentCase, parts_present, urgent_cases

CONTENT = Path(__file__).resolve().parent.parent / "content"
#: Thresholds tried for leave-one-part-out.
THRESHOLDS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
#: What a miss costs beside a false alarm, when a threshold is chosen: a miss can cost
#: a life, a false alarm a safety tip.
MISS_COST = 10.0


@dataclass(frozen=True)
class Figures:
    recall: float
    missed: int
    false_alarms: float

    def __str__(self) -> str:
        return f"{self.recall:6.1%} ({self.missed:2d} missed) FA {self.false_alarms:5.1%}"


def figures(flags: list[bool], cases: list[UrgentCase]) -> Figures:
    urgent = [flag for flag, case in zip(flags, cases, strict=True) if case.urgent]
    calm = [flag for flag, case in zip(flags, cases, strict=True) if not case.urgent]
    return Figures(sum(urgent) / len(urgent), len(urgent) - sum(urgent), sum(calm) / len(calm))


def _routed(matcher: Matcher, text: str) -> bool:
    return matcher.route(text).urgent is not None


def _model_says(matcher: Matcher, text: str, threshold: float) -> bool:
    matcher.urgent._urgent_belief = threshold
    try:
        return matcher.urgent.believed(text) is not None
    finally:
        matcher.urgent._urgent_belief = URGENT_BELIEF


def _routed_at(matcher: Matcher, text: str, threshold: float) -> bool:
    matcher.urgent._urgent_belief = threshold
    try:
        return _routed(matcher, text)
    finally:
        matcher.urgent._urgent_belief = URGENT_BELIEF


def table(matcher: Matcher, parts: list[str]) -> str:
    lines = [f"{'part':8} {'routed':34} {'signs alone':34} model alone (at {URGENT_BELIEF})"]
    for part in parts:
        cases = urgent_cases(part)
        routed = figures([_routed(matcher, c.text) for c in cases], cases)
        signs = figures([matcher.urgent.signed(c.text) is not None for c in cases], cases)
        model = figures([_model_says(matcher, c.text, URGENT_BELIEF) for c in cases], cases)
        lines.append(f"{part:8} {routed!s:34} {signs!s:34} {model}")
    return "\n".join(lines)


def leave_one_out(matcher: Matcher, parts: list[str]) -> str:
    """For each part: the threshold the other parts choose, and what it scores on the
    part left out.

    The choice is made on the model alone (fewest misses, a miss costing MISS_COST
    false alarms): the signs were written with the tuning parts in view and catch all of
    some, so routed figures there can't say how a threshold meets new wordings.
    """
    cases = {part: urgent_cases(part) for part in parts}
    model = {
        part: {
            threshold: figures(
                [_model_says(matcher, c.text, threshold) for c in cases[part]], cases[part]
            )
            for threshold in THRESHOLDS
        }
        for part in parts
    }

    def cost(part: str, threshold: float) -> float:
        found = model[part][threshold]
        calm = sum(not c.urgent for c in cases[part])
        return MISS_COST * found.missed + found.false_alarms * calm

    lines = ["leave-one-part-out threshold (chosen on the other parts' model-alone figures):"]
    for left_out in parts:
        others = [part for part in parts if part != left_out]
        chosen = min(THRESHOLDS, key=lambda t: (sum(cost(p, t) for p in others), -t))
        routed = figures(
            [_routed_at(matcher, c.text, chosen) for c in cases[left_out]], cases[left_out]
        )
        lines.append(
            f"  {left_out:8} {chosen:.2f}: routed {routed}; model alone {model[left_out][chosen]}"
        )
    return "\n".join(lines)


def misses(matcher: Matcher, part: str) -> str:
    lines = []
    for case in urgent_cases(part):
        route = matcher.route(case.text)
        if (route.urgent is not None) != case.urgent:
            said = route.urgent or "-"
            how = "sign" if matcher.urgent.signed(case.text) else "model"
            label = "MISS" if case.urgent else f"FA {said} ({how})"
            lines.append(f"{label:32} {case.kind:18} {case.text}")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    matcher = Matcher(load_library(CONTENT))
    parts = parts_present("urgent", URGENT_TUNING_PARTS)
    if "--misses" in argv:
        print(misses(matcher, argv[argv.index("--misses") + 1]))
        return
    print(table(matcher, parts))
    if "--lopo" in argv:
        print(leave_one_out(matcher, parts))


if __name__ == "__main__":
    main(sys.argv[1:])
