"""Run every benchmark and print its figures beside its baseline."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import coaching, delivery, fuzz, matching, reliability, replicas, replies, reports

RESULTS = Path(__file__).resolve().parent / "results"


def main(selected: list[str]) -> int:
    suites = {
        "matching": matching,
        "coaching": coaching,
        "delivery": delivery,
        "reliability": reliability,
        "replicas": replicas,
        "reports": reports,
        "replies": replies,
        "fuzz": fuzz,
    }
    RESULTS.mkdir(exist_ok=True)
    for name, suite in suites.items():
        if selected and name not in selected:
            continue
        figures = suite.run()
        print(suite.report(figures), end="\n\n", flush=True)
        (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
