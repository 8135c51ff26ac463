"""Which prompt next: spaced repetition with Leitner boxes, core themes first."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta

from bot.core.content.library import Library
from bot.core.content.topics import CORE_TOPIC_IDS
from bot.core.policy.selection import Answer, History, SentPrompt, next_prompt

START = date(2026, 1, 5)


def run(library: Library, days: int, verdict: str | None, seed: int = 7) -> History:
    """Simulate ``days`` daily prompts, each answered with ``verdict`` (None: ignored)."""
    history = History()
    for offset in range(days):
        today = START + timedelta(days=offset)
        prompt = next_prompt(library, history, today, seed)
        assert prompt is not None
        history.sent.append(SentPrompt(prompt.id, today))
        if verdict:
            history.answers.append(Answer(prompt.id, verdict, today))  # type: ignore[arg-type]
    return history


def test_new_operatives_start_with_the_core_themes(library: Library) -> None:
    history = run(library, 5, "partial")
    assert all(library.topic_of[s.prompt] in CORE_TOPIC_IDS for s in history.sent)


def test_core_themes_are_at_least_half_over_months(library: Library) -> None:
    history = run(library, 120, "partial")
    core = sum(library.topic_of[s.prompt] in CORE_TOPIC_IDS for s in history.sent)
    assert core * 2 >= len(history.sent)
    assert len({library.topic_of[s.prompt] for s in history.sent}) == 10


def test_nothing_repeats_within_fourteen_days(library: Library) -> None:
    for verdict in ("concern", "partial", None):
        history = run(library, 200, verdict)
        last_seen: dict[str, date] = {}
        for sent in history.sent:
            if sent.prompt in last_seen:
                assert (sent.on - last_seen[sent.prompt]).days >= 14
            last_seen[sent.prompt] = sent.on


def test_strong_answers_retire_a_prompt(library: Library) -> None:
    history = run(library, 100, "strong")
    counts = Counter(s.prompt for s in history.sent)
    assert max(counts.values()) == 1


def test_a_weak_answer_brings_its_topic_back_sooner(library: Library) -> None:
    history = History()
    today = START
    prompt = next_prompt(library, history, today, 3)
    assert prompt is not None
    history.sent.append(SentPrompt(prompt.id, today))
    weak_topic = library.topic_of[prompt.id]
    history.answers.append(Answer(prompt.id, "concern", today))
    following = []
    for offset in range(1, 4):
        chosen = next_prompt(library, history, today + timedelta(days=offset), 3)
        assert chosen is not None
        history.sent.append(SentPrompt(chosen.id, today + timedelta(days=offset)))
        following.append(library.topic_of[chosen.id])
    # Sooner than its turn, but never twice running.
    assert following[0] != weak_topic
    assert following[1] == weak_topic


def _working_days(library: Library, verdicts: list[str | None], seed: int, trade: str | None):
    """Simulate daily prompts on working days; each prompt's topic and the topics that
    had a prompt ready that day."""
    from bot.core.policy.selection import _eligible, cards

    history = History()
    day = START
    sent: list[tuple[str, set[str]]] = []
    while len(sent) < len(verdicts):
        if day.weekday() < 5:
            ready = {
                library.topic_of[p.id]
                for p in _eligible(library, cards(history), day, trade)  # type: ignore[arg-type]
            }
            prompt = next_prompt(library, history, day, seed, trade)  # type: ignore[arg-type]
            assert prompt is not None
            history.sent.append(SentPrompt(prompt.id, day))
            verdict = verdicts[len(sent)]
            if verdict:
                history.answers.append(Answer(prompt.id, verdict, day))  # type: ignore[arg-type]
            sent.append((library.topic_of[prompt.id], ready))
        day += timedelta(days=1)
    return sent


def test_every_topic_comes_once_and_none_takes_over_in_any_twenty_working_days(
    library: Library,
) -> None:
    import random

    for seed in range(6):
        rng = random.Random(seed)
        patterns = {
            "all concern": ["concern"] * 120,
            "all partial": ["partial"] * 120,
            "ignored": [None] * 120,
            "mixed": [rng.choice(["strong", "partial", "concern", None]) for _ in range(120)],
        }
        for name, verdicts in patterns.items():
            sent = _working_days(library, verdicts, seed, None)
            for start in range(len(sent) - 19):
                window = sent[start : start + 20]
                counts = Counter(topic for topic, _ in window)
                still_there = set.intersection(*(ready for _, ready in window))
                missing = still_there - set(counts)
                assert not missing, f"{name}, seed {seed}, day {start}: {missing} never came"
                assert max(counts.values()) <= 5, f"{name}, seed {seed}: {counts.most_common(1)}"


def test_a_prompt_written_for_a_trade_goes_only_to_that_trade(library: Library) -> None:
    from bot.core.content.library import ScenarioPrompt

    gas_only = {
        pid: prompt.model_copy(update={"trades": ["gas"]})
        for pid, prompt in list(library.prompts.items())[:20]
    }
    tagged = replace(library, prompts={**library.prompts, **gas_only})
    for trade, may_get_gas in (("gas", True), ("joinery", False), (None, False)):
        seen: set[str] = set()
        history = History()
        for offset in range(200):
            today = START + timedelta(days=offset)
            prompt = next_prompt(tagged, history, today, 5, trade)  # type: ignore[arg-type]
            if prompt is None:
                break
            assert isinstance(prompt, ScenarioPrompt)
            history.sent.append(SentPrompt(prompt.id, today))
            seen.add(prompt.id)
        assert bool(seen & set(gas_only)) is may_get_gas, trade
