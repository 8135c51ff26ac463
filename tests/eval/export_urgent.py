"""Writes ``content/urgent_asked.yaml`` from the urgent tuning parts.

The urgent model learns from the messages in that file how operatives really tell of
an emergency, and of things that only sound like one (see
:class:`bot.core.content.library.UrgentAskedFile`). Only tuning parts go in: a
held-out part never does, until its round closes and it is renamed ``spent…``.

    python -m tests.eval.export_urgent
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.eval.scoring import URGENT_TUNING_PARTS, parts_present, urgent_cases

CONTENT = Path(__file__).resolve().parents[2] / "content"
HEADER = """\
# Messages operatives have typed about each kind of emergency (kinds), and near
# misses that mention a danger but are not one now (calm). The urgent model learns
# from these how a danger is really told: often without its name, or in passing.
# They come from the urgent tuning parts of tests/eval, written by people who saw
# only the scenarios and the topic table; regenerate with
#   python -m tests.eval.export_urgent
# Never add a held-out part's messages here.
"""


def urgent_by_kind() -> tuple[dict[str, list[str]], list[str]]:
    """Each kind's messages and the calm ones, in the parts' order, without repeats."""
    by_kind: dict[str, list[str]] = {}
    calm: list[str] = []
    seen: set[str] = set()
    for part in parts_present("urgent", URGENT_TUNING_PARTS):
        for case in urgent_cases(part):
            text = " ".join(case.text.split())
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            (by_kind.setdefault(case.kind, []) if case.urgent else calm).append(text)
    return dict(sorted(by_kind.items())), calm


def main() -> None:
    by_kind, calm = urgent_by_kind()
    body = yaml.safe_dump(
        {"kinds": by_kind, "calm": calm}, sort_keys=False, allow_unicode=True, width=200
    )
    (CONTENT / "urgent_asked.yaml").write_text(HEADER + body, encoding="utf-8")
    total = sum(map(len, by_kind.values()))
    print(f"content/urgent_asked.yaml: {total} urgent messages, {len(calm)} near misses")


if __name__ == "__main__":
    main()
