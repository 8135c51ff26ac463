"""Writes ``content/asked.yaml`` from the topic tuning parts.

The matcher learns from the messages in that file how operatives really ask (see
:class:`bot.core.content.library.AskedFile`). Only tuning parts go in: a held-out part
never does, until its round closes and it is renamed ``spent…``.

    python -m tests.eval.export_asked
"""

from __future__ import annotations

from tests.eval.exporting import grouped, write_content
from tests.eval.scoring import TOPIC_TUNING_PARTS, parts_present, topic_cases

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
    return grouped(
        (case.topic, case.text)
        for part in parts_present("topic", TOPIC_TUNING_PARTS)
        for case in topic_cases(part)
    )


def main() -> None:
    by_topic, off_topic = asked_by_topic()
    write_content("asked.yaml", HEADER, {"topics": by_topic, "off_topic": off_topic})
    total = sum(map(len, by_topic.values()))
    print(f"content/asked.yaml: {total} on-topic messages, {len(off_topic)} off-topic")


if __name__ == "__main__":
    main()
