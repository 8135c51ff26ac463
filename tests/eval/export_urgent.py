"""Writes ``content/urgent_asked.yaml`` from the urgent tuning parts.

The urgent model learns from the messages in that file how operatives really tell of
an emergency, and of things that only sound like one (see
:class:`bot.core.content.library.UrgentAskedFile`). Only tuning parts go in: a
held-out part never does, until its round closes and it is renamed ``spent…``.

    python -m tests.eval.export_urgent
"""

from __future__ import annotations

from tests.eval.exporting import grouped, write_content
from tests.eval.scoring import URGENT_TUNING_PARTS, parts_present, urgent_cases

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
    return grouped(
        (case.kind if case.urgent else None, case.text)
        for part in parts_present("urgent", URGENT_TUNING_PARTS)
        for case in urgent_cases(part)
    )


def main() -> None:
    by_kind, calm = urgent_by_kind()
    write_content("urgent_asked.yaml", HEADER, {"kinds": by_kind, "calm": calm})
    total = sum(map(len, by_kind.values()))
    print(f"content/urgent_asked.yaml: {total} urgent messages, {len(calm)} near misses")


if __name__ == "__main__":
    main()
