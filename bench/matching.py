"""How well and how fast the matcher understands operatives, against two baselines.

Baselines, measured in the same run on the same held-out set:
- difflib: ``SequenceMatcher.ratio`` of the raw message against every tip question;
- WRatio: plain rapidfuzz ``WRatio`` against every tip question, without normalising.
Each baseline takes the topic of its best-scoring question, and calls a message
off-topic below a cut-off chosen on the tuning parts that hold off-topic messages
(the best it can do there).
For verdicts, each baseline takes the verdict of the closest rubric example.

Verdicts are also scored part by part, on the tuning parts and on the held-out
parts there are: accuracy, the share of partial answers judged strong, and
strong/concern swaps on replies to safety prompts, with the judge's latency.
Choices are made on the tuning parts only; the held-out figures are only reported.
The judge learns from the tuning parts' replies (``content/replied.yaml``), so each
tuning part is scored with a judge that learnt from the others only (leave one part
out): its figure is what a part the judge never saw would score.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from bot.core.content.library import Library
from bot.core.content.loader import load_library
from bot.core.matching.matcher import Learnt, Matcher
from tests.eval.scoring import (
    TOPIC_HELD_OUT_PARTS,
    TOPIC_TUNING_PARTS,
    VERDICT_HELD_OUT_PARTS,
    VERDICT_TUNING_PARTS,
    TopicCase,
    VerdictCase,
    parts_present,
    percentile,
    score_topics,
    score_verdicts,
    topic_cases,
    verdict_cases,
    verdict_parts_present,
)

CONTENT = Path(__file__).resolve().parent.parent / "content"
Scorer = Callable[[str, Sequence[str]], tuple[int, float]]
Judge = Callable[[str, str], str | None]
#: The judge to score a part with: the coach's leaves that part's replies out of what
#: it learnt from.
PartJudge = Callable[[str], Judge]


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


def coach_judge(library: Library, matcher: Matcher) -> PartJudge:
    """The coach's judge for a part: for a tuning part, one that learnt from the other
    parts' replies only; for a held-out part (never in ``content/replied.yaml``), the
    coach as it is."""
    tuning = set(verdict_parts_present(VERDICT_TUNING_PARTS))
    full = matcher.learnt
    learnt: dict[str, Learnt] = {}

    def judge_for(part: str) -> Judge:
        if part in tuning and part not in learnt:
            left_out = frozenset(matcher.normaliser.text(c.reply) for c in verdict_cases(part))
            learnt[part] = matcher.learn_replies(library.replied, left_out)
        chosen = learnt.get(part, full)

        def judge(prompt_id: str, reply: str) -> str | None:
            matcher.learnt = chosen
            return matcher.judge(library.prompts[prompt_id], reply).verdict

        return judge

    return judge_for


def by_part(judge_for: PartJudge, parts: Sequence[str]) -> Judge:
    """One judge for replies of several parts: each reply judged by its own part's."""
    part_of = {(case.prompt, case.reply): part for part in parts for case in verdict_cases(part)}
    judges = {part: judge_for(part) for part in parts}
    return lambda prompt_id, reply: judges[part_of[prompt_id, reply]](prompt_id, reply)


def verdict_figures(judges: dict[str, PartJudge]) -> dict[str, dict[str, float]]:
    """Per judge, per part (and all tuning, all held-out): accuracy, partial answers
    judged strong, strong/concern swaps on safety prompts, and latency."""
    tuning = verdict_parts_present(VERDICT_TUNING_PARTS)
    held_out = verdict_parts_present(VERDICT_HELD_OUT_PARTS)
    parts: dict[str, list[VerdictCase]] = {part: verdict_cases(part) for part in tuning + held_out}
    parts["tuning"] = [case for part in tuning for case in parts[part]]
    parts["held-out"] = [case for part in held_out for case in parts[part]]
    results: dict[str, dict[str, float]] = {}
    for name, judge_for in judges.items():
        figures: dict[str, float] = {}
        for part in [*tuning, "tuning", *held_out, *(["held-out"] if held_out else [])]:
            if part == "tuning":
                judge = by_part(judge_for, tuning)
            elif part == "held-out":
                judge = by_part(judge_for, held_out)
            else:
                judge = judge_for(part)
            scores = score_verdicts(judge, parts[part])
            figures[f"{part}_cases"] = scores.cases
            figures[f"{part}_accuracy"] = scores.accuracy
            figures[f"{part}_partial_as_strong"] = scores.partial_as_strong
            figures[f"{part}_safety_swaps"] = scores.safety_swaps
            figures[f"{part}_safety_cases"] = scores.safety_cases
            figures[f"{part}_p50_ms"] = percentile(scores.latencies_ms, 0.50)
            figures[f"{part}_p99_ms"] = percentile(scores.latencies_ms, 0.99)
        results[name] = figures
    return results


def _any_part(judge: Judge) -> PartJudge:
    """A judge that learnt nothing from the parts, for every part."""
    return lambda _part: judge


def verdict_report(results: dict[str, dict[str, float]]) -> str:
    held_out = verdict_parts_present(VERDICT_HELD_OUT_PARTS)
    parts = [
        *verdict_parts_present(VERDICT_TUNING_PARTS),
        "tuning",
        *held_out,
        *(["held-out"] if held_out else []),
    ]
    lines = [
        "Verdicts, by part (choices made on the tuning parts only)",
        f"{'':22}{'part':>10}{'replies':>9}{'accuracy':>10}{'partial->strong':>17}"
        f"{'safety swaps':>14}{'p50 ms':>9}{'p99 ms':>9}",
    ]
    for name, figures in results.items():
        for part in parts:
            swaps = f"{figures[f'{part}_safety_swaps']:.0f}/{figures[f'{part}_safety_cases']:.0f}"
            lines.append(
                f"{name:22}{part:>10}{figures[f'{part}_cases']:>9.0f}"
                f"{figures[f'{part}_accuracy']:>10.1%}"
                f"{figures[f'{part}_partial_as_strong']:>17.1%}{swaps:>14}"
                f"{figures[f'{part}_p50_ms']:>9.3f}{figures[f'{part}_p99_ms']:>9.3f}"
            )
    return "\n".join(lines)


def evaluation_cases(held_out: bool) -> tuple[list[TopicCase], list[VerdictCase]]:
    """The topic messages and replies scored: every held-out part there is, or (to try
    a change without spending a held-out part) every tuning part."""
    topic_parts = TOPIC_HELD_OUT_PARTS if held_out else TOPIC_TUNING_PARTS
    verdict_parts = VERDICT_HELD_OUT_PARTS if held_out else VERDICT_TUNING_PARTS
    topics = [case for part in parts_present("topic", topic_parts) for case in topic_cases(part)]
    verdicts = [
        case for part in parts_present("verdict", verdict_parts) for case in verdict_cases(part)
    ]
    if not topics or not verdicts:
        raise SystemExit("No evaluation parts found in tests/eval for this run.")
    return topics, verdicts


def run(held_out: bool = True) -> dict[str, dict[str, float]]:
    load_started = time.perf_counter()
    library = load_library(CONTENT)
    matcher = Matcher(library)
    load_seconds = time.perf_counter() - load_started
    heldout_topics, heldout_verdicts = evaluation_cases(held_out)
    tune_topics = [
        case for part in parts_present("topic", TOPIC_TUNING_PARTS) for case in topic_cases(part)
    ]
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
        results[name] = {
            "topic_cases": topics.cases,
            "verdict_cases": verdicts.cases,
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
    coach = coach_judge(library, matcher)
    verdict_parts = parts_present(
        "verdict", VERDICT_HELD_OUT_PARTS if held_out else VERDICT_TUNING_PARTS
    )
    record("doorstep-coach", lambda text: matcher.route(text).topic, by_part(coach, verdict_parts))
    judges: dict[str, PartJudge] = {"doorstep-coach": coach}
    for name, best in (("baseline: difflib", _difflib_best), ("baseline: WRatio", _wratio_best)):
        baseline = Baseline(name, best, library)
        _, route = baseline.tuned_router(baseline_tune)
        record(name, route, baseline.judge())
        judges[name] = _any_part(baseline.judge())
    results["doorstep-coach"]["load_seconds"] = load_seconds
    for name, figures in verdict_figures(judges).items():
        results[name].update({f"verdicts_{key}": value for key, value in figures.items()})
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
    coach = results["doorstep-coach"]
    lines = [
        "Matching, held-out parts "
        f"({coach['topic_cases']:.0f} messages, {coach['verdict_cases']:.0f} replies)",
        f"{'':22}" + "".join(f"{title:>14}" for _, title, _ in columns),
    ]
    for name, figures in results.items():
        lines.append(
            f"{name:22}" + "".join(f"{fmt.format(figures[key]):>14}" for key, _, fmt in columns)
        )
    verdicts = {
        name: {
            key.removeprefix("verdicts_"): value
            for key, value in figures.items()
            if key.startswith("verdicts_")
        }
        for name, figures in results.items()
    }
    return "\n".join([*lines, verdict_report(verdicts)])


def run_verdicts() -> dict[str, dict[str, float]]:
    """The verdict figures alone, for the coach and the difflib baseline (quick)."""
    library = load_library(CONTENT)
    matcher = Matcher(library)
    judges: dict[str, PartJudge] = {
        "doorstep-coach": coach_judge(library, matcher),
        "baseline: difflib": _any_part(
            Baseline("baseline: difflib", _difflib_best, library).judge()
        ),
    }
    # Warm up caches as a running bot would be after its first few replies.
    for case in verdict_cases("tune"):
        matcher.judge(library.prompts[case.prompt], case.reply)
    return verdict_figures(judges)


if __name__ == "__main__":
    import sys

    if "--tuning" in sys.argv:  # the verdicts alone, on every part there is, in seconds
        print(verdict_report(run_verdicts()))
    else:
        print(report(run()))
