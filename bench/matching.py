"""How well and how fast the matcher understands operatives, against two baselines.

Baselines, measured in the same run on the same held-out set:
- difflib: ``SequenceMatcher.ratio`` of the raw message against every tip question;
- WRatio: plain rapidfuzz ``WRatio`` against every tip question, without normalising.
Each baseline takes the topic of its best-scoring question, and calls a message
off-topic below a cut-off chosen on the tuning parts that hold off-topic messages
(the best it can do there).
For verdicts, each baseline takes the verdict of the closest rubric example.
Topic routing is also scored on the second held-out part, ``heldout2``.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.core.content import Library, load_library
from bot.core.matching import Matcher
from tests.eval.scoring import (
    TOPIC_TUNING_PARTS,
    TopicCase,
    percentile,
    score_topics,
    score_verdicts,
    topic_cases,
    verdict_cases,
)

CONTENT = Path(__file__).resolve().parent.parent / "content"
Scorer = Callable[[str, Sequence[str]], tuple[int, float]]


def _difflib_best(text: str, choices: Sequence[str]) -> tuple[int, float]:
    matcher = difflib.SequenceMatcher(autojunk=False)
    matcher.set_seq2(text.lower())
    best, best_score = 0, -1.0
    for index, choice in enumerate(choices):
        matcher.set_seq1(choice.lower())
        score = matcher.ratio()
        if score > best_score:
            best, best_score = index, score
    return best, best_score


def _wratio_best(text: str, choices: Sequence[str]) -> tuple[int, float]:
    found = process.extractOne(text, choices, scorer=fuzz.WRatio)
    return (found[2], found[1] / 100) if found else (0, 0.0)


@dataclass(frozen=True)
class Baseline:
    name: str
    best: Scorer
    library: Library

    def questions(self) -> tuple[list[str], list[str]]:
        texts, topics = [], []
        for tip in self.library.tips.values():
            for question in tip.questions:
                texts.append(question)
                topics.append(self.library.topic_of[tip.id])
        return texts, topics

    def router(self, cut_off: float) -> Callable[[str], str | None]:
        texts, topics = self.questions()

        def route(text: str) -> str | None:
            index, score = self.best(text, texts)
            return topics[index] if score >= cut_off else None

        return route

    def tuned_router(self, tune: Sequence[TopicCase]) -> tuple[float, Callable[[str], str | None]]:
        """The cut-off with the best tuning-set topic accuracy whose off-topic false
        positives stay within our own target (5%); the same bar the coach must meet."""
        texts, topics = self.questions()
        scored = [(case, *self.best(case.text, texts)) for case in tune]
        on_topic = [row for row in scored if row[0].topic is not None]

        def accuracy(cut_off: float) -> float:
            right = sum(
                score >= cut_off and topics[index] == case.topic for case, index, score in on_topic
            )
            return right / len(on_topic)

        def false_positives(cut_off: float) -> float:
            return sum(score < cut_off for _, _, score in on_topic) / len(on_topic)

        allowed = [c / 100 for c in range(0, 101) if false_positives(c / 100) <= 0.05]
        cut_off = max(allowed, key=accuracy)
        return cut_off, self.router(cut_off)

    def judge(self) -> Callable[[str, str], str | None]:
        def verdict(prompt_id: str, reply: str) -> str | None:
            prompt = self.library.prompts[prompt_id]
            pairs = [(e, p.verdict) for p in prompt.rubric for e in p.examples]
            index, _ = self.best(reply, [example for example, _ in pairs])
            return pairs[index][1]

        return verdict


def run() -> dict[str, dict[str, float]]:
    load_started = time.perf_counter()
    library = load_library(CONTENT)
    matcher = Matcher(library)
    load_seconds = time.perf_counter() - load_started
    heldout_topics = topic_cases("heldout")
    second_topics = topic_cases("heldout2")
    heldout_verdicts = verdict_cases("heldout")
    tune_topics = [case for part in TOPIC_TUNING_PARTS for case in topic_cases(part)]
    # The parts that hold off-topic messages too; enough to place a baseline's cut-off,
    # and difflib against every tip question is slow.
    baseline_tune = [case for part in ("tune", "dev", "dev2") for case in topic_cases(part)]

    results: dict[str, dict[str, float]] = {}

    def record(
        name: str, route: Callable[[str], str | None], judge: Callable[[str, str], str | None]
    ) -> None:
        topics = score_topics(route, heldout_topics)
        verdicts = score_verdicts(judge, heldout_verdicts)
        latencies = [*topics.latencies_ms, *verdicts.latencies_ms]
        second = score_topics(route, second_topics)
        results[name] = {
            "heldout2_topic_accuracy": second.topic_accuracy,
            "heldout2_off_topic_precision": second.off_topic_precision,
            "heldout2_off_topic_recall": second.off_topic_recall,
            "heldout2_off_topic_false_positive_rate": second.off_topic_false_positive_rate,
            "topic_accuracy": topics.topic_accuracy,
            "off_topic_precision": topics.off_topic_precision,
            "off_topic_recall": topics.off_topic_recall,
            "off_topic_false_positive_rate": topics.off_topic_false_positive_rate,
            "verdict_accuracy": verdicts.accuracy,
            "p50_ms": percentile(latencies, 0.50),
            "p99_ms": percentile(latencies, 0.99),
        }

    # Warm up caches as a running bot would be after its first few messages.
    for case in tune_topics:
        matcher.route(case.text)
    record(
        "doorstep-coach",
        lambda text: matcher.route(text).topic,
        lambda prompt_id, reply: matcher.judge(library.prompts[prompt_id], reply).verdict,
    )
    for name, best in (("baseline: difflib", _difflib_best), ("baseline: WRatio", _wratio_best)):
        baseline = Baseline(name, best, library)
        _, route = baseline.tuned_router(baseline_tune)
        record(name, route, baseline.judge())
    results["doorstep-coach"]["load_seconds"] = load_seconds
    return results


def report(results: dict[str, dict[str, float]]) -> str:
    columns = [
        ("topic_accuracy", "topic acc", "{:.1%}"),
        ("off_topic_precision", "off-topic P", "{:.1%}"),
        ("off_topic_recall", "off-topic R", "{:.1%}"),
        ("off_topic_false_positive_rate", "off-topic FP", "{:.1%}"),
        ("verdict_accuracy", "verdict acc", "{:.1%}"),
        ("p50_ms", "p50 ms", "{:.3f}"),
        ("p99_ms", "p99 ms", "{:.3f}"),
    ]
    lines = [
        "Matching, held-out set "
        f"({len(topic_cases('heldout'))} messages, {len(verdict_cases('heldout'))} replies)",
        f"{'':22}" + "".join(f"{title:>14}" for _, title, _ in columns),
    ]
    for name, figures in results.items():
        lines.append(
            f"{name:22}" + "".join(f"{fmt.format(figures[key]):>14}" for key, _, fmt in columns)
        )
    second = columns[:4]
    lines += [
        f"Topics, second held-out set ({len(topic_cases('heldout2'))} messages)",
        f"{'':22}" + "".join(f"{title:>14}" for _, title, _ in second),
    ]
    for name, figures in results.items():
        lines.append(
            f"{name:22}"
            + "".join(f"{fmt.format(figures['heldout2_' + key]):>14}" for key, _, fmt in second)
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
