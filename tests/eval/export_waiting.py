"""Writes ``content/typed_while_waiting.yaml`` from the waiting tuning parts.

The model that tells an answer from a question asked instead learns from the messages
in that file (see :mod:`bot.core.matching.answer_or_question`). Only tuning parts go
in: a held-out part never does, until its round closes and it is renamed ``spent…``.

    python -m tests.eval.export_waiting
"""

from __future__ import annotations

from tests.eval.exporting import grouped, write_content
from tests.eval.scoring import WAITING_TUNING_PARTS, parts_present, waiting_cases

HEADER = """\
# Messages operatives have typed while a daily scenario waited for their answer: the
# answers, and the questions they asked instead. A model learns from these how a
# question is put without a question word or mark, and how an answer sounds when it
# quotes one. They come from the waiting tuning parts of tests/eval, written by people
# who saw only the scenarios and the topic table; regenerate with
#   python -m tests.eval.export_waiting
# Never add a held-out part's messages here.
"""


def typed_while_waiting() -> tuple[list[str], list[str]]:
    """The answers and the questions, in the parts' order, without repeats."""
    by_kind, _ = grouped(
        ("question" if case.is_question else "answer", case.text)
        for part in parts_present("waiting", WAITING_TUNING_PARTS)
        for case in waiting_cases(part)
    )
    return by_kind.get("answer", []), by_kind.get("question", [])


def main() -> None:
    answers, questions = typed_while_waiting()
    write_content("typed_while_waiting.yaml", HEADER, {"answers": answers, "questions": questions})
    print(f"content/typed_while_waiting.yaml: {len(answers)} answers, {len(questions)} questions")


if __name__ == "__main__":
    main()
