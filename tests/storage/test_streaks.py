"""One streak rule: the coach's feedback, the planner's check-in and the reports agree.

Each operative below has a history of scheduled prompts (each answered the same local
day, or not), practice prompts, days off, pauses and time zones, written to the event
log as the bot writes it. Then, on their "today", the planner plans, today's prompt
is delivered, they answer it, and the reports are read before and after. Every figure
is checked against a plain reading of the rule over the whole history (``expected``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import Engine, select, update

from bot.core.content.library import Library
from bot.core.jobs.delivery import Deliveries
from bot.core.jobs.planner import DailyPrompts
from bot.core.matching.matcher import Matcher
from bot.core.messages import ButtonPress, Sender
from bot.core.model import Cohort, EngagementEvent, Kind, Operative
from bot.core.policy.streaks import LAPSE_DAYS
from bot.core.reports.ports import STREAK_BANDS, Period, Scope
from bot.core.router import Coach, CoachConfig
from bot.storage.database import make_session_factory
from bot.storage.migrate import alembic_config, upgrade
from bot.storage.models import PromptReplyRow
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.support import FakeClock

#: 19:00 UTC on Wednesday 10 March 2027: 19:00 in London, 14:00 in New York and 08:00
#: on Thursday 11 March in Auckland; everyone's prompt window is open.
NOW = datetime(2027, 3, 10, 19, 0, tzinfo=UTC)

# What happened on a prompt day (or a day without one).
ANSWERED = "answered at 08:10"
MISSED = "not answered"
LATE = "answered at 00:10 the next day: a miss"
LAST_THING = "answered at 23:50 the same day"
MISSED_BUT_PRACTISED = "not answered, but a /practice prompt answered that day"
PRACTICE_ONLY = "no scheduled prompt; a /practice prompt answered"


@dataclass
class History:
    name: str
    zone: str
    #: Days before today (1 is yesterday) and what happened.
    days: dict[int, str] = field(default_factory=dict)

    def today(self) -> date:
        return NOW.astimezone(ZoneInfo(self.zone)).date()

    def day(self, back: int) -> date:
        return self.today() - timedelta(days=back)

    def prompt_days(self) -> dict[date, bool]:
        return {
            self.day(back): what in (ANSWERED, LAST_THING)
            for back, what in self.days.items()
            if what != PRACTICE_ONLY
        }


def working_days_back(count: int, *, skip: int = 0, today: date = date(2027, 3, 10)) -> list[int]:
    """The last ``count`` weekdays before today after skipping ``skip`` days, as days back."""
    found: list[int] = []
    back = skip
    while len(found) < count:
        back += 1
        if (today - timedelta(days=back)).weekday() < 5:
            found.append(back)
    return found


def histories() -> list[History]:
    long = History("long", "Europe/London", dict.fromkeys(working_days_back(60), ANSWERED))
    # Yesterday (Tue), Mon, Fri answered; Thu 4 Mar a day off; Wed answered, Tue missed.
    gaps = History("gaps", "Europe/London", {1: ANSWERED, 2: ANSWERED, 5: ANSWERED})
    gaps.days |= {7: ANSWERED, 8: MISSED, 9: ANSWERED, 10: ANSWERED}
    practice = History("practice", "Europe/London", {1: MISSED_BUT_PRACTISED, 2: ANSWERED})
    practice.days |= {4: PRACTICE_ONLY, 5: ANSWERED}  # Saturday: no prompt day
    # Auckland is 13 hours ahead: every local day here is a different UTC date at 08:00.
    auckland = History("auckland", "Pacific/Auckland", {1: LAST_THING, 2: ANSWERED})
    auckland.days |= {3: LATE, 6: ANSWERED}
    new_york = History("new_york", "America/New_York", {1: LAST_THING, 2: ANSWERED, 5: ANSWERED})
    misses = History("misses", "Europe/London", {1: MISSED, 2: MISSED, 5: MISSED, 6: ANSWERED})
    # Four answered, then a fortnight's pause (longer with the weekends), then one more.
    pause = History("pause", "Europe/London", {1: ANSWERED})
    pause.days |= dict.fromkeys(working_days_back(4, skip=20), ANSWERED)
    # Six answered, then six weeks without a prompt: the streak has lapsed.
    lapsed = History(
        "lapsed", "Europe/London", dict.fromkeys(working_days_back(6, skip=42), ANSWERED)
    )
    old_misses = History(
        "old_misses", "Europe/London", dict.fromkeys(working_days_back(3, skip=35), MISSED)
    )
    return [long, gaps, practice, auckland, new_york, misses, pause, lapsed, old_misses]


def expected(days: dict[date, bool], today: date) -> tuple[int, int]:
    """(streak, misses in a row before today), read from the whole history by hand."""
    ordered = sorted((day for day in days if day <= today), reverse=True)
    if not ordered or (today - ordered[0]).days >= LAPSE_DAYS:
        return 0, 0
    streak = misses = 0
    counting_streak = counting_misses = True
    later: date | None = None
    for day in ordered:
        if later is not None and (later - day).days >= LAPSE_DAYS:
            break
        later = day
        if counting_streak:
            if days[day]:
                streak += 1
            elif day != today:
                counting_streak = False
        if counting_misses and day != today:
            if days[day]:
                counting_misses = False
            else:
                misses += 1
    return streak, misses


def test_the_expected_reading_is_the_rule_as_written() -> None:
    monday, tuesday = date(2027, 3, 8), date(2027, 3, 9)
    assert expected({monday: True, tuesday: False}, tuesday) == (1, 0)
    assert expected({monday: True, tuesday: False}, date(2027, 3, 10)) == (0, 1)
    assert expected({monday - timedelta(days=LAPSE_DAYS): True, monday: True}, monday) == (1, 0)


def band(streak: int) -> tuple[int, ...]:
    index = max(i for i, lower in enumerate(STREAK_BANDS) if streak >= lower)
    return tuple(int(i == index) for i in range(len(STREAK_BANDS)))


@pytest.fixture
def coach(engine: Engine, library: Library, matcher: Matcher) -> Coach:
    return Coach(
        partial(SqlUnitOfWork, make_session_factory(engine)),
        library,
        FakeClock(NOW),
        CoachConfig(default_timezone="Europe/London"),
        matcher=matcher,
    )


def write(coach: Coach, stories: list[History]) -> dict[str, tuple[int, int, int]]:
    """Each history into the event log; (operative id, cohort id, telegram id) by name."""
    made: dict[str, tuple[int, int, int]] = {}
    with coach.uow_factory() as uow:
        for number, story in enumerate(stories, start=1):
            joined = datetime(2026, 1, 1, tzinfo=UTC)
            cohort = uow.cohorts.add(Cohort(story.name, f"STREAK{number}", created_at=joined))
            person = uow.operatives.add(
                Operative(
                    telegram_id=7000 + number,
                    display_name=story.name,
                    timezone=story.zone,
                    cohort_id=cohort.id,
                    created_at=joined,
                )
            )
            assert person.id is not None and cohort.id is not None
            made[story.name] = (person.id, cohort.id, person.telegram_id)
            zone = ZoneInfo(story.zone)

            def at(day: date, clock: time, zone: ZoneInfo = zone) -> datetime:
                return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)

            def log(type_: str, moment: datetime, op: int = person.id, **payload: object) -> None:
                uow.events.record(EngagementEvent(type_, op, moment, payload))

            for back in sorted(story.days, reverse=True):  # in time order, as the bot writes
                what, day, item = story.days[back], story.day(back), f"{story.name}-{back}"
                if what != PRACTICE_ONLY:
                    log("prompt_sent", at(day, time(8)), item=item, via="schedule", kind="prompt")
                answer = {"item": item, "topic": "doorstep", "verdict": "strong", "via": "button"}
                if what == ANSWERED:
                    log("answered", at(day, time(8, 10)), **answer)
                elif what == LAST_THING:
                    log("answered", at(day, time(23, 50)), **answer)
                elif what == LATE:
                    log("answered", at(day + timedelta(days=1), time(0, 10)), **answer)
                elif what in (MISSED_BUT_PRACTISED, PRACTICE_ONLY):
                    extra = f"{item}-practice"
                    log("prompt_sent", at(day, time(12)), item=extra, via="practice")
                    log("answered", at(day, time(12, 5)), **(answer | {"item": extra}))
        uow.commit()
    return made


def reported(coach: Coach, story: History, cohort_id: int) -> tuple[int, tuple[int, ...]]:
    """The streak a facilitator sees for this person today, and the managers' bands."""
    period = Period(story.today(), story.today(), story.zone)
    scope = Scope(frozenset({cohort_id}))
    with coach.uow_factory() as uow:
        (person,) = list(uow.reports.people(scope, period))
        return person.streak, uow.reports.figures(scope, period).streaks


@pytest.fixture
def stories() -> list[History]:
    return histories()


def test_the_coach_the_planner_and_the_reports_agree(coach: Coach, stories: list[History]) -> None:
    made = write(coach, stories)
    # Before today's prompt: the reports, and the planner's choice of prompt or check-in.
    for story in stories:
        streak, misses = expected(story.prompt_days(), story.today())
        op, cohort, _ = made[story.name]
        assert reported(coach, story, cohort) == (streak, band(streak)), story.name
    DailyPrompts(coach.uow_factory, coach.deps).plan()
    deliveries = Deliveries(coach.uow_factory, coach.clock)
    for story in stories:
        streak, misses = expected(story.prompt_days(), story.today())
        op, cohort, telegram_id = made[story.name]
        with coach.uow_factory() as uow:
            check_in = uow.outbox.find(Kind.CHECK_IN, op, story.today())
            prompt = uow.outbox.find(Kind.PROMPT, op, story.today())
        assert (check_in is not None) == (misses >= 3), story.name
        assert (prompt is None) == (misses >= 3), story.name
        if prompt is None:
            continue
        # Today's prompt goes, and they answer it: the coach says the streak so far.
        (delivered,) = deliveries.show_here(telegram_id)
        data = delivered.buttons[0][0][1]
        replies = coach.handle(ButtonPress(Sender(telegram_id, story.name), data))
        feedback = "\n".join(reply.text for reply in replies)
        after, _ = expected(story.prompt_days() | {story.today(): True}, story.today())
        shown = f"🔥 {after} working days in a row." in feedback
        assert shown == (after >= 2), (story.name, feedback)
        assert after >= 2 or "in a row" not in feedback, story.name
        # And the reports show the same.
        assert reported(coach, story, cohort) == (after, band(after)), story.name


def test_what_the_histories_show(stories: list[History]) -> None:
    """The histories cover what they say they do (a check on the test itself)."""
    found = {s.name: expected(s.prompt_days(), s.today()) for s in stories}
    assert found == {
        "long": (60, 0),  # longer than any window the code ever had
        "gaps": (4, 0),
        "practice": (0, 1),
        "auckland": (2, 0),
        "new_york": (3, 0),
        "misses": (0, 3),
        "pause": (5, 0),
        "lapsed": (0, 0),
        "old_misses": (0, 0),
    }


def _state(engine: Engine) -> list[tuple[object, ...]]:
    row = PromptReplyRow
    with engine.connect() as connection:
        return [
            tuple(found)
            for found in connection.execute(
                select(
                    row.operative_id,
                    row.item,
                    row.prompt_day,
                    row.answered_that_day,
                    row.run_before,
                    row.misses_before,
                ).order_by(row.id)
            )
        ]


def test_the_migration_fills_the_state_as_recording_does(
    engine: Engine, coach: Coach, stories: list[History]
) -> None:
    made = write(coach, stories)
    recorded = _state(engine)
    assert any(run > 20 for *_, run, _ in recorded)  # type: ignore[operator]
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    if engine.dialect.name == "sqlite":  # the columns stay there (see 0010): wipe them
        with engine.begin() as connection:
            connection.execute(
                update(PromptReplyRow).values(
                    prompt_day=None, answered_that_day=False, run_before=0, misses_before=0
                )
            )
    upgrade(engine)
    assert _state(engine) == recorded
    for story in stories:
        streak, _ = expected(story.prompt_days(), story.today())
        assert reported(coach, story, made[story.name][1])[0] == streak, story.name


def test_a_history_written_out_of_order_comes_out_the_same(engine: Engine, coach: Coach) -> None:
    """An import, or a hand-built history, may write days out of order: the state is
    worked out again for that operative (live code writes in order)."""
    story = History("shuffled", "Europe/London", {1: ANSWERED, 2: ANSWERED, 5: MISSED, 6: ANSWERED})
    forwards = write(coach, [story])
    in_order = _state(engine)
    with coach.uow_factory() as uow:
        op = forwards["shuffled"][0]
        for row in uow.session.scalars(select(PromptReplyRow)):
            uow.session.delete(row)
        zone = ZoneInfo(story.zone)
        for back in (1, 6, 2, 5):  # yesterday first
            day = story.day(back)
            sent = datetime.combine(day, time(8), tzinfo=zone).astimezone(UTC)
            item = f"shuffled-{back}"
            uow.events.record(
                EngagementEvent("prompt_sent", op, sent, {"item": item, "via": "schedule"})
            )
            if story.days[back] == ANSWERED:
                uow.events.record(
                    EngagementEvent("answered", op, sent + timedelta(minutes=10), {"item": item})
                )
        uow.commit()

    def by_day(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return sorted((row[1:] for row in rows), key=str)

    assert by_day(_state(engine)) == by_day(in_order)
