"""Writes ``content/asked.yaml`` from the topic tuning parts.

The matcher learns from the messages in that file how operatives really ask (see
:class:`bot.core.content.library.AskedFile`). Only tuning parts go in: a held-out part
never does, until its round closes and it is renamed ``spent…``.

    python -m tests.eval.export_asked
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.eval.scoring import TOPIC_TUNING_PARTS, parts_present, topic_cases

CONTENT = Path(__file__).resolve().parents[2] / "content"
HEADER = """\
# Messages operatives have typed to the coach, by the topic whose tips answer them,
# and (off_topic) ones that no topic answers: chat, trade questions, anything else.
# The matcher learns from these how people really ask, in words the tips' own
# questions don't use. They come from the tuning parts of tests/eval, written by
# people who saw only the scenarios and the topic table; regenerate with
#   python -m tests.eval.export_asked
# Never add a held-out part's messages here.
"""


def asked_by_topic() -> tuple[dict[str, list[str]], list[str]]:
    """Each topic's messages and the off-topic ones, in the parts' order, without repeats."""
    by_topic: dict[str, list[str]] = {}
    off_topic: list[str] = []
    seen: set[str] = set()
    for part in parts_present("topic", TOPIC_TUNING_PARTS):
        for case in topic_cases(part):
            text = " ".join(case.text.split())
            if text.lower() in seen:
                continue
            seen.add(text.lower())
            (by_topic.setdefault(case.topic, []) if case.topic else off_topic).append(text)
    return dict(sorted(by_topic.items())), off_topic


def main() -> None:
    by_topic, off_topic = asked_by_topic()
    body = yaml.safe_dump(
        {"topics": by_topic, "off_topic": off_topic},
        sort_keys=False,
        allow_unicode=True,
        width=200,
    )
    (CONTENT / "asked.yaml").write_text(HEADER + body, encoding="utf-8")
    total = sum(map(len, by_topic.values()))
    print(f"content/asked.yaml: {total} on-topic messages, {len(off_topic)} off-topic")


if __name__ == "__main__":
    main()
