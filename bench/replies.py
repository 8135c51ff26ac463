"""Issue 11 item 5: what one reply costs, for a new operative and for a veteran.

An operative taps an answer to today's scenario, through ``Coach.handle`` on a SQLite
file: the judgement, the event and its read models written, the streak read, the
feedback built, the commit. Two operatives: one with 10 working days of history, one
with three years (780 working days), among 5 other three-year operatives so that
the tables are not small. Goal: the veteran's median within 20% of the newcomer's.

Baseline, in the same run on the same database: the same reply, with the streak
worked out as before issue 11 (every event the operative ever had read with
``SqlEventLog.of``, their scheduled prompt days found, then the rule applied).

    python -m bench replies
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import delete, update

from bot.core.callbacks import Answer, AnswerTo
from bot.core.content.loader import load_library
from bot.core.matching.matcher import Matcher
from bot.core.messages import ButtonPress, Sender
from bot.core.model import EngagementEvent, EventType, Operative
from bot.core.policy.streaks import PromptDay, carried, local_day
from bot.core.router import Coach, CoachConfig
from bot.storage.database import make_engine, make_session_factory
from bot.storage.migrate import upgrade
from bot.storage.models import EventRow, PromptReplyRow
from bot.storage.prompt_days import zones_of
from bot.storage.repositories import SqlEventLog
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.eval.scoring import percentile

CONTENT = Path(__file__).resolve().parent.parent / "content"
#: Wednesday 9 December 2026, 10:00 in London: "today" for every reply measured.
NOW = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
NEWCOMER_DAYS = 10
VETERAN_DAYS = 780
OTHERS = 5
REPLIES = 300
WARM_UP = 20


def _working_days(count: int) -> list[date]:
    days: list[date] = []
    day = NOW.date()
    while len(days) < count:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    return sorted(days)


def _history(operative_id: int, days: int, items: list[str], rng: random.Random) -> list[Any]:
    """What the bot logs over ``days`` working days: a prompt each day, mostly answered,
    with the odd reminder, tip and practice prompt."""
    events: list[EngagementEvent] = []
    for day in _working_days(days):
        sent = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8)
        item = rng.choice(items)
        events.append(
            EngagementEvent(
                EventType.PROMPT_SENT, operative_id, sent, {"item": item, "via": "schedule"}
            )
        )
        if rng.random() < 0.85:
            answer = {"item": item, "topic": "doorstep", "verdict": "strong", "via": "button"}
            events.append(
                EngagementEvent(
                    EventType.ANSWERED, operative_id, sent + timedelta(minutes=20), answer
                )
            )
        else:
            events.append(
                EngagementEvent(EventType.REMINDER_SENT, operative_id, sent + timedelta(hours=3))
            )
        if rng.random() < 0.2:
            events.append(
                EngagementEvent(EventType.TIP_SHOWN, operative_id, sent + timedelta(hours=5))
            )
    return events


def _whole_history_days(
    self: SqlEventLog, on_or_before: Mapping[int, date]
) -> dict[int, PromptDay]:
    """The baseline: the streak's input from every event the operative ever had."""
    found: dict[int, PromptDay] = {}
    for operative_id in on_or_before:
        events = self.of(operative_id)  # the whole log, as before issue 11
        zone = zones_of(self._session, [operative_id])[operative_id]
        scheduled: list[tuple[date, str]] = []
        answered: set[tuple[date, str]] = set()
        for event in events:
            day = local_day(event.occurred_at, zone)
            if event.type == EventType.PROMPT_SENT and event.payload.get("via") == "schedule":
                scheduled.append((day, str(event.payload["item"])))
            elif event.type == EventType.ANSWERED:
                answered.add((day, str(event.payload["item"])))
        days = [PromptDay(day, (day, item) in answered) for day, item in scheduled]
        if days:
            found[operative_id] = carried(days)[-1]
    return found


@contextmanager
def _baseline() -> Iterator[None]:
    kept = SqlEventLog.latest_prompt_days
    SqlEventLog.latest_prompt_days = _whole_history_days  # type: ignore[method-assign]
    try:
        yield
    finally:
        SqlEventLog.latest_prompt_days = kept  # type: ignore[method-assign]


def run() -> dict[str, dict[str, float]]:
    library = load_library(CONTENT)
    items = sorted(library.prompts)
    today_item = items[0]
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'replies.db'}")
        upgrade(engine)
        sessions = make_session_factory(engine)
        people: dict[str, tuple[int, int]] = {}
        began = time.perf_counter()
        with SqlUnitOfWork(sessions) as uow:
            for number, (name, days) in enumerate(
                [("newcomer", NEWCOMER_DAYS), ("veteran", VETERAN_DAYS)]
                + [(f"other-{n}", VETERAN_DAYS) for n in range(OTHERS)]
            ):
                person = uow.operatives.add(
                    Operative(
                        telegram_id=50_000 + number,
                        display_name=name,
                        timezone="Europe/London",
                        created_at=NOW - timedelta(days=days * 7 // 5 + 7),
                    )
                )
                assert person.id is not None
                people[name] = (person.id, person.telegram_id)
                uow.events.record_many(_history(person.id, days, items, rng))
                # Today's prompt, sent by the schedule at 08:00 and waiting for an answer.
                uow.events.record(
                    EngagementEvent(
                        EventType.PROMPT_SENT,
                        person.id,
                        NOW - timedelta(hours=2),
                        {"item": today_item, "via": "schedule"},
                    )
                )
            uow.commit()
        built = time.perf_counter() - began
        coach = Coach(
            partial(SqlUnitOfWork, sessions),
            library,
            lambda: NOW,
            CoachConfig(default_timezone="Europe/London"),
            matcher=Matcher(library),
        )
        data = Answer(today_item, 0).encode()
        with SqlUnitOfWork(sessions) as uow:
            last_event = int(
                uow.session.query(EventRow.id).order_by(EventRow.id.desc()).limit(1).scalar() or 0
            )

        def reset(operative_id: int) -> None:
            """Back to the moment before the answer: the prompt waiting, unanswered."""
            with SqlUnitOfWork(sessions) as uow:
                uow.session.execute(delete(EventRow).where(EventRow.id > last_event))
                uow.session.execute(
                    update(PromptReplyRow)
                    .where(
                        PromptReplyRow.operative_id == operative_id,
                        PromptReplyRow.sent_at >= NOW - timedelta(hours=3),
                    )
                    .values(first_reply_at=None, answered_that_day=False)
                )
                uow.operatives.set_awaiting_many([(operative_id, AnswerTo(today_item).encode())])
                uow.commit()

        def replies(names: tuple[str, ...]) -> dict[str, tuple[list[float], str]]:
            """Each reply timed, the operatives taking turns so that whatever else the
            machine is doing falls on both alike."""
            found: dict[str, tuple[list[float], str]] = {name: ([], "") for name in names}
            for number in range(WARM_UP + REPLIES):
                for name in names:
                    operative_id, telegram_id = people[name]
                    reset(operative_id)
                    started = time.perf_counter()
                    answer = coach.handle(ButtonPress(Sender(telegram_id, name), data))
                    took = (time.perf_counter() - started) * 1000
                    timings, _ = found[name]
                    if number >= WARM_UP:
                        timings.append(took)
                    found[name] = (timings, answer[-1].text)
            return found

        results: dict[str, dict[str, float]] = {}
        for label, context in (
            ("doorstep-coach", _nothing),
            ("baseline: whole history", _baseline),
        ):
            with context():
                measured = replies(("newcomer", "veteran"))
            for name, (timings, text) in measured.items():
                streak = int(text.split("🔥 ")[1].split()[0]) if "🔥" in text else 0
                results[f"{label}, {name}"] = {
                    "p50_ms": percentile(timings, 0.5),
                    "p99_ms": percentile(timings, 0.99),
                    "streak_shown": float(streak),
                }
        for label in ("doorstep-coach", "baseline: whole history"):
            new, old = results[f"{label}, newcomer"], results[f"{label}, veteran"]
            old["p50_vs_newcomer"] = old["p50_ms"] / new["p50_ms"]
        results["setup"] = {"seconds": round(built, 1)}
        engine.dispose()
    return results


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def report(results: dict[str, dict[str, float]]) -> str:
    lines = [
        f"Reply latency (Coach.handle, a tapped answer, SQLite): {NEWCOMER_DAYS} working days "
        f"of history against {VETERAN_DAYS} (3 years), {REPLIES} replies each",
        "baseline: the same reply with the streak read from the whole event log (before issue 11)",
        f"{'':44}{'p50 ms':>9}{'p99 ms':>9}{'streak':>8}{'p50 / newcomer':>16}",
    ]
    for name, figures in results.items():
        if name == "setup":
            continue
        ratio = figures.get("p50_vs_newcomer")
        lines.append(
            f"{name:44}{figures['p50_ms']:>9.2f}{figures['p99_ms']:>9.2f}"
            f"{figures['streak_shown']:>8.0f}{'' if ratio is None else f'{ratio:.2f}':>16}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(run()))
