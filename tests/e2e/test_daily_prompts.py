"""Daily prompts end to end: planner, outbox and sender on a fake clock, PTB against the
local Bot API server, operatives answering with taps and words."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time

import pytest

from bot.core.model import Delivery, Kind, Status
from bot.core.router import Coach
from tests.e2e.conftest import Scheduler
from tests.fake_bot_api import FakeBotAPI, FakeUser, SentMessage

pytestmark = pytest.mark.e2e


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def enrol(
    server: FakeBotAPI,
    coach: Coach,
    user_id: int,
    *,
    timezone: str = "Europe/London",
    prompt_time: time = time(8, 0),
) -> FakeUser:
    user = server.user(user_id, first_name=f"Op{user_id}")
    user.send("/start")
    await user.wait_for("Doorstep Coach")
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(user_id)
        assert operative is not None
        operative.timezone = timezone
        operative.prompt_time = prompt_time
        uow.operatives.save(operative)
        uow.commit()
    user.mark()
    return user


def prompts_to(server: FakeBotAPI, user: FakeUser) -> list[SentMessage]:
    return [m for m in server.messages(user.id) if "Tap an answer or type" in m.plain_text]


async def test_prompts_follow_each_time_zone_across_the_march_clock_change(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 3, 27, 6, 0))  # Friday before the change
    london = await enrol(server, coach, 2001)
    dublin = await enrol(server, coach, 2002, timezone="Europe/Dublin", prompt_time=time(9))
    assert await scheduler.tick(at=utc(2026, 3, 27, 7, 59)) == 0
    assert await scheduler.tick(at=utc(2026, 3, 27, 8, 0)) == 1  # 08:00 GMT
    assert len(prompts_to(server, london)) == 1
    assert await scheduler.tick(at=utc(2026, 3, 27, 9, 0)) == 1  # 09:00 in Dublin
    assert await scheduler.tick(at=utc(2026, 3, 27, 10, 0)) == 0  # once a day
    # The weekend (clocks change on Sunday 29th) sends nothing.
    for hour in (8, 12, 18):
        assert await scheduler.tick(at=utc(2026, 3, 28, hour, 0)) == 0
        assert await scheduler.tick(at=utc(2026, 3, 29, hour, 0)) == 0
    # Monday: 08:00 BST is 07:00 UTC.
    assert await scheduler.tick(at=utc(2026, 3, 30, 6, 59)) == 0
    assert await scheduler.tick(at=utc(2026, 3, 30, 7, 0)) == 1
    assert len(prompts_to(server, london)) == 2
    assert len(prompts_to(server, dublin)) == 1
    assert await scheduler.tick(at=utc(2026, 3, 30, 8, 0)) == 1  # 09:00 IST in Dublin
    assert len(prompts_to(server, dublin)) == 2


async def test_prompts_follow_the_october_clock_change(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 10, 23, 6, 0))
    london = await enrol(server, coach, 2003)
    assert await scheduler.tick(at=utc(2026, 10, 23, 7, 0)) == 1  # Friday, 08:00 BST
    assert await scheduler.tick(at=utc(2026, 10, 26, 7, 0)) == 0  # Monday, 07:00 GMT
    assert await scheduler.tick(at=utc(2026, 10, 26, 8, 0)) == 1
    assert len(prompts_to(server, london)) == 2


async def test_no_prompt_in_quiet_hours_even_when_the_bot_was_down(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 1, 6, 0))
    late = await enrol(server, coach, 2004, prompt_time=time(19, 45))
    # The bot was down all day and comes back at 20:05 local: too late today.
    assert await scheduler.tick(at=utc(2026, 12, 1, 20, 5)) == 0
    assert await scheduler.tick(at=utc(2026, 12, 2, 6, 30)) == 0
    assert await scheduler.tick(at=utc(2026, 12, 2, 19, 45)) == 1
    assert len(prompts_to(server, late)) == 1


async def test_answering_a_scheduled_prompt_builds_a_streak_over_a_weekend(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 3, 6, 0))  # Thursday
    sam = await enrol(server, coach, 2005)
    for day in (3, 4, 7):  # Thursday, Friday, Monday
        await scheduler.tick(at=utc(2026, 12, day, 8, 0))
        prompt = prompts_to(server, sam)[-1]
        sam.press(prompt.buttons[0][0].text, prompt)
        feedback = await sam.wait_for("What works")
    assert "3 working days in a row" in feedback.plain_text


async def test_one_gentle_reminder_the_same_day_and_none_in_the_evening(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 1, 6, 0))
    early = await enrol(server, coach, 2006)
    evening = await enrol(server, coach, 2007, prompt_time=time(17, 0))
    await scheduler.tick(at=utc(2026, 12, 1, 8, 0))
    assert await scheduler.tick(at=utc(2026, 12, 1, 10, 59)) == 0
    assert await scheduler.tick(at=utc(2026, 12, 1, 11, 0)) == 1
    await early.wait_for("Still time for today's scenario")
    assert await scheduler.tick(at=utc(2026, 12, 1, 15, 0)) == 0  # only one
    await scheduler.tick(at=utc(2026, 12, 1, 17, 0))  # the evening prompt
    assert await scheduler.tick(at=utc(2026, 12, 1, 19, 59)) == 0  # 20:00 is too late
    assert not [m for m in server.messages(evening.id) if "Still time" in m.plain_text]
    assert scheduler.statuses(Kind.REMINDER) == {Delivery.SENT: 1}


async def test_an_answered_prompt_gets_no_reminder(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 1, 6, 0))
    sam = await enrol(server, coach, 2008)
    await scheduler.tick(at=utc(2026, 12, 1, 8, 0))
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(sam.id)
        assert operative is not None and operative.awaiting is not None
    prompt = coach.library.prompts[operative.awaiting.removeprefix("answer:")]
    sam.send(prompt.rubric[0].examples[0])
    await sam.wait_for("What works")
    assert await scheduler.tick(at=utc(2026, 12, 1, 11, 30)) == 0


async def test_later_moves_a_waiting_prompt_or_nudges_after_one_was_sent(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 1, 6, 0))
    sam = await enrol(server, coach, 2009, prompt_time=time(9, 0))
    scheduler.clock.set(utc(2026, 12, 1, 9, 0))
    await asyncio.to_thread(scheduler.planner.plan)  # queued, not sent yet
    sam.send("/later")
    await sam.wait_for("will come at 10:00 instead")
    assert await scheduler.tick() == 0
    assert await scheduler.tick(at=utc(2026, 12, 1, 10, 0)) == 1
    sam.send("/later")
    await sam.wait_for("I'll give you a nudge at 11:00")
    assert await scheduler.tick(at=utc(2026, 12, 1, 11, 0)) == 1
    await sam.wait_for("Still time")
    assert await scheduler.tick(at=utc(2026, 12, 1, 13, 0)) == 0  # no second reminder
    sam.send("/later")
    await sam.wait_for("too late today")


async def test_pause_skips_days_and_ends_by_itself(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 1, 7, 0))  # Tuesday
    sam = await enrol(server, coach, 2010)
    sam.send("/pause 2")
    await sam.wait_for("start again on Thursday 3 December")
    assert await scheduler.tick(at=utc(2026, 12, 1, 8, 0)) == 0
    assert await scheduler.tick(at=utc(2026, 12, 2, 8, 0)) == 0
    assert await scheduler.tick(at=utc(2026, 12, 3, 8, 0)) == 1
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(sam.id)
        assert operative is not None and operative.status is Status.ACTIVE


async def test_a_holiday_until_a_date_and_resume(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 1, 7, 0))
    sam = await enrol(server, coach, 2011)
    sam.send("/pause until 4/12")
    await sam.wait_for("paused up to and including Friday 4 December")
    assert await scheduler.tick(at=utc(2026, 12, 3, 8, 0)) == 0
    sam.send("/resume")
    await sam.wait_for("You're back on")
    assert await scheduler.tick(at=utc(2026, 12, 3, 8, 1)) == 1


async def test_pausing_cancels_a_prompt_already_queued(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 1, 8, 0))
    sam = await enrol(server, coach, 2012)
    await asyncio.to_thread(scheduler.planner.plan)
    sam.send("/pause 1")
    await sam.wait_for("start again")
    assert await scheduler.tick() == 0
    assert scheduler.statuses(Kind.PROMPT) == {Delivery.CANCELLED: 1}


async def test_three_unanswered_prompts_bring_one_check_in_instead_of_a_fourth(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 1, 6, 0))  # Tuesday
    sam = await enrol(server, coach, 2013)
    for day in (1, 2, 3):
        await scheduler.tick(at=utc(2026, 12, day, 8, 0))
    await scheduler.tick(at=utc(2026, 12, 4, 8, 0))
    check_in = await sam.wait_for("Would fewer suit you better?")
    assert len(prompts_to(server, sam)) == 3
    await scheduler.tick(at=utc(2026, 12, 7, 8, 0))  # Monday: prompts again, no nagging
    assert len(prompts_to(server, sam)) == 4
    await scheduler.tick(at=utc(2026, 12, 8, 8, 0))
    assert sum("Would fewer" in m.plain_text for m in server.messages(sam.id)) == 1
    sam.press("3 a week (Mon, Wed, Fri)", check_in)
    await sam.wait_for("Mon, Wed, Fri")
    assert await scheduler.tick(at=utc(2026, 12, 10, 8, 0)) == 0  # Thursday now off


async def test_send_now_queues_today_for_a_cohort_only(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    from bot.core.model import Cohort

    scheduler.clock.set(utc(2026, 12, 1, 6, 0))
    with coach.uow_factory() as uow:
        cohort = uow.cohorts.add(Cohort("Leeds", "LEEDSnow1", created_at=scheduler.clock()))
        uow.commit()
    member = server.user(2014)
    member.send("/start LEEDSnow1")
    await member.wait_for("Leeds")
    outsider = await enrol(server, coach, 2015)
    plan = await asyncio.to_thread(scheduler.planner.send_now, cohort.id)
    assert plan.prompts == 1
    # 06:00 is before quiet hours end: it waits until 07:00.
    assert await scheduler.tick() == 0
    assert await scheduler.tick(at=utc(2026, 12, 1, 7, 0)) == 1
    assert len(prompts_to(server, member)) == 1 and prompts_to(server, outsider) == []
    assert (await asyncio.to_thread(scheduler.planner.send_now, cohort.id)).prompts == 0
    assert date(2026, 12, 1)  # one a day, however often send-now is pressed
