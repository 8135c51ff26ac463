"""Writes ``content/replied.yaml`` from the verdict tuning parts.

The judge learns from the replies in that file how partial and concern answers are
really worded (see :class:`bot.core.content.library.RepliedFile`). Only tuning parts go
in: a held-out part never does, until its round closes and it is renamed ``spent…``.
Scores on the tuning parts are then taken leaving each part's own replies out
(``bench.matching``), so they stay honest.

    python -m tests.eval.export_replied
"""

from __future__ import annotations

from collections.abc import Sequence

from tests.eval.exporting import write_content
from tests.eval.scoring import VERDICT_TUNING_PARTS, verdict_cases, verdict_parts_present

HEADER = """\
# Replies operatives have typed to the daily prompts, by prompt and by the verdict a
# trainer gave them. The judge learns from these how partial and concern answers are
# really worded, across every prompt. They come from the verdict tuning parts of
# tests/eval, written by people who saw only the scenarios and the topic table;
# regenerate with
#   python -m tests.eval.export_replied
# Never add a held-out part's replies here.
"""


def replied_by_prompt(parts: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    """Each prompt's replies by verdict, in the parts' order, without repeats."""
    by_prompt: dict[str, dict[str, list[str]]] = {}
    seen: set[tuple[str, str]] = set()
    for part in parts:
        for case in verdict_cases(part):
            text = " ".join(case.reply.split())
            if (case.prompt, text.lower()) in seen:
                continue
            seen.add((case.prompt, text.lower()))
            by_prompt.setdefault(case.prompt, {}).setdefault(case.verdict, []).append(text)
    return dict(sorted(by_prompt.items()))


def main() -> None:
    by_prompt = replied_by_prompt(verdict_parts_present(VERDICT_TUNING_PARTS))
    write_content("replied.yaml", HEADER, {"prompts": by_prompt})
    total = sum(len(replies) for verdicts in by_prompt.values() for replies in verdicts.values())
    print(f"content/replied.yaml: {total} replies to {len(by_prompt)} prompts")


if __name__ == "__main__":
    main()
