"""Scores a matcher on the labelled evaluation sets in this folder.

The sets were written apart from the content, so they test understanding of
new phrasings, not recall of the content's own. Each file is one *part*; its name
says what it holds (``topic_``, ``verdict_``, ``urgent_``, ``waiting_``) and which
part it is.

Tuning parts, that choices may be made on:

- ``tune`` and ``dev``, by someone who saw only the topics' summaries and the
  prompts' scenarios; ``dev2`` to ``dev10`` (topic messages only), by writers who
  saw only design.md's topic table and the domain brief;
- ``tune3``, ``verdict_tune3``, ``urgent_tune`` and ``waiting_tune``, written for
  issue 13 by writers who saw only the scenarios, the topic table and the brief;
- ``tune4`` and its ``verdict_``, ``urgent_`` and ``waiting_`` siblings, written for
  the fourth round from situations briefed to the writers (new wordings of the
  same dangers, chat of every kind);
- ``tune6`` and its siblings, written for the sixth round by writers who saw only
  the scenarios, the topic table and the domain brief (its topic part holds 200 trade,
  technical and work-admin questions that no customer-care topic answers), and
  ``topic_tune6b`` and ``topic_tune6c``, by two more such writers, each given other
  trades, ages and regions to write as. Each was scored once, as a fresh check,
  before anything was tuned on it;
- ``tune7`` and its siblings (``topic_tune7a``, ``topic_tune7b``, ``urgent_tune7b``
  and ``urgent_tune7c``), written for the seventh round the same way, leaning on the
  doorstep topic, work-admin questions worded like customer care, and indirect signs
  of an emergency; each scored once before anything was tuned on it;
- ``topic_tune8a`` to ``topic_tune8g`` and ``urgent_tune8a`` to ``urgent_tune8f``,
  written for the eighth round the same way (close calls between topics, short and
  messy messages, long stories, trade questions that mention a tenant; emergencies
  told by what was seen and heard, or in passing); each scored once before anything
  was tuned on it;
- ``topic_tune9a``, ``topic_tune9b``, ``urgent_tune9a``, ``urgent_tune9b``,
  ``waiting_tune9a`` and ``waiting_tune9b``, written for the ninth round the same way
  (close calls between topics, chat that follows a coaching reply, trade questions
  worded like customer care; emergencies told by signs of control, veiled words or in
  passing; questions with no question word or mark, answers quoting a question, job
  notes); each scored once before anything was tuned on it;
- ``urgent_tune10a`` and ``urgent_tune10b``, written for the tenth round the same way
  (people at risk told by quiet signs together, veiled words or in passing;
  emergencies in one clause of a long message about something else), scored once
  before anything was tuned on them: recall 94.0% and 95.5%, near-miss false alarms
  22.0% and 17.0%; ``urgent_tune10c`` (dialect, second-language English, and
  operatives writing of themselves), scored once fresh: recall 98.5%, near-miss false
  alarms 13.0%; ``waiting_tune10d`` (answers that ask the tenant something, questions
  with no question word or mark), scored once fresh: 94.5% told apart;
- ``verdict_tune11a`` (close calls between partial and concern), ``verdict_tune11b``
  (many voices, 150 replies on safety prompts) and ``urgent_tune11d`` (people at risk
  told by what they said or did), written for the eleventh round the same way and
  scored once fresh: verdicts 83.0% and 88.0% (partial as strong 3.1% and 0.0%, safety
  swaps 1 and 0), urgent recall 89.0% with near-miss false alarms 48.0%;
- ``topic_tune12a`` (messages between two topics a trainer would file under one),
  ``waiting_tune12b`` (hard answers and questions while a scenario waits) and
  ``urgent_tune12c`` (emergencies told only by signs or in passing), written for the
  twelfth round the same way and scored once fresh: topics 89.7%, off-topic recall
  97.0%, refused 1.0%; waiting 95.0%; urgent recall 98.0% with near-miss false
  alarms 35.0%; and ``urgent_tune12f`` (hard near misses, people at risk told many
  ways), fresh: recall 99.3%, near-miss false alarms 41.4%; ``verdict_tune12d``
  (close calls) and ``topic_tune12e`` (many voices), fresh: verdicts 83.0% (partial
  as strong 12.5%, no safety swaps), topics 91.2% (off-topic recall 96.0%, refused
  1.5%);
- ``urgent_tune14a`` (people at risk told quietly), ``urgent_tune14b`` (emergencies in
  unusual words, often one clause of a long message) and ``verdict_tune14c`` (close
  calls), written for the fourteenth round the same way and scored once fresh: urgent
  recall 96.7% and 95.3%, near-miss false alarms 37.5% and 27.1%; verdicts 85.8%
  (partial as strong 9.0%, no safety swaps); ``topic_tune14d`` (tricky chat and trade
  talk that mentions tenants) and ``waiting_tune14e`` (answers that ask, questions put
  as statements), fresh: topics 94.0%, off-topic recall 90.0%, refused 1.25%; waiting
  91.4%;
- ``urgent_tune15a`` (emergencies told in passing, in one clause of a long question
  about something ordinary), written for the fifteenth round the same way and scored
  once fresh: recall 98.7%, near-miss false alarms 28.6%;
- ``urgent_tune16a`` (people at risk, self-harm most of all, told in passing in one aside
  of an ordinary question), written for the sixteenth round the same way and scored
  once fresh: recall 84.0% (24 of 150 missed), near-miss false alarms 26.0%;
- the *spent* parts ``spent1`` to ``spent16``: held-out parts of earlier rounds
  (``heldout``, ``heldout2`` to ``heldout16``). Each was scored and reported when its
  round closed; from then on it is tuning data like any other.

The verdict tuning parts' replies are in ``content/replied.yaml``
(``export_replied``), which the judge learns from: ``bench.matching`` scores each
verdict tuning part with a judge that learnt from the other parts only.

Held-out parts, only ever reported: ``heldout17`` and its siblings, written for the
seventeenth round by writers who saw only the scenarios, the topic table and the domain
brief, and committed before they were ever scored. They stay the parts the
benchmark reports until the next round begins; then they are renamed ``spent17``
and that round's writers write fresh ones. Each round's held-out parts are scored
once, when its choices are all made (that session's closing note gives the figures).

Verdict parts mark the replies to safety prompts with ``safety: true``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from bot.core.content.library import Library

HERE = Path(__file__).resolve().parent

#: The parts that choices may be made on (a missing file is skipped: see ``parts_present``).
TOPIC_TUNING_PARTS = (
    "tune",
    "dev",
    *(f"dev{number}" for number in range(2, 11)),
    "tune3",
    "tune4",
    "spent1",
    "spent2",
    "spent3",
    "spent4",
    "spent5",
    "tune6",
    "tune6b",
    "tune6c",
    "spent6",
    "tune7a",
    "tune7b",
    "spent7",
    "spent8",
    *(f"tune8{letter}" for letter in "abcdefg"),
    "tune9a",
    "tune9b",
    "spent9",
    "spent10",
    "spent11",
    "tune12a",
    "tune12e",
    "spent12",
    "spent13",
    "tune14d",
    "spent14",
    "spent15",
    "spent16",
)
VERDICT_TUNING_PARTS = (
    "tune",
    "dev",
    "tune3",
    "tune4",
    "spent1",
    "spent3",
    "spent4",
    "spent5",
    "tune6",
    "spent6",
    "tune7",
    "spent7",
    "spent8",
    "spent9",
    "spent10",
    "spent11",
    "tune11a",
    "tune11b",
    "tune12d",
    "spent12",
    "spent13",
    "tune14c",
    "spent14",
    "spent15",
    "spent16",
)
WAITING_TUNING_PARTS = (
    "tune",
    "tune4",
    "spent3",
    "spent4",
    "spent5",
    "tune6",
    "spent6",
    "tune7",
    "spent7",
    "spent8",
    "tune9a",
    "tune9b",
    "spent9",
    "tune10d",
    "spent10",
    "spent11",
    "tune12b",
    "spent12",
    "spent13",
    "tune14e",
    "spent14",
    "spent15",
    "spent16",
)
#: The waiting parts' urgent siblings, and the urgent parts written on their own.
URGENT_TUNING_PARTS = (
    *WAITING_TUNING_PARTS,
    "tune7b",
    "tune7c",
    *(f"tune8{letter}" for letter in "abcdef"),
    "tune10a",
    "tune10b",
    "tune10c",
    "tune11d",
    "tune12c",
    "tune12f",
    "tune14a",
    "tune14b",
    "tune15a",
    "tune16a",
)
#: The parts only ever reported.
TOPIC_HELD_OUT_PARTS = ("heldout17",)
VERDICT_HELD_OUT_PARTS = ("heldout17",)
URGENT_HELD_OUT_PARTS = ("heldout17",)
WAITING_HELD_OUT_PARTS = ("heldout17",)


def same_text(text: str) -> str:
    """A message as the exporters compare it: spacing and case aside."""
    return " ".join(text.split()).lower()


def library_without(library: Library, texts: Iterable[str]) -> Library:
    """The library with these messages taken out of what the matcher learns from typed
    messages (``asked.yaml``, ``urgent_asked.yaml`` and ``typed_while_waiting.yaml``):
    to score a tuning part on wordings the matcher has never seen."""
    held_back = {same_text(text) for text in texts}

    def kept(messages: Iterable[str]) -> tuple[str, ...]:
        return tuple(message for message in messages if same_text(message) not in held_back)

    return replace(
        library,
        asked={topic: kept(messages) for topic, messages in library.asked.items()},
        asked_off_topic=kept(library.asked_off_topic),
        urgent_asked={kind: kept(messages) for kind, messages in library.urgent_asked.items()},
        urgent_asked_calm=kept(library.urgent_asked_calm),
        waiting_answers=kept(library.waiting_answers),
        waiting_questions=kept(library.waiting_questions),
    )


def parts_present(kind: str, parts: Sequence[str]) -> list[str]:
    """The parts of ``kind`` (topic, verdict, urgent, waiting) whose files exist.

    A part may be added later, so benchmarks and tests ask for what is there.
    """
    return [part for part in parts if (HERE / f"{kind}_{part}.yaml").exists()]


@dataclass(frozen=True)
class TopicCase:
    text: str
    topic: str | None


@dataclass(frozen=True)
class VerdictCase:
    prompt: str
    reply: str
    verdict: str
    #: A reply to a prompt about safety, where strong and concern must never swap.
    safety: bool = False


@dataclass(frozen=True)
class UrgentCase:
    text: str
    urgent: bool
    kind: str


@dataclass(frozen=True)
class WaitingCase:
    """A message typed while ``prompt`` waits: its answer, or a question."""

    prompt: str
    text: str
    is_question: bool


def urgent_cases(part: str) -> list[UrgentCase]:
    rows = yaml.safe_load((HERE / f"urgent_{part}.yaml").read_text(encoding="utf-8"))
    return [UrgentCase(str(row["text"]), bool(row["urgent"]), str(row["kind"])) for row in rows]


def waiting_cases(part: str) -> list[WaitingCase]:
    rows = yaml.safe_load((HERE / f"waiting_{part}.yaml").read_text(encoding="utf-8"))
    return [WaitingCase(row["prompt"], str(row["text"]), row["kind"] == "question") for row in rows]


def topic_cases(part: str) -> list[TopicCase]:
    rows = yaml.safe_load((HERE / f"topic_{part}.yaml").read_text(encoding="utf-8"))
    return [TopicCase(str(row["text"]), row["topic"]) for row in rows]


def verdict_cases(part: str) -> list[VerdictCase]:
    rows = yaml.safe_load((HERE / f"verdict_{part}.yaml").read_text(encoding="utf-8"))
    return [
        VerdictCase(row["prompt"], str(row["reply"]), row["verdict"], bool(row.get("safety")))
        for row in rows
    ]


def verdict_parts_present(parts: Sequence[str]) -> list[str]:
    """The verdict parts whose files exist."""
    return parts_present("verdict", parts)


@dataclass(frozen=True)
class TopicScores:
    cases: int
    #: Share of on-topic messages routed to the right topic (off-topic ones wrongly
    #: refused count as misses).
    topic_accuracy: float
    #: Of the messages called off-topic, the share that really were.
    off_topic_precision: float
    #: Of the messages that really were off-topic, the share called off-topic.
    off_topic_recall: float
    #: Share of on-topic messages wrongly called off-topic.
    off_topic_false_positive_rate: float
    latencies_ms: tuple[float, ...]
    misses: tuple[tuple[str, str | None, str | None], ...]


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def score_topics(route: Callable[[str], str | None], cases: Sequence[TopicCase]) -> TopicScores:
    """``route`` returns a topic id, or None for off-topic."""
    on_topic_right = on_topic = said_off = said_off_right = really_off = false_off = 0
    latencies: list[float] = []
    misses: list[tuple[str, str | None, str | None]] = []
    for case in cases:
        started = time.perf_counter()
        got = route(case.text)
        latencies.append((time.perf_counter() - started) * 1000)
        if got is None:
            said_off += 1
            said_off_right += case.topic is None
        if case.topic is None:
            really_off += 1
        else:
            on_topic += 1
            on_topic_right += got == case.topic
            false_off += got is None
        if got != case.topic:
            misses.append((case.text, case.topic, got))
    return TopicScores(
        cases=len(cases),
        topic_accuracy=_ratio(on_topic_right, on_topic),
        off_topic_precision=_ratio(said_off_right, said_off),
        off_topic_recall=_ratio(said_off_right, really_off),
        off_topic_false_positive_rate=_ratio(false_off, on_topic),
        latencies_ms=tuple(latencies),
        misses=tuple(misses),
    )


@dataclass(frozen=True)
class VerdictScores:
    cases: int
    accuracy: float
    latencies_ms: tuple[float, ...]
    misses: tuple[tuple[str, str, str, str | None], ...]
    #: Of the replies a trainer called partial, the share judged strong.
    partial_as_strong: float = 0.0
    #: Replies to safety prompts judged strong when they were a concern, or the reverse.
    safety_swaps: int = 0
    safety_cases: int = 0


def score_verdicts(
    judge: Callable[[str, str], str | None], cases: Sequence[VerdictCase]
) -> VerdictScores:
    """``judge(prompt_id, reply)`` returns a verdict or None."""
    right = partials = partial_as_strong = swaps = 0
    latencies: list[float] = []
    misses: list[tuple[str, str, str, str | None]] = []
    for case in cases:
        started = time.perf_counter()
        got = judge(case.prompt, case.reply)
        latencies.append((time.perf_counter() - started) * 1000)
        right += got == case.verdict
        partials += case.verdict == "partial"
        partial_as_strong += case.verdict == "partial" and got == "strong"
        swaps += case.safety and {case.verdict, got} == {"strong", "concern"}
        if got != case.verdict:
            misses.append((case.prompt, case.reply, case.verdict, got))
    return VerdictScores(
        len(cases),
        _ratio(right, len(cases)),
        tuple(latencies),
        tuple(misses),
        partial_as_strong=_ratio(partial_as_strong, partials) if partials else 0.0,
        safety_swaps=swaps,
        safety_cases=sum(case.safety for case in cases),
    )


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]
