"""Facilitators' journeys walked as they would walk them (issue 14): a group made twice
is one group, /cohorts tells groups apart and acts on each, follow-ups say the truth
about who gets them and when, and the preview is the message operatives get."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import zxingcpp
from PIL import Image

from bot.core.model import Kind, Role
from bot.core.router import Coach
from tests.conftest import ADMIN_ID
from tests.e2e.conftest import Scheduler
from tests.fake_bot_api import FakeBotAPI, FakeUser, SentMessage
from tests.support import FakeClock

pytestmark = pytest.mark.e2e

LINK = "https://t.me/doorstep_coach_bot?start="


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def make_role(coach: Coach, user_id: int, role: Role) -> None:
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(user_id)
        assert operative is not None
        operative.role = role
        uow.operatives.save(operative)
        uow.commit()


async def facilitator(server: FakeBotAPI, coach: Coach, user_id: int = 6001) -> FakeUser:
    lead = server.user(user_id, first_name="Fran")
    lead.send("/start")
    await lead.wait_for("Doorstep Coach")
    make_role(coach, user_id, Role.FACILITATOR)
    return lead


async def new_group(lead: FakeUser, args: str) -> tuple[SentMessage, str]:
    lead.send(f"/newcohort {args}")
    made = await lead.wait_for(lambda m: "Code: " in (m.plain_text or ""))
    assert made.plain_text is not None
    return made, made.plain_text.split("Code: ")[1].split()[0]


async def join(server: FakeBotAPI, user_id: int, code: str) -> FakeUser:
    member = server.user(user_id, first_name="Sam")
    member.send(f"/start {code}")
    await member.wait_for("group")
    return member


def codes(coach: Coach) -> list[str]:
    with coach.uow_factory() as uow:
        return [cohort.invite_code for cohort in uow.cohorts.all()]


def qr_text(png: bytes) -> list[str]:
    return [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


# -- /newcohort ----------------------------------------------------------------------


async def test_the_same_newcohort_twice_in_a_day_gives_back_the_same_group(
    server: FakeBotAPI, coach: Coach, clock: FakeClock, telegram_bot: object
) -> None:
    clock.set(utc(2026, 12, 1, 9, 0))
    lead = await facilitator(server, coach)
    first, code = await new_group(lead, "Leeds repairs 30/11")
    assert first.photo is not None
    clock.set(utc(2026, 12, 1, 15, 0))
    again, same = await new_group(lead, "leeds  REPAIRS 30/11")
    assert same == code
    assert "here it is again: no second group" in lead.messages()[-2].plain_text
    assert again.photo is not None and qr_text(again.photo) == [LINK + code]
    assert codes(coach) == [code]
    # A different name, or a different date, is a different group.
    _, other = await new_group(lead, "Leeds repairs 1/12")
    _, third = await new_group(lead, "Leeds voids 30/11")
    assert len({code, other, third}) == 3
    # The next day the same name makes a new group (a second workshop).
    clock.set(utc(2026, 12, 2, 10, 0))
    _, next_day = await new_group(lead, "Leeds repairs 30/11")
    assert next_day not in (code, other, third)


async def test_without_the_bots_username_the_group_is_made_once_and_joinable(
    server: FakeBotAPI, coach: Coach, telegram_bot: object
) -> None:
    lead = await facilitator(server, coach)
    username, coach.deps.bot_username = coach.deps.bot_username, None
    made, code = await new_group(lead, "Hull north")
    assert made.photo is None
    assert "try again" not in made.plain_text.lower()
    assert f"/start {code}" in made.plain_text
    # Sending it again (as anyone would) makes no second group.
    _, again = await new_group(lead, "Hull north")
    assert again == code and codes(coach) == [code]
    member = await join(server, 6101, code)
    assert "You're in the Hull north group" in member.messages()[1].plain_text
    # Once the username is known, /cohorts gives the link and QR code.
    coach.deps.bot_username = username
    lead.send("/cohorts")
    listing = await lead.wait_for("Your groups")
    lead.press(listing.buttons[0][0].text, listing)
    card = await lead.wait_for("Code:")
    lead.press("Link and QR code", card)
    link = await lead.wait_for(lambda m: m.photo is not None)
    assert link.photo is not None and qr_text(link.photo) == [LINK + code]


# -- /cohorts ------------------------------------------------------------------------


async def test_cohorts_shows_each_group_and_tells_same_names_apart(
    server: FakeBotAPI, coach: Coach, clock: FakeClock, telegram_bot: object
) -> None:
    clock.set(utc(2026, 11, 30, 9, 0))
    lead = await facilitator(server, coach)
    _, first = await new_group(lead, "Leeds repairs 30/11")
    _, dated = await new_group(lead, "Leeds repairs 14/12")
    clock.set(utc(2026, 12, 3, 9, 0))  # a second group for the same workshop, days later
    _, twin = await new_group(lead, "Leeds repairs 30/11")
    for number in range(2):
        await join(server, 6200 + number, first)
    await join(server, 6210, twin)
    lead.send("/cohorts")
    listing = await lead.wait_for("Your groups")
    text = listing.plain_text
    assert f"Leeds repairs, workshop Mon 30 Nov 2026 · 2 members · open · code {first}" in text
    assert f"Leeds repairs, workshop Mon 30 Nov 2026 · 1 member · open · code {twin}" in text
    assert f"Leeds repairs, workshop Mon 14 Dec 2026 · 0 members · open · code {dated}" in text
    labels = [row[0].text for row in listing.buttons]
    assert len(set(labels)) == 3
    assert "Leeds repairs · 14 Dec" in labels
    assert f"Leeds repairs · 30 Nov · {first}" in labels
    assert f"Leeds repairs · 30 Nov · {twin}" in labels


async def test_a_groups_card_gives_its_link_summary_and_a_confirmed_close(
    server: FakeBotAPI, coach: Coach, telegram_bot: object
) -> None:
    lead = await facilitator(server, coach)
    _, code = await new_group(lead, "Hull south 30/11")
    await join(server, 6300, code)
    lead.send("/cohorts")
    listing = await lead.wait_for("Your groups")
    lead.press("Hull south · 30 Nov", listing)
    card = await lead.wait_for("Code:")
    assert "Hull south\nworkshop Mon 30 Nov 2026 · 1 member · open" in card.plain_text
    assert [[b.text for b in row] for row in card.buttons] == [
        ["Link and QR code", "Summary"],
        ["Close this group"],
    ]
    lead.press("Link and QR code", card)
    link = await lead.wait_for(lambda m: m.photo is not None)
    assert link.photo is not None and qr_text(link.photo) == [LINK + code]
    lead.press("Summary", card)
    await lead.wait_for(lambda m: (m.plain_text or "").startswith("Hull south, "))
    # Closing asks first; "no" leaves it open and shows the card again.
    lead.press("Close this group", card)
    ask = await lead.wait_for("Close Hull south (1 member)?")
    lead.press("No, keep it open", ask)
    await lead.wait_for("Code:")
    with coach.uow_factory() as uow:
        cohort = uow.cohorts.by_code(code)
        assert cohort is not None and cohort.is_open
    lead.press("Close this group", card)
    ask = await lead.wait_for("Close Hull south (1 member)?")
    lead.press("Yes, close it", ask)
    await lead.wait_for("Hull south is closed")
    late = server.user(6301)
    late.send(f"/start {code}")
    await late.wait_for("That group has closed")
    lead.send("/cohorts")
    listing = await lead.wait_for("Your groups")
    assert "· closed " in listing.plain_text
    lead.press("Hull south · 30 Nov", listing)
    closed_card = await lead.wait_for("Code:")
    assert [[b.text for b in row] for row in closed_card.buttons] == [["Summary"]]


# -- follow-ups ----------------------------------------------------------------------


async def preview_of(lead: FakeUser, text: str) -> tuple[SentMessage, SentMessage]:
    lead.send(text)
    header = await lead.wait_for("Preview")
    copy = await lead.wait_for(lambda m: bool(m.buttons) and m.buttons[0][0].text == "Send")
    return header, copy


async def test_a_follow_up_to_one_person_speaks_of_one_person(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 1, 10, 0))  # Tuesday, working hours
    lead = await facilitator(server, coach)
    _, code = await new_group(lead, "Selby")
    member = await join(server, 6400, code)
    lead.send("/followup")
    asked = await lead.wait_for("Type the message for")
    assert "it goes to 1 person." in asked.plain_text
    header, copy = await preview_of(lead, "See you Friday")
    assert "this goes to 1 person in Selby" in header.plain_text
    lead.press("Send", copy)
    await lead.wait_for("On its way to 1 person.")
    await scheduler.tick()
    await member.wait_for("See you Friday")


async def test_a_follow_up_to_an_empty_group_is_refused_kindly(
    server: FakeBotAPI, coach: Coach, telegram_bot: object
) -> None:
    lead = await facilitator(server, coach)
    _, code = await new_group(lead, "Goole")
    lead.send("/followup")
    await lead.wait_for("Nobody has joined Goole yet, so there's no one to send to")
    member = await join(server, 6500, code)
    member.send("/stop")
    stop = await member.wait_for("Stop Doorstep Coach?")
    member.press("Yes, stop", stop)
    await member.wait_for("I've stopped everything")
    lead.send("/followup")
    await lead.wait_for("Everyone in Goole has paused or stopped for now")
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(lead.id)
        assert operative is not None and operative.awaiting is None  # not waiting for words
    lead.send("hello")
    await lead.wait_for("Ask me anything")  # read as a message, not a follow-up


async def test_a_follow_up_held_for_working_hours_says_when_it_really_goes(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 5, 10, 0))  # Saturday: members work Mon to Fri
    lead = await facilitator(server, coach)
    _, code = await new_group(lead, "Wakefield")
    members = [await join(server, 6600 + n, code) for n in range(2)]
    lead.send("/followup")
    await lead.wait_for("Type the message")
    _, copy = await preview_of(lead, "Toolbox talk on Monday")
    lead.press("Send", copy)
    said = await lead.wait_for("Queued for 2 people")
    assert "it goes on Monday 7 December at 07:00" in said.plain_text
    assert "On its way" not in said.plain_text
    await scheduler.tick(at=utc(2026, 12, 7, 6, 59))
    assert not [m for m in members[0].messages() if "Toolbox" in m.plain_text]
    await scheduler.tick(at=utc(2026, 12, 7, 7, 0))
    for member in members:
        await member.wait_for("Toolbox talk on Monday")


async def test_a_follow_up_partly_held_says_who_gets_it_when(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 5, 10, 0))  # Saturday
    lead = await facilitator(server, coach)
    _, code = await new_group(lead, "Pontefract")
    weekend = await join(server, 6700, code)
    await join(server, 6701, code)
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(weekend.id)
        assert operative is not None
        operative.working_days = frozenset(range(7))
        uow.operatives.save(operative)
        uow.commit()
    lead.send("/followup")
    await lead.wait_for("Type the message")
    _, copy = await preview_of(lead, "Depot closed Monday")
    lead.press("Send", copy)
    await lead.wait_for(
        "It goes to 1 person now, and to 1 person on Monday 7 December at 07:00, "
        "in their working hours."
    )


async def test_on_a_sunday_the_schedule_choices_are_three_different_times(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 6, 10, 0))  # Sunday
    lead = await facilitator(server, coach)
    _, code = await new_group(lead, "Castleford")
    member = await join(server, 6800, code)
    lead.send("/followup")
    await lead.wait_for("Type the message")
    _, copy = await preview_of(lead, "Week two starts")
    lead.press("Schedule", copy)
    when = await lead.wait_for("When should it go?")
    labels = [row[0].text for row in when.buttons]
    assert labels == ["In 1 hour", "Tomorrow (Mon 7 Dec) 08:00", "Monday 14 Dec 08:00"]
    lead.press("Monday 14 Dec 08:00", when)
    await lead.wait_for("Scheduled: it goes to 1 person on Monday 14 December at 08:00")
    await scheduler.tick(at=utc(2026, 12, 7, 8, 0))
    assert not [m for m in member.messages() if "Week two" in m.plain_text]
    await scheduler.tick(at=utc(2026, 12, 14, 8, 0))
    await member.wait_for("Week two starts")


async def test_in_an_hour_on_a_sunday_says_it_waits_for_monday(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 6, 10, 0))  # Sunday
    lead = await facilitator(server, coach)
    _, code = await new_group(lead, "Normanton")
    await join(server, 6900, code)
    lead.send("/followup")
    await lead.wait_for("Type the message")
    _, copy = await preview_of(lead, "Quick one")
    lead.press("Schedule", copy)
    when = await lead.wait_for("When should it go?")
    lead.press("In 1 hour", when)
    said = await lead.wait_for("Queued for 1 person")
    assert "it goes on Monday 7 December at 07:00" in said.plain_text


async def test_the_preview_is_exactly_what_operatives_get_formatting_and_all(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 1, 10, 0))
    lead = await facilitator(server, coach)
    _, code = await new_group(lead, "Batley")
    member = await join(server, 7000, code)
    lead.send("/followup")
    asked = await lead.wait_for("Type the message")
    assert "plain text, exactly as you type it" in asked.plain_text
    words = "<b>Reply</b> to Mrs Khan & the office by 5pm: 2 < 3"
    header, copy = await preview_of(lead, words)
    assert "The next message is exactly what they'll see" in header.plain_text
    assert copy.plain_text == words
    assert not copy.entities  # no bold: facilitators' words are plain text
    lead.press("Send", copy)
    await lead.wait_for("On its way")
    await scheduler.tick()
    got = await member.wait_for("Mrs Khan")
    assert (got.text, got.plain_text, got.entities) == (copy.text, copy.plain_text, [])
    assert scheduler.statuses(Kind.FOLLOW_UP)


# -- /gaps ---------------------------------------------------------------------------

QUESTIONS = (
    "tenant asked about rent arrears what do i say",  # "did you mean"
    "tenant keeps a snake loose in the bath, what do i do",  # beyond the content
    "what do I do about bedbugs",  # no word the content knows
)
#: Chat, and work chat that isn't customer care: answered as chat, never a gap.
CHAT = (
    "can I claim mileage for the van",
    "is the depot open on saturday",
    "thanks",
    "morning mate",
    "you're useless",
    "how are you",
    "who won the football",
    "asdfghjkl",
    "lol",
    "no thanks",
)


async def test_gaps_lists_every_question_the_coach_couldnt_answer_and_no_chat(
    server: FakeBotAPI, coach: Coach, telegram_bot: object
) -> None:
    lead = await facilitator(server, coach)
    _, code = await new_group(lead, "Ossett")
    member = await join(server, 7100, code)
    await member.wait_for("what's your trade?")
    for message in (*QUESTIONS, *CHAT):
        member.mark()
        member.send(message)
        await member.wait_for(lambda m: True)  # each answered before the next
    member.send("what do i say if im running late")
    await member.wait_for("Keeping tenants informed")
    lead.send("/gaps")
    listing = await lead.wait_for("Questions I couldn't answer")
    for question in QUESTIONS:
        assert question in listing.plain_text
    for chat in CHAT:
        assert f": {chat}\n" not in listing.plain_text + "\n"
    assert "running late" not in listing.plain_text  # answered with a tip
    assert "Sam" not in listing.plain_text
    replies = [m.plain_text for m in member.messages()]
    assert any("I can't help with that one" in text for text in replies)


# -- /help, /summary and /export for facilitators --------------------------------------


async def test_a_facilitators_help_lists_summary_and_export_and_both_work_for_their_groups(
    server: FakeBotAPI, coach: Coach, telegram_bot: object
) -> None:
    lead = await facilitator(server, coach)
    _, code = await new_group(lead, "Morley")
    await join(server, 7200, code)
    lead.send("/help")
    help_text = (await lead.wait_for("For facilitators")).plain_text
    assert "/summary" in help_text and "/export" in help_text
    assert "For managers" not in help_text
    lead.send("/summary")
    await lead.wait_for(lambda m: (m.plain_text or "").startswith("Morley, "))
    lead.send(f"/summary {code}")
    await lead.wait_for(lambda m: (m.plain_text or "").startswith("Morley, "))
    # Someone else's group is not theirs to see.
    other = await facilitator(server, coach, 6002)
    _, theirs = await new_group(other, "Batley carr")
    lead.send(f"/summary {theirs}")
    await lead.wait_for("I can't find a group with the code")
    lead.send(f"/export {theirs}")
    await lead.wait_for("I can't find a group with the code")


# -- daily scenarios are opt-in for facilitators, managers and admins -----------------


async def test_staff_get_no_daily_scenarios_unless_they_turn_them_on(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 1, 7, 30))  # Tuesday, before 08:00
    admin = server.user(ADMIN_ID, first_name="Ada")
    admin.send("/start")
    welcome = await admin.wait_for("Doorstep Coach")
    assert "won't send you the daily scenarios unless you want them" in welcome.plain_text
    fran = server.user(7300, first_name="Fran")
    fran.send("/start")
    await fran.wait_for("Each working day at 08:00")  # an operative, for now
    manager = server.user(7301, first_name="Mo")
    manager.send("/start")
    await manager.wait_for("Each working day at 08:00")
    operative = server.user(7302, first_name="Sam")
    operative.send("/start")
    await operative.wait_for("Each working day at 08:00")
    admin.send("/grant 7300 facilitator")
    granted = await admin.wait_for("7300 is now facilitator")
    assert "Daily scenarios are off for them unless they turn them on" in granted.plain_text
    admin.send("/grant 7301 manager")
    await admin.wait_for("7301 is now manager")
    await scheduler.tick(at=utc(2026, 12, 1, 8, 0))
    await operative.wait_for("Tap an answer or type")
    for staff in (admin, fran, manager):
        assert not [m for m in staff.messages() if "Tap an answer" in m.plain_text]
    # /start again doesn't pretend they're booked in for 08:00.
    fran.send("/start")
    again = await fran.wait_for("You're already set up")
    assert "Daily scenarios are off for you" in again.plain_text
    # The facilitator turns them on in /settings: from the next working day, they come.
    fran.send("/settings")
    page = await fran.wait_for("Your settings")
    assert "Daily scenarios: off" in page.plain_text
    fran.press("Turn daily scenarios on", page)
    await fran.wait_for("Daily scenarios are on: 08:00, Mon to Fri")
    await scheduler.tick(at=utc(2026, 12, 2, 8, 0))
    await fran.wait_for("Tap an answer or type")
    await operative.wait_for("Tap an answer or type")
    assert not [m for m in manager.messages() if "Tap an answer" in m.plain_text]
    # And off again.
    fran.send("/settings")
    page = await fran.wait_for("Daily scenarios: on")
    fran.press("Turn daily scenarios off", page)
    await fran.wait_for("Daily scenarios are off")
    await scheduler.tick(at=utc(2026, 12, 3, 8, 0))
    assert len([m for m in fran.messages() if "Tap an answer" in m.plain_text]) == 1
    # An operative's /settings has no such switch: /pause and /stop are theirs.
    operative.send("/settings")
    page = await operative.wait_for("Your settings")
    assert "Daily scenarios" not in page.plain_text
