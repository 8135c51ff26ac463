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

Over any 20 prompts every topic that still has prompts for the operative comes
at least once and none more than five times: a topic running out of time comes
when it must (earliest deadline first), one with five in the last 19 waits, and
no topic comes twice running. A prompt written for particular trades goes only
to operatives of those trades.

    >>> prompt = next_prompt(library, History(), date(2026, 12, 1), seed=42)
    >>> library.topic_of[prompt.id] in CORE_TOPIC_IDS
    True
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.core.content.library import Library, ScenarioPrompt, Verdict
from bot.core.content.topics import CORE_TOPIC_IDS

MIN_REPEAT_DAYS = 14
COMES_BACK_AFTER_DAYS: dict[str, int] = {"partial": 28, "concern": 14, "unanswered": 14}
#: New operatives get only core-theme prompts for their first few.
CORE_START = 5
#: How long a weak answer keeps its topic at the front of the queue.
WEAK_TOPIC_DAYS = 21
#: Over any this many prompts in a row, every topic comes at least once...
BALANCE_WINDOW = 20
#: ...and none more often than this (a quarter of them).
MAX_PER_WINDOW = 5
#: Spare places kept in hand for the window rule, for days a topic has nothing ready.
SLACK = 1
#: A topic rests for this many prompts after it comes.
REST_AFTER = 1


@dataclass(frozen=True)
class SentPrompt:
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

    sent: list[SentPrompt] = field(default_factory=list)
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


def suits(prompt: ScenarioPrompt, trade: str | None) -> bool:
    """Whether a prompt is written for this trade: one naming no trade suits everyone, and
    one naming trades goes only to those (not to someone whose trade we don't know)."""
    return not prompt.trades or trade in prompt.trades


def _eligible(
    library: Library, state: dict[str, Card], today: date, trade: str | None
) -> list[ScenarioPrompt]:
    ready: list[ScenarioPrompt] = []
    for prompt in library.prompts.values():
        if not suits(prompt, trade):
            continue
        card = state.get(prompt.id)
        if card is None or (
            not card.retired
            and today - card.last_seen
            >= timedelta(days=max(MIN_REPEAT_DAYS, COMES_BACK_AFTER_DAYS[card.box]))
        ):
            ready.append(prompt)
    return ready


def next_prompt(
    library: Library,
    history: History,
    today: date,
    seed: int,
    trade: str | None = None,
) -> ScenarioPrompt | None:
    """The prompt to send today, or None if every prompt is retired or too recent."""
    state = cards(history)
    ready = _eligible(library, state, today, trade)
    if not ready:
        return None
    rng = random.Random(f"{seed}:{today.isoformat()}")
    sent_topics = [library.topic_of[s.prompt] for s in history.sent if s.prompt in library.topic_of]
    by_topic: dict[str, list[ScenarioPrompt]] = {}
    for prompt in ready:
        by_topic.setdefault(library.topic_of[prompt.id], []).append(prompt)
    topic = _next_topic(library, history, today, sent_topics, sorted(by_topic), rng)
    options = by_topic[topic]
    # A weak answer's own prompt comes back before new ones in its topic.
    reviews = [p for p in options if p.id in state and state[p.id].box != "unanswered"]
    fresh = [p for p in options if p.id not in state]
    return rng.choice(reviews or fresh or options)


def _next_topic(
    library: Library,
    history: History,
    today: date,
    sent_topics: list[str],
    available: list[str],
    rng: random.Random,
) -> str:
    """The topic of the next prompt, among those with a prompt ready."""
    recent = Counter(sent_topics[-(BALANCE_WINDOW - 1) :])
    allowed = [topic for topic in available if recent[topic] < MAX_PER_WINDOW] or available
    # The same topic twice running feels like nagging, however weak the last answer was.
    allowed = [topic for topic in allowed if topic not in sent_topics[-REST_AFTER:]] or allowed
    owed = _owed(sent_topics, allowed)
    if owed is not None:
        return owed
    core_sent = sum(topic in CORE_TOPIC_IDS for topic in sent_topics)
    want_core = len(sent_topics) < CORE_START or core_sent * 2 < len(sent_topics) + 1
    candidates = [t for t in CORE_TOPIC_IDS if t in allowed] if want_core else []
    if not candidates:
        candidates = allowed
    # The least-seen topic comes next; a recent weak answer counts against "seen", so
    # its topic comes round sooner without crowding the others out.
    weak = weak_topics(library, history, today)
    seen = Counter(sent_topics)
    lowest = min(seen[topic] - weak[topic] for topic in candidates)
    return rng.choice(sorted(t for t in candidates if seen[t] - weak[t] == lowest))


def _owed(sent_topics: list[str], allowed: list[str]) -> str | None:
    """The topic that must come now for every topic to come once in any window, if any.

    Each topic must come again within ``BALANCE_WINDOW`` prompts of its last (a new
    operative's first window counts from the start). Taking the topics by how soon they
    are due, the k-th must find k free places before its time runs out; when that is
    close, the soonest due comes now (earliest deadline first), and otherwise the usual
    choice stands.
    """
    if len(sent_topics) < CORE_START:
        return None
    now = len(sent_topics)
    last = {topic: -1 for topic in allowed}
    for index, topic in enumerate(sent_topics):
        if topic in last:
            last[topic] = index
    # Places left for each topic: indexes now .. last + BALANCE_WINDOW.
    places = sorted((last[topic] + BALANCE_WINDOW - now + 1, topic) for topic in allowed)
    if any(left <= rank + SLACK for rank, (left, _) in enumerate(places, start=1)):
        return places[0][1]
    return None
