"""Managers' reports on a large SQLite database, against a load-everything baseline.

The data: 10,000 operatives in 100 cohorts, 1,000,000 engagement events over 26
weeks (prompts, replies with verdicts, reminders, tips, pauses, stops...),
20,000 content gaps and 6,000 commitments, bulk-inserted (executemany) into a
temporary SQLite file.

Measured, each in its own process so that its peak memory is its own:
- /summary by a manager, all groups, the default period (the last 4 whole
  weeks): the database work alone, and the whole command (text and chart PNG),
  median of five; and the first call in a fresh process, after the warm-up the
  bot does when it starts (drawing a throwaway chart);
- /export by a manager, all groups, all 26 weeks: the XLSX, time and peak RSS;
  and by a facilitator of 10 cohorts (with a row per person, 1,000 rows);
- baseline, in the same run: the same figures computed by loading every event
  into Python, then the same text and chart; and the same XLSX built in memory
  with openpyxl's normal mode.
The baseline's figures are compared with ours (4 weeks for everyone and for one
cohort, 26 weeks for everyone): two independent computations, one check.
The speed of the machine varies (this is often a shared VM), so the run also
times a plain Python loop; compare figures from runs with similar loop times.

    python -m bench.reports            # or: python -m bench reports
    python -m bench.reports --postgres # the same data on PostgreSQL (its own database)
    python -m bench.reports --growth   # /summary over 100,000, 1,000,000, 5,000,000 events
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.content.topics import TOPIC_IDS

REPO = Path(__file__).resolve().parent.parent
OPERATIVES = 10_000
#: ``BENCH_REPORT_EVENTS`` scales the history (and the weeks it spans) for the growth run.
EVENTS = int(os.environ.get("BENCH_REPORT_EVENTS", "1000000"))
COHORTS = 100
GAPS = 20_000
COMMITMENTS = 6_000
#: About 38,000 events a week from 10,000 operatives: 26 weeks make 1,000,000. Once
#: everyone has joined (8 weeks) it is about 41,600 a week, so a longer history gets
#: fewer weeks than that rate would say, the rest made up by fill-ins: with 26 weeks a
#: million, 5,000,000 ran out two months before the end, leaving the weeks /summary
#: reads empty.
WEEKS = max(2, round(26 * EVENTS / 1_000_000)) if EVENTS <= 1_000_000 else round(EVENTS / 42_000)
#: Sizes of history the growth run measures /summary over.
GROWTH = tuple(
    int(size) for size in os.environ.get("BENCH_REPORT_GROWTH", "100000,1000000,5000000").split(",")
)
#: The growth run computes the baseline up to this many events (it holds them all in memory).
BASELINE_MAX = int(os.environ.get("BENCH_REPORT_BASELINE_MAX", "5000000"))
#: The Monday the data ends on (the bench's "now" is 09:00 UTC that day). To measure a
#: database built by an older generator whose data ends sooner, name its last Monday.
END = date.fromisoformat(os.environ.get("BENCH_REPORT_END") or "2026-11-30")
FIRST = END - timedelta(weeks=WEEKS)
NOW = datetime.combine(END, clock_time(9, 0), tzinfo=UTC)
MANAGER_ID = 1
FACILITATOR_ID = 2
TOPICS = TOPIC_IDS
ITEMS = tuple(f"{topic}-{number:02d}" for topic in TOPICS for number in range(14))
ZONES = ("Europe/London",) * 18 + ("Europe/Dublin", "Europe/Berlin")
#: Per-topic verdict weights (strong, partial, concern): some topics are harder.
VERDICTS = {
    topic: (0.6 - 0.04 * index, 0.25 + 0.01 * index, 0.15 + 0.03 * index)
    for index, topic in enumerate(TOPICS)
}


def _payload(**values: object) -> str:
    return json.dumps(values, separators=(",", ":"))


def _stamp(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


#: The schema the data is inserted into: the migrations after it then fill their
#: read models from the events, as they would on a live database.
DATA_REVISION = "0004"


def build(path: Path, *, seed: int = 6) -> dict[str, int]:
    """Create the database at ``path``: schema by migrations, bulk inserts, then the
    remaining migrations (timed: they fill the read models from a million events)."""
    from sqlalchemy import insert

    from bot.storage.database import make_engine
    from bot.storage.migrate import upgrade
    from bot.storage.models import CohortRow, CommitmentRow, ContentGapRow, OperativeRow

    rng = random.Random(seed)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, DATA_REVISION)
    start = datetime.combine(FIRST, clock_time(0), tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            insert(CohortRow),
            [
                {
                    "name": f"Cohort {number:03d}",
                    "invite_code": f"C{number:03d}",
                    "created_by": FACILITATOR_ID if number < 10 else 3,
                    "created_at": start,
                }
                for number in range(COHORTS)
            ],
        )
        people = [
            {
                "telegram_id": 10_000_000 + number,
                "display_name": f"Operative {number}",
                "role": "operative",
                "cohort_id": number % COHORTS + 1,
                "timezone": rng.choice(ZONES),
                "prompt_time": clock_time(8, 0),
                "working_days": 0b11111,
                "status": "active",
                "created_at": start + timedelta(days=rng.randrange(56), hours=rng.randrange(8, 18)),
            }
            for number in range(OPERATIVES)
        ]
        for person in people:
            roll = rng.randrange(100)
            person["status"] = (
                "paused"
                if roll < 7
                else "stopped"
                if roll < 12
                else "unreachable"
                if roll < 15
                else "active"
            )
        staff = [
            {
                "telegram_id": telegram_id,
                "display_name": name,
                "role": role,
                "cohort_id": None,
                "timezone": "Europe/London",
                "prompt_time": clock_time(8, 0),
                "working_days": 0b11111,
                "status": "active",
                "created_at": start,
            }
            for telegram_id, name, role in (
                (MANAGER_ID, "Manager", "manager"),
                (FACILITATOR_ID, "Facilitator", "facilitator"),
            )
        ]
        connection.execute(insert(OperativeRow), people + staff)
        events = _events(rng, people)
        written = 0
        batch: list[tuple[str, int, str, str]] = []
        for event in events:
            batch.append(event)
            if len(batch) == 50_000:
                _insert_events(connection, batch)
                written += len(batch)
                batch = []
        _insert_events(connection, batch)
        written += len(batch)
        connection.execute(
            insert(ContentGapRow),
            [
                {
                    "text": f"unanswered question {number}",
                    "cohort_id": rng.randrange(COHORTS) + 1,
                    "operative_id": rng.randrange(OPERATIVES) + 1,
                    "topic_guess": None,
                    "created_at": start + timedelta(seconds=rng.randrange(WEEKS * 7 * 86_400)),
                }
                for number in range(GAPS)
            ],
        )
        connection.execute(
            insert(CommitmentRow),
            [
                {
                    "operative_id": number + 1,
                    "cohort_id": number % COHORTS + 1,
                    "text": "I'll show my ID before I'm asked",
                    "share_name": False,
                    "outcome": rng.choice(["kept", "kept", "partly", "not_yet", None]),
                    "created_at": people[number]["created_at"],
                    "updated_at": people[number]["created_at"],
                }
                for number in range(COMMITMENTS)
            ],
        )
    began = time.perf_counter()
    upgrade(engine)
    migrated = time.perf_counter() - began
    engine.dispose()
    return {"events": written, "migration_seconds": round(migrated, 2)}


def _insert_events(connection: Any, batch: list[tuple[str, int, str, str]]) -> None:
    if batch:
        connection.exec_driver_sql(
            "INSERT INTO engagement_events (type, operative_id, occurred_at, payload) "
            "VALUES (?, ?, ?, ?)",
            batch,
        )


def _events(
    rng: random.Random, people: list[dict[str, Any]]
) -> Iterator[tuple[str, int, str, str]]:
    """Exactly EVENTS events, day by day in time order, then fill-ins at random times."""
    days = [FIRST + timedelta(days=number) for number in range(WEEKS * 7)]
    # Each operative's engagement (how often they answer) and the day they leave, if they do.
    keen = [rng.choice((0.95, 0.9, 0.75, 0.55, 0.3)) for _ in people]
    leaves: dict[int, tuple[date, str]] = {}
    for number, person in enumerate(people):
        if person["status"] != "active":
            leaves[number] = (
                FIRST + timedelta(days=rng.randrange(min(60, WEEKS * 7 - 1), WEEKS * 7)),
                person["status"],
            )
    eight = {
        (zone, day): datetime.combine(day, clock_time(8, 0), tzinfo=ZoneInfo(zone)).astimezone(UTC)
        for zone in set(ZONES)
        for day in days
    }
    written = 0
    for day in days:
        today: list[tuple[datetime, str, int, str]] = []
        for number, person in enumerate(people):
            op = number + 1
            joined = person["created_at"]
            if joined.date() > day:
                continue
            if joined.date() == day:
                today.append((joined, "enrolled", op, _payload(cohort=person["cohort_id"])))
            left = leaves.get(number)
            if left is not None and left[0] < day:
                continue
            if left is not None and left[0] == day:
                kind = left[1]
                payload = _payload(days=0) if kind == "paused" else _payload()
                today.append(
                    (eight[(person["timezone"], day)] - timedelta(hours=1), kind, op, payload)
                )
                continue
            if day.weekday() >= 5:
                continue
            sent = eight[(person["timezone"], day)] + timedelta(seconds=rng.randrange(300))
            if rng.random() < 0.44:
                item = rng.choice(ITEMS)
                topic = item.rsplit("-", 1)[0]
                today.append(
                    (sent, "prompt_sent", op, _payload(item=item, via="schedule", kind="prompt"))
                )
                if rng.random() < keen[number]:
                    delay = timedelta(seconds=min(36_000, rng.expovariate(1 / 2700)))
                    verdict = rng.choices(("strong", "partial", "concern"), VERDICTS[topic])[0]
                    today.append(
                        (
                            sent + delay,
                            "answered",
                            op,
                            _payload(item=item, topic=topic, verdict=verdict, via="button"),
                        )
                    )
                elif rng.random() < 0.5:
                    today.append(
                        (sent + timedelta(hours=3), "reminder_sent", op, _payload(kind="reminder"))
                    )
            if rng.random() < 0.05:
                at = sent + timedelta(hours=4, seconds=rng.randrange(3600))
                item = rng.choice(ITEMS)
                topic = item.rsplit("-", 1)[0]
                today.append((at, "tip_shown", op, _payload(item=item, topic=topic, score=0.8)))
            if rng.random() < 0.03:
                at = sent + timedelta(hours=5)
                item = rng.choice(ITEMS)
                topic = item.rsplit("-", 1)[0]
                today.append((at, "prompt_sent", op, _payload(item=item, via="practice")))
                if rng.random() < 0.7:
                    verdict = rng.choices(("strong", "partial", "concern"), VERDICTS[topic])[0]
                    today.append(
                        (
                            at + timedelta(seconds=rng.randrange(30, 600)),
                            "answered",
                            op,
                            _payload(item=item, topic=topic, verdict=verdict, via="text"),
                        )
                    )
        today.sort()
        for moment, kind, op, payload in today:
            if written == EVENTS:
                return
            written += 1
            yield kind, op, _stamp(moment), payload
    span = WEEKS * 7 * 86_400
    start = datetime.combine(FIRST, clock_time(0), tzinfo=UTC)
    while written < EVENTS:
        written += 1
        moment = start + timedelta(seconds=rng.randrange(span))
        yield "off_topic", rng.randrange(OPERATIVES) + 1, _stamp(moment), _payload(score=0.1)


# -- the baseline: every event into Python -----------------------------------------


def python_figures(database: Path, scope_cohorts: frozenset[int] | None, period: Any) -> Any:
    """The figures of ``SqlReports.figures``, computed by loading every event (and
    everyone) into Python and looping over them: the obvious way, for comparison."""
    import sqlite3

    from bot.core.policy.streaks import PromptDay, streak
    from bot.core.reports.ports import (
        STREAK_BANDS,
        Activity,
        CommitmentFigures,
        Figures,
        Membership,
        TopicFigures,
        Weekly,
    )

    connection = sqlite3.connect(database)

    def moment(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=UTC)

    people = {
        op: (role, cohort, zone, status, moment(created))
        for op, role, cohort, zone, status, created in connection.execute(
            "SELECT id, role, cohort_id, timezone, status, created_at FROM operatives"
        )
    }
    events = [
        (event_id, type_, op, moment(occurred), json.loads(payload))
        for event_id, type_, op, occurred, payload in connection.execute(
            "SELECT id, type, operative_id, occurred_at, payload FROM engagement_events"
        )
    ]
    gaps = [
        (cohort, moment(created))
        for cohort, created in connection.execute("SELECT cohort_id, created_at FROM content_gaps")
    ]
    commitments = [
        (op, outcome, moment(created))
        for op, outcome, created in connection.execute(
            "SELECT operative_id, outcome, created_at FROM commitments"
        )
    ]
    connection.close()

    def in_scope(op: int | None) -> bool:
        if op is None or op not in people or people[op][0] != "operative":
            return False
        return scope_cohorts is None or people[op][1] in scope_cohorts

    start, end, zone = period.start, period.end, ZoneInfo(period.timezone)
    monday = period.weeks[0]

    def week(at: datetime) -> int:
        return (at.astimezone(zone).date() - monday).days // 7

    # Membership, and status at the end of the period.
    status_of = {"enrolled": "active", "resumed": "active", "paused": "paused"}
    status_of |= {"stopped": "stopped", "unreachable": "unreachable"}
    latest: dict[int, tuple[datetime, int, str]] = {}
    for event_id, type_, op, at, _ in events:
        relevant = type_ in status_of and at < end and in_scope(op)
        if relevant and (op not in latest or (at, event_id) > latest[op][:2]):
            latest[op] = (at, event_id, status_of[type_])
    members = [op for op in people if in_scope(op) and people[op][4] < end]
    final = Counter(latest[op][2] if op in latest else people[op][3] for op in members)
    membership = Membership(
        len(members),
        sum(people[op][4] >= start for op in members),
        final["paused"],
        final["stopped"],
        final["unreachable"],
    )

    # Each prompt with its first reply (whenever it came): replies go to the latest
    # prompt of their item. Every prompt: a streak may reach back any distance.
    by_item: dict[tuple[int, str], list[tuple[datetime, int, str, dict[str, Any]]]] = defaultdict(
        list
    )
    for event_id, type_, op, at, payload in events:
        if type_ in ("prompt_sent", "answered") and in_scope(op):
            by_item[(op, str(payload.get("item")))].append((at, event_id, type_, payload))
    prompts: list[tuple[int, datetime, bool, datetime | None]] = []
    for (op, _), rows in by_item.items():
        rows.sort(key=lambda row: (int(row[0].timestamp()), row[1]))
        current: list[Any] | None = None
        for at, _, type_, payload in rows:
            if type_ == "prompt_sent":
                current = [op, at, payload.get("via") == "schedule", None]
                prompts.append(current)  # type: ignore[arg-type]
            elif current is not None and current[3] is None:
                current[3] = at

    weeks = len(period.weeks)
    # Daily prompts; practice scenarios (op, answered) apart.
    sent: list[list[tuple[int, float | None]]] = [[] for _ in range(weeks)]
    practice: list[list[tuple[int, bool]]] = [[] for _ in range(weeks)]
    for op, at, scheduled, first in prompts:
        if start <= at < end and not scheduled:
            practice[week(at)].append((op, first is not None))
        elif start <= at < end:
            delay = int(first.timestamp()) - int(at.timestamp()) if first else None
            sent[week(at)].append((op, delay))
    answers = [
        (op, at, payload)
        for _, type_, op, at, payload in events
        if type_ == "answered" and start <= at < end and in_scope(op)
    ]
    active: list[set[int]] = [set() for _ in range(weeks)]
    for op, at, _ in answers:
        active[week(at)].add(op)
    gap_weeks = Counter(
        week(at)
        for cohort, at in gaps
        if start <= at < end and (scope_cohorts is None or cohort in scope_cohorts)
    )

    def activity(
        rows: list[tuple[int, float | None]],
        tried: list[tuple[int, bool]],
        ops: set[int],
        gap_count: int,
    ) -> Any:
        delays = [delay for _, delay in rows if delay is not None]
        return Activity(
            prompts=len(rows),
            prompted=len({op for op, _ in rows}),
            replies=len(delays),
            median_reply_seconds=float(statistics.median(delays)) if delays else None,
            active=len(ops),
            gaps=gap_count,
            practice=len(tried),
            practising=len({op for op, _ in tried}),
            practice_answered=sum(answered for _, answered in tried),
        )

    weekly = Weekly(
        activity(
            [row for rows in sent for row in rows],
            [row for rows in practice for row in rows],
            set().union(*active),
            sum(gap_weeks.values()),
        ),
        tuple(
            (day, activity(sent[index], practice[index], active[index], gap_weeks[index]))
            for index, day in enumerate(period.weeks)
        ),
    )

    # Topics.
    topic_rows: dict[str, list[Any]] = defaultdict(lambda: [0, set(), 0, 0, 0])
    for op, _, payload in answers:
        if payload.get("topic") is None:
            continue
        row = topic_rows[payload["topic"]]
        row[0] += 1
        row[1].add(op)
        row[2 + ("strong", "partial", "concern").index(payload["verdict"])] += 1
    topics = tuple(
        TopicFigures(topic, row[0], len(row[1]), row[2], row[3], row[4])
        for topic, row in sorted(topic_rows.items())
    )

    # Streaks: every scheduled prompt, answered the same local day, through the rule.
    days: dict[int, dict[date, bool]] = defaultdict(dict)
    for op, at, scheduled, first in prompts:
        if not scheduled or not at < end:
            continue
        own = ZoneInfo(people[op][2])
        day = at.astimezone(own).date()
        if day > period.last:
            continue
        answered = first is not None and first.astimezone(own).date() == day
        days[op][day] = days[op].get(day, False) or answered
    bands = [0] * len(STREAK_BANDS)
    for op in members:
        history = [PromptDay(day, answered) for day, answered in days.get(op, {}).items()]
        count = streak(history, period.last)
        bands[max(i for i, lower in enumerate(STREAK_BANDS) if count >= lower)] += 1

    outcomes = Counter(
        outcome for op, outcome, created in commitments if in_scope(op) and created < end
    )
    made = sum(outcomes.values())
    return Figures(
        membership,
        weekly,
        topics,
        tuple(bands),
        CommitmentFigures(made, outcomes["kept"], outcomes["partly"], outcomes["not_yet"]),
    )


# -- the measurements, each in its own process -----------------------------------------

SUMMARY_PERIOD = ""  # the default: the last 4 whole weeks
EXPORT_PERIOD = f"{FIRST.isoformat()}..{(END - timedelta(days=1)).isoformat()}"


def _coach(database: Path) -> Any:
    import os

    from bot.settings import load_settings
    from bot.wiring import build_runtime

    os.environ["DATABASE_URL"] = os.environ.get("BENCH_REPORT_DATABASE") or f"sqlite:///{database}"
    os.environ.pop("TELEGRAM_BOT_TOKEN", None)
    return build_runtime(load_settings(), clock=lambda: NOW).coach


def _ask(coach: Any, user_id: int, command: str, args: str) -> Any:
    from bot.core.messages import Command, Sender

    return coach.handle(Command(Sender(user_id, "Bench"), command, args))


def _timed(work: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    result = work()
    return time.perf_counter() - began, result


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _server_cpu() -> float:
    """CPU seconds used so far by the PostgreSQL backends serving the bench's database
    (on this machine: read from /proc), or 0 on SQLite, where the work is ours."""
    url = os.environ.get("BENCH_REPORT_DATABASE") or ""
    if not url.startswith("postgresql"):
        return 0.0
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        pids = [
            int(pid)
            for (pid,) in connection.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
    ticks, total = os.sysconf("SC_CLK_TCK"), 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _measured(work: Any) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds, result): on a shared machine the wall time waits for
    the CPU; the CPU time is the work itself: this process's, and on PostgreSQL its
    backends' too."""
    server = _server_cpu()  # first: its own cost is neither timed nor counted
    cpu, began = _cpu(), time.perf_counter()
    result = work()
    wall, used = time.perf_counter() - began, _cpu() - cpu
    return wall, used + _server_cpu() - server, result


def _median_of(runs: int, work: Any) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``runs`` runs."""
    times = [_measured(work)[:2] for _ in range(runs)]
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


#: Other periods /summary takes, as a manager types them (all read the rollups: whole
#: weeks by week, the days at either end by day).
OTHER_PERIODS = ("this week", "last month", "since 7/10", "11/11 to 25/11")


def child(mode: str, database: Path) -> dict[str, Any]:
    """Runs in its own process; returns figures (printed as one JSON line)."""
    figures: dict[str, Any] = {}
    if mode == "summary":
        from bot.core.reports.figures import build_report
        from bot.core.reports.periods import parse_period
        from bot.core.reports.ports import Scope
        from bot.reporting.chart import warm_up

        coach = _coach(database)
        figures["warm_up_seconds"], _ = _timed(warm_up)  # as the bot does when it starts
        figures["first_seconds"], figures["first_cpu"], _ = _measured(
            lambda: _ask(coach, MANAGER_ID, "summary", "")
        )
        figures["command_seconds"], figures["command_cpu"] = _median_of(
            5, lambda: _ask(coach, MANAGER_ID, "summary", "")
        )
        period = parse_period(SUMMARY_PERIOD, NOW.date(), "Europe/London")
        assert period is not None

        def sql() -> Any:
            with coach.uow_factory() as uow:
                return build_report(uow.reports, Scope(), period, "All groups")

        figures["figures_seconds"], figures["figures_cpu"] = _median_of(5, sql)
        for text in OTHER_PERIODS:
            figures[f"period: {text}"] = _median_of(
                3, lambda text=text: _ask(coach, MANAGER_ID, "summary", text)
            )
        replies = _ask(coach, MANAGER_ID, "summary", "")
        # After the text and the chart comes the group picker.
        figures["chart_bytes"] = len(next(r for r in replies if r.image).image.content)
    elif mode in ("export", "export-people"):
        coach = _coach(database)
        user = MANAGER_ID if mode == "export" else FACILITATOR_ID
        seconds, replies = _timed(lambda: _ask(coach, user, "export", EXPORT_PERIOD))
        figures["export_seconds"] = seconds
        figures["xlsx_bytes"] = len(next(r for r in replies if r.document).document.content)
    elif mode == "baseline-summary":
        figures.update(_baseline_summary(database))
    elif mode == "baseline-export":
        figures.update(_baseline_export(database))
    elif mode == "agree":
        figures.update(_agree(database))
    figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def _baseline_summary(database: Path) -> dict[str, Any]:
    from bot.core.content.loader import load_library
    from bot.core.reports.figures import Report, chart_data, summary_text
    from bot.core.reports.periods import parse_period
    from bot.core.reports.ports import Scope
    from bot.reporting.chart import render_chart

    library = load_library(REPO / "content")
    titles = {key: topic.title for key, topic in library.topics.items()}
    period = parse_period(SUMMARY_PERIOD, NOW.date(), "Europe/London")
    assert period is not None

    def work() -> None:
        figures = python_figures(database, Scope().cohort_ids, period)
        report = Report("All groups", period, figures, figures.weekly.weeks[-2][1])
        summary_text(report, library.text, titles)
        render_chart(chart_data(report, library.text, titles))

    seconds, cpu, _ = _measured(work)
    return {"command_seconds": seconds, "command_cpu": cpu}


def _baseline_export(database: Path) -> dict[str, Any]:
    """Load everything, compute in Python, and build the workbook in memory."""
    from openpyxl import Workbook

    from bot.core.content.loader import load_library
    from bot.core.reports.figures import Report, document
    from bot.core.reports.periods import parse_period

    library = load_library(REPO / "content")
    titles = {key: topic.title for key, topic in library.topics.items()}
    period = parse_period(EXPORT_PERIOD, NOW.date(), "Europe/London")
    assert period is not None

    def work() -> int:
        figures = python_figures(database, None, period)
        report = Report("All groups", period, figures, figures.weekly.weeks[-2][1])
        export = document(report, library.text, titles)
        book = Workbook()
        sheet = book.active
        for metric in export.summary:
            sheet.append([metric.label, str(metric.value)])
        for table in export.tables:
            sheet = book.create_sheet(table.title)
            sheet.append([column.label for column in table.columns])
            for row in table.rows:
                sheet.append([str(value) if value is not None else None for value in row])
        buffer = __import__("io").BytesIO()
        book.save(buffer)
        return len(buffer.getvalue())

    seconds, size = _timed(work)
    return {"export_seconds": seconds, "xlsx_bytes": size}


def _agree(database: Path) -> dict[str, Any]:
    """Do the SQL and the baseline give the very same figures? (4 weeks, one cohort,
    all 26 weeks for everyone, a month and a range from a Wednesday.)"""
    from bot.core.reports.periods import parse_period
    from bot.core.reports.ports import Scope

    coach = _coach(database)
    checks = {}
    for name, scope, text in (
        ("4 weeks, all groups", Scope(), SUMMARY_PERIOD),
        ("4 weeks, one cohort", Scope(frozenset({4})), SUMMARY_PERIOD),
        ("26 weeks, all groups", Scope(), EXPORT_PERIOD),
        ("last month, all groups", Scope(), "last month"),
        ("11/11 to 25/11, one cohort", Scope(frozenset({4})), "11/11 to 25/11"),
    ):
        period = parse_period(text, NOW.date(), "Europe/London")
        assert period is not None
        with coach.uow_factory() as uow:
            ours = uow.reports.figures(scope, period)
        checks[name] = ours == python_figures(database, scope.cohort_ids, period)
    return {"agree": checks}


def _run_child(mode: str, database: Path, url: str | None = None) -> dict[str, Any]:
    """``url``: read the reports from this database instead (a PostgreSQL copy of the
    SQLite file, which the baseline still reads)."""
    env = {**os.environ, "BENCH_REPORT_DATABASE": url or ""}
    result = subprocess.run(
        [sys.executable, "-m", "bench.reports", "--child", mode, str(database)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=3600,
        check=True,
    )
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def _calibration() -> float:
    """Seconds for a plain 5,000,000-step Python loop: how fast this machine is."""
    began = time.perf_counter()
    total = 0
    for number in range(5_000_000):
        total += number
    return time.perf_counter() - began


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.db"
        build_seconds, built = _timed(lambda: build(database))
        results: dict[str, Any] = {
            "data": {
                "operatives": OPERATIVES,
                "events": EVENTS,
                "build_seconds": build_seconds,
                "migration_seconds": built["migration_seconds"],
                "database_mb": database.stat().st_size / 2**20,
                "python_loop_5m_seconds": _calibration(),
            }
        }
        for name, mode in (
            ("summary", "summary"),
            ("baseline: summary", "baseline-summary"),
            ("export", "export"),
            ("export with people", "export-people"),
            ("baseline: export", "baseline-export"),
            ("agree", "agree"),
        ):
            results[name] = _run_child(mode, database)
    return results


def report(results: dict[str, Any]) -> str:
    data = results["data"]
    summary, base_summary = results["summary"], results["baseline: summary"]
    export, people = results["export"], results["export with people"]
    base_export = results["baseline: export"]
    lines = [
        f"Reports on SQLite: {data['events']:,} events, {data['operatives']:,} operatives "
        f"({data['database_mb']:.0f} MB, built in {data['build_seconds']:.0f} s, of which "
        f"{data['migration_seconds']:.1f} s filling the read models and rollups; this machine "
        f"runs a 5M-step Python loop in {data['python_loop_5m_seconds']:.2f} s)",
        f"{'':52}{'seconds':>9}{'CPU s':>9}{'RSS MB':>9}",
        *summary_lines(summary, base_summary),
        f"{'  (start-up: loading the chart fonts, a throwaway chart)':52}"
        f"{summary['warm_up_seconds']:>9.2f}",
        f"{'/export XLSX, all groups, 26 weeks':52}"
        f"{export['export_seconds']:>9.2f}{'':>9}{export['peak_rss_mb']:>9.0f}",
        f"{'/export XLSX, a facilitator: 10 groups + 1,000 people':52}"
        f"{people['export_seconds']:>9.2f}{'':>9}{people['peak_rss_mb']:>9.0f}",
        f"{'baseline: XLSX from every event in Python':52}"
        f"{base_export['export_seconds']:>9.2f}{'':>9}{base_export['peak_rss_mb']:>9.0f}",
        "same figures as the baseline: "
        + ", ".join(
            f"{name}: {'yes' if same else 'NO'}" for name, same in results["agree"]["agree"].items()
        ),
        "targets: /summary whole command <= 0.3 s, first call after a start <= 1 s; "
        "XLSX <= 20 s and <= 300 MB",
    ]
    return "\n".join(lines)


def summary_lines(summary: dict[str, Any], baseline: dict[str, Any] | None) -> list[str]:
    """/summary's figures, wall and CPU seconds (and peak RSS), beside the baseline's."""

    def line(label: str, wall: float, cpu: float, rss: float | None = None) -> str:
        return f"{label:52}{wall:>9.3f}{cpu:>9.3f}" + (f"{rss:>9.0f}" if rss else "")

    lines = [
        line(
            "/summary, last 4 weeks: figures (SQL)",
            summary["figures_seconds"],
            summary["figures_cpu"],
        ),
        line(
            "/summary, last 4 weeks: whole command (text, chart)",
            summary["command_seconds"],
            summary["command_cpu"],
            summary["peak_rss_mb"],
        ),
        line(
            "/summary, first call after the bot starts",
            summary["first_seconds"],
            summary["first_cpu"],
        ),
    ]
    for text in OTHER_PERIODS:
        wall, cpu = summary[f"period: {text}"]
        lines.append(line(f"/summary {text}: whole command", wall, cpu))
    if baseline is not None:
        lines.append(
            line(
                "baseline: /summary from every event in Python",
                baseline["command_seconds"],
                baseline["command_cpu"],
                baseline["peak_rss_mb"],
            )
        )
    return lines


#: Where the PostgreSQL run makes its scratch database (``BENCH_POSTGRES`` overrides).
POSTGRES_ADMIN = os.environ.get("BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
COPIED = ("cohorts", "operatives", "engagement_events", "content_gaps", "commitments")


def copy_to_postgres(database: Path, url: str) -> float:
    """The SQLite data as it was first inserted, into PostgreSQL at revision
    DATA_REVISION; then the remaining migrations, timed (they fill the read models)."""
    import sqlite3

    import psycopg

    from bot.storage.database import make_engine
    from bot.storage.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine, DATA_REVISION)
    source = sqlite3.connect(database)
    stamps = {"created_at", "occurred_at", "closed_at", "updated_at"}
    with psycopg.connect(url.replace("+psycopg", "")) as target:
        for table in COPIED:
            columns = [row[1] for row in source.execute(f"PRAGMA table_info({table})")]
            wanted = [
                name
                for name in columns
                if target.execute(
                    "SELECT 1 FROM information_schema.columns "
                    "WHERE table_name = %s AND column_name = %s",
                    (table, name),
                ).fetchone()
            ]
            names = ", ".join(wanted)
            with target.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in source.execute(f"SELECT {names} FROM {table}"):
                    copy.write_row(
                        [
                            f"{value}+00" if name in stamps and value is not None else value
                            for name, value in zip(wanted, row, strict=True)
                        ]
                    )
            target.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        target.commit()
    source.close()
    began = time.perf_counter()
    upgrade(engine)
    migrated = time.perf_counter() - began
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return migrated


def postgres() -> str:
    """/summary and the agreement check on PostgreSQL, with the same data."""
    import uuid

    import psycopg

    name = f"coachbot_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    url = f"{url}/{name}"
    try:
        with tempfile.TemporaryDirectory() as folder:
            database = Path(folder) / "bench.db"
            build(database)
            migrated = copy_to_postgres(database, url)
            summary = _run_child("summary", database, url)
            agree = _run_child("agree", database, url)
            baseline = _run_child("baseline-summary", database)
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return "\n".join(
        [
            f"Reports on PostgreSQL: {EVENTS:,} events, {OPERATIVES:,} operatives "
            f"({migrated:.1f} s filling the read models and rollups)",
            f"{'':52}{'seconds':>9}{'CPU s':>9}{'RSS MB':>9}",
            *summary_lines(summary, baseline),
            "  (CPU: the bot's process and its PostgreSQL backends; the baseline reads SQLite)",
            "same figures as the baseline: "
            + ", ".join(
                f"{key}: {'yes' if same else 'NO'}" for key, same in agree["agree"].items()
            ),
        ]
    )


def growth() -> str:
    """/summary (the last 4 weeks, all groups) over ever longer histories, with the
    same 10,000 operatives: each size built and measured in processes of its own."""
    lines = [
        "Growth: /summary, last 4 weeks, all groups, 10,000 operatives (wall / CPU seconds)",
        f"{'events':>10}{'weeks':>7}{'figures':>15}{'command':>15}{'first call':>15}"
        f"{'baseline':>15}",
    ]
    for events in GROWTH:
        env = {**os.environ, "BENCH_REPORT_EVENTS": str(events)}
        result = subprocess.run(
            [sys.executable, "-m", "bench.reports", "--growth-one"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=7200,
            check=False,
            env=env,
        )
        if result.returncode:
            raise SystemExit(f"growth run with {events:,} events failed:\n{result.stderr}")
        figures = json.loads(result.stdout.strip().splitlines()[-1])
        lines.append(growth_line(events, figures))
    return "\n".join(lines)


def growth_line(events: int, figures: dict[str, Any]) -> str:
    def pair(key: str) -> str:
        return f"{figures[f'{key}_seconds']:.3f} / {figures[f'{key}_cpu']:.3f}"

    base = figures.get("baseline")
    baseline = f"{base['command_seconds']:.2f} / {base['command_cpu']:.2f}" if base else "not run"
    return (
        f"{events:>10,}{figures['weeks']:>7}{pair('figures'):>15}{pair('command'):>15}"
        f"{pair('first'):>15}{baseline:>15}"
    )


def _growth_one() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "bench.db"
        build(database)
        figures = _run_child("summary", database)
        # The baseline holds every event in memory: about 1 GB a million.
        if EVENTS <= BASELINE_MAX:
            figures["baseline"] = _run_child("baseline-summary", database)
    return {"weeks": WEEKS, **figures}


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], Path(sys.argv[3])), default=str))
    elif sys.argv[1:] == ["--growth-one"]:
        print(json.dumps(_growth_one(), default=str))
    elif sys.argv[1:] == ["--growth"]:
        print(growth())
    elif sys.argv[1:] == ["--postgres"]:
        print(postgres())
    else:
        print(report(run()))
