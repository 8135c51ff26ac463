"""Which scenario prompt an operative gets next: a small Leitner scheme.

Every prompt an operative has met sits in one of three boxes, set by their
latest answer to it:

    latest answer       box        comes back after
    strong              retired    never
    partial             review     28 days
    concern             practise   14 days, and its topic jumps the queue
    (sent, unanswered)  practise   14 days

Nothing repeats within 14 days. The least-seen topic comes next, where each
recent weak answer (last 21 days: concern counts 2, partial 1) counts as one
fewer sighting, so weak topics come round sooner without crowding out the
rest. Within a topic, a weak answer's own prompt returns before new ones. The
three core themes (doorstep, diversity, saying no) make up at least half of
what anyone gets, and new operatives start with them.

    >>> prompt = next_prompt(library, History(), date(2026, 12, 1), seed=42)
    >>> library.topic_of[prompt.id] in CORE_TOPIC_IDS
    True
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.core.content import Library, ScenarioPrompt, Verdict
from bot.core.topics import CORE_TOPIC_IDS, TOPIC_IDS

MIN_REPEAT_DAYS = 14
COMES_BACK_AFTER_DAYS: dict[str, int] = {"partial": 28, "concern": 14, "unanswered": 14}
#: New operatives get only core-theme prompts for their first few.
CORE_START = 5
#: How long a weak answer keeps its topic at the front of the queue.
WEAK_TOPIC_DAYS = 21


@dataclass(frozen=True)
class Sent:
    prompt: str
    on: date


@dataclass(frozen=True)
class Answer:
    prompt: str
    verdict: Verdict
    on: date


@dataclass
class History:
    """What an operative has been sent and how they answered, oldest first."""

    sent: list[Sent] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)


@dataclass(frozen=True)
class Card:
    """A prompt's place in the boxes: ``box`` is a verdict, or "unanswered"."""

    box: str
    last_seen: date

    @property
    def retired(self) -> bool:
        return self.box == "strong"


def cards(history: History) -> dict[str, Card]:
    """Each prompt's box, from what was sent and the latest answer to it."""
    state: dict[str, Card] = {}
    for sent in history.sent:
        state[sent.prompt] = Card("unanswered", sent.on)
    for answer in history.answers:
        seen = state.get(answer.prompt)
        last_seen = max(seen.last_seen, answer.on) if seen else answer.on
        state[answer.prompt] = Card(answer.verdict, last_seen)
    return state


def weak_topics(library: Library, history: History, today: date) -> Counter[str]:
    """Topics with recent partial or concern answers, weighted by how weak."""
    weights: Counter[str] = Counter()
    for answer in history.answers:
        if (
            today - answer.on <= timedelta(days=WEAK_TOPIC_DAYS)
            and answer.prompt in library.prompts
        ):
            weights[library.topic_of[answer.prompt]] += (
                2 if answer.verdict == "concern" else (1 if answer.verdict == "partial" else 0)
            )
    return +weights


def _eligible(library: Library, state: dict[str, Card], today: date) -> list[ScenarioPrompt]:
    ready: list[ScenarioPrompt] = []
    for prompt in library.prompts.values():
        card = state.get(prompt.id)
        if card is None or (
            not card.retired
            and today - card.last_seen
            >= timedelta(days=max(MIN_REPEAT_DAYS, COMES_BACK_AFTER_DAYS[card.box]))
        ):
            ready.append(prompt)
    return ready


def next_prompt(
    library: Library, history: History, today: date, seed: int
) -> ScenarioPrompt | None:
    """The prompt to send today, or None if every prompt is retired or too recent."""
    state = cards(history)
    ready = _eligible(library, state, today)
    if not ready:
        return None
    rng = random.Random(f"{seed}:{today.isoformat()}")
    sent_topics = [library.topic_of[s.prompt] for s in history.sent if s.prompt in library.topic_of]
    core_sent = sum(topic in CORE_TOPIC_IDS for topic in sent_topics)
    want_core = len(sent_topics) < CORE_START or core_sent * 2 < len(sent_topics) + 1
    by_topic: dict[str, list[ScenarioPrompt]] = {}
    for prompt in ready:
        by_topic.setdefault(library.topic_of[prompt.id], []).append(prompt)

    def pool(topics: Iterable[str]) -> list[str]:
        return [topic for topic in topics if topic in by_topic]

    candidates = pool(CORE_TOPIC_IDS) if want_core else []
    if not candidates:
        candidates = pool(TOPIC_IDS)
    # The least-seen topic comes next; a recent weak answer counts against "seen", so
    # its topic comes round sooner without crowding the others out.
    weak = weak_topics(library, history, today)
    seen = Counter(sent_topics)
    lowest = min(seen[topic] - weak[topic] for topic in candidates)
    topic = rng.choice(sorted(t for t in candidates if seen[t] - weak[t] == lowest))
    options = by_topic[topic]
    # A weak answer's own prompt comes back before new ones in its topic.
    reviews = [p for p in options if p.id in state and state[p.id].box != "unanswered"]
    fresh = [p for p in options if p.id not in state]
    return rng.choice(reviews or fresh or options)
