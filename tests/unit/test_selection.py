"""Which prompt next: spaced repetition with Leitner boxes, core themes first."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from bot.core.content import Library
from bot.core.selection import Answer, History, Sent, next_prompt
from bot.core.topics import CORE_TOPIC_IDS

START = date(2026, 1, 5)


def run(library: Library, days: int, verdict: str | None, seed: int = 7) -> History:
    """Simulate ``days`` daily prompts, each answered with ``verdict`` (None: ignored)."""
    history = History()
    for offset in range(days):
        today = START + timedelta(days=offset)
        prompt = next_prompt(library, history, today, seed)
        assert prompt is not None
        history.sent.append(Sent(prompt.id, today))
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
    history.sent.append(Sent(prompt.id, today))
    weak_topic = library.topic_of[prompt.id]
    history.answers.append(Answer(prompt.id, "concern", today))
    following = []
    for offset in range(1, 4):
        chosen = next_prompt(library, history, today + timedelta(days=offset), 3)
        assert chosen is not None
        history.sent.append(Sent(chosen.id, today + timedelta(days=offset)))
        following.append(library.topic_of[chosen.id])
    assert following[0] == weak_topic
