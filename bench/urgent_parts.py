"""The urgent detector on each tuning part apart, to judge whether a change generalises.

The models learn from every urgent tuning part (``content/urgent_asked.yaml``), so each
part is scored by a matcher that learnt from the others only: what the coach makes of
wordings it has never seen. For each part: urgent recall and near-miss false alarms for
the whole detector (as the coach routes), for the signs alone and for the models alone
(the part meant to catch new wordings).

    PYTHONPATH=. python -m bench.urgent_parts                  # the table
    PYTHONPATH=. python -m bench.urgent_parts --misses spent4  # what one part misses

Held-out parts are never read here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from bot.core.content.library import Library
from bot.core.content.loader import load_library
from bot.core.matching.matcher import Matcher
from tests.eval.scoring import (
    URGENT_TUNING_PARTS,
    UrgentCase,
    library_without,
    parts_present,
    urgent_cases,
)

CONTENT = Path(__file__).resolve().parent.parent / "content"


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


def table(library: Library, parts: list[str]) -> str:
    lines = [
        "each part scored by a matcher that did not learn it",
        f"{'part':8} {'routed':34} {'signs alone':34} models alone",
    ]
    total = [0, 0]
    for part in parts:
        cases = urgent_cases(part)
        matcher = Matcher(library_without(library, (c.text for c in cases)))
        routed = figures([matcher.route(c.text).urgent is not None for c in cases], cases)
        signs = figures([matcher.urgent.signed(c.text) is not None for c in cases], cases)
        models = figures([matcher.urgent.believed(c.text) is not None for c in cases], cases)
        lines.append(f"{part:8} {routed!s:34} {signs!s:34} {models}")
        total[0] += routed.missed
        total[1] += sum(case.urgent for case in cases)
    lines.append(f"routed, all parts: {total[0]} missed of {total[1]} urgent messages")
    return "\n".join(lines)


def misses(library: Library, part: str) -> str:
    cases = urgent_cases(part)
    matcher = Matcher(library_without(library, (c.text for c in cases)))
    lines = []
    for case in cases:
        route = matcher.route(case.text)
        if (route.urgent is not None) != case.urgent:
            said = route.urgent or "-"
            how = "sign" if matcher.urgent.signed(case.text) else "model"
            label = "MISS" if case.urgent else f"FA {said} ({how})"
            lines.append(f"{label:32} {case.kind:18} {case.text}")
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    library = load_library(CONTENT)
    if "--misses" in argv:
        print(misses(library, argv[argv.index("--misses") + 1]))
        return
    print(table(library, parts_present("urgent", URGENT_TUNING_PARTS)))


if __name__ == "__main__":
    main(sys.argv[1:])
