"""Facilitators end to end: cohorts with QR codes, follow-ups, the day 1/7/30 sequence,
anonymous commitments, and every privileged command and button refused to others."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime

import pytest
import zxingcpp
from PIL import Image

from bot.core.model import Delivery, FollowUpStatus, Kind, Role
from bot.core.router import Coach
from tests.conftest import ADMIN_ID
from tests.e2e.conftest import Scheduler
from tests.fake_bot_api import FakeBotAPI, FakeUser

pytestmark = pytest.mark.e2e


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


async def started(server: FakeBotAPI, user_id: int, name: str = "Sam") -> FakeUser:
    user = server.user(user_id, first_name=name)
    user.send("/start")
    await user.wait_for("Doorstep Coach")
    return user


def make_role(coach: Coach, user_id: int, role: Role) -> None:
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(user_id)
        assert operative is not None
        operative.role = role
        uow.operatives.save(operative)
        uow.commit()


async def facilitator_with_cohort(
    server: FakeBotAPI, coach: Coach, user_id: int = 4001, args: str = "Leeds repairs"
) -> tuple[FakeUser, str]:
    lead = await started(server, user_id, "Fran")
    make_role(coach, user_id, Role.FACILITATOR)
    lead.send(f"/newcohort {args}")
    made = await lead.wait_for(lambda m: m.photo is not None)
    code = made.plain_text.split("Code: ")[1].split()[0]
    return lead, code


def decode_qr(png: bytes) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


async def test_a_cohort_in_one_message_with_a_qr_code_that_scans_to_the_deep_link(
    server: FakeBotAPI, coach: Coach, telegram_bot: object
) -> None:
    lead, code = await facilitator_with_cohort(server, coach)
    made = lead.messages()[-1]
    link = f"https://t.me/doorstep_coach_bot?start={code}"
    assert made.photo is not None
    assert link in made.plain_text
    assert decode_qr(made.photo) == [link]
    assert len(code) >= 8 and code.isalnum()
    # An operative scans it: one tap on Start joins the group.
    amir = server.user(4101, first_name="Amir")
    amir.send(f"/start {code}")
    await amir.wait_for("You're in the <b>Leeds repairs</b> group")
    lead.send("/cohorts")
    listing = await lead.wait_for("Your groups")
    assert "Leeds repairs" in listing.plain_text and "1 member ·" in listing.plain_text


async def test_invite_codes_are_unguessable_and_distinct(
    server: FakeBotAPI, coach: Coach, telegram_bot: object
) -> None:
    lead, first = await facilitator_with_cohort(server, coach)
    codes = {first}
    for number in range(5):
        lead.send(f"/newcohort Group {number}")
        made = await lead.wait_for(lambda m: m.photo is not None)
        codes.add(made.plain_text.split("Code: ")[1].split()[0])
    assert len(codes) == 6


async def test_a_closed_cohort_and_an_unknown_code_get_clear_messages(
    server: FakeBotAPI, coach: Coach, telegram_bot: object
) -> None:
    lead, code = await facilitator_with_cohort(server, coach)
    lead.send("/cohorts")
    listing = await lead.wait_for("Your groups")
    lead.press("Leeds repairs · made 1 Dec", listing)
    card = await lead.wait_for(lambda m: bool(m.buttons) and "Code:" in (m.plain_text or ""))
    lead.press("Close this group", card)
    confirm = await lead.wait_for("Its invite link and QR code stop working")
    lead.press("Yes, close it", confirm)
    await lead.wait_for("is closed")
    late = server.user(4102)
    late.send(f"/start {code}")
    await late.wait_for("That group has closed")
    stranger = server.user(4103)
    stranger.send("/start NOTACODE99")
    await stranger.wait_for("That invite code didn't work")


async def test_workshop_date_on_the_command(
    server: FakeBotAPI, coach: Coach, telegram_bot: object
) -> None:
    lead = await started(server, 4002, "Fran")
    make_role(coach, 4002, Role.FACILITATOR)
    lead.send("/newcohort Hull north 30/11")
    made = await lead.wait_for(lambda m: m.photo is not None)
    assert "starts from the workshop on 30 November" in made.plain_text
    lead.send("/newcohort Hull south 45/13")
    await lead.wait_for("I couldn't read the workshop date")


async def test_every_privileged_command_and_button_refuses_operatives(
    server: FakeBotAPI, coach: Coach, telegram_bot: object
) -> None:
    lead, code = await facilitator_with_cohort(server, coach)
    sneaky = server.user(4104)
    sneaky.send(f"/start {code}")
    await sneaky.wait_for("group")
    lead.send("/followup")
    await lead.wait_for("Type the message")
    lead.send("See you at the depot on Friday")
    preview = await lead.wait_for(lambda m: bool(m.buttons) and "depot" in (m.text or ""))
    send_button = preview.buttons[0][0].value
    follow_up_id = send_button.split(":")[-1]
    with coach.uow_factory() as uow:
        (cohort,) = uow.cohorts.all()
    for command in ("/newcohort Mine", "/cohorts", "/followup", "/commitments", "/gaps"):
        sneaky.send(command)
        await sneaky.wait_for("only for facilitators and admins")
    sneaky.send("/grant 4104 admin")
    await sneaky.wait_for("only admins")
    welcome = sneaky.messages()[0]
    forged = [
        f"coh:close:{cohort.id}",
        f"coh:shut:{cohort.id}",
        f"coh:show:{cohort.id}",
        f"coh:link:{cohort.id}",
        f"coh:sum:{cohort.id}",
        f"fu:pick:{cohort.id}",
        f"fu:send:{follow_up_id}",
        f"fu:sched:{follow_up_id}",
        f"fu:at:{follow_up_id}:0",
        f"fu:on:{follow_up_id}:20261205",
        f"fu:cancel:{follow_up_id}",
        f"cm:list:{cohort.id}",
    ]
    for data in forged:
        sneaky.press_data(data, welcome.message_id)
        await sneaky.wait_for("only for facilitators and admins")
    # Nothing changed: the cohort is open, the follow-up still a draft, nothing queued.
    with coach.uow_factory() as uow:
        reloaded = uow.cohorts.by_id(cohort.id or 0)
        draft = uow.follow_ups.get(int(follow_up_id))
        assert reloaded is not None and reloaded.is_open
        assert draft is not None and draft.status is FollowUpStatus.DRAFT
        assert uow.outbox.counts(Kind.FOLLOW_UP) == {}
        operative = uow.operatives.get(4104)
        assert operative is not None and operative.role is Role.OPERATIVE


async def test_a_facilitator_cannot_touch_another_facilitators_cohort(
    server: FakeBotAPI, coach: Coach, telegram_bot: object
) -> None:
    await facilitator_with_cohort(server, coach)
    with coach.uow_factory() as uow:
        (cohort,) = uow.cohorts.all()
    other = await started(server, 4005, "Olu")
    make_role(coach, 4005, Role.FACILITATOR)
    welcome = other.messages()[0]
    for data in (
        f"coh:close:{cohort.id}",
        f"coh:shut:{cohort.id}",
        f"coh:link:{cohort.id}",
        f"coh:sum:{cohort.id}",
        f"fu:pick:{cohort.id}",
        f"cm:list:{cohort.id}",
    ):
        other.press_data(data, welcome.message_id)
        await other.wait_for("isn't one of your groups")
    other.send("/cohorts")
    await other.wait_for("You haven't made any groups yet")


async def test_admins_grant_roles_in_telegram(
    server: FakeBotAPI, coach: Coach, telegram_bot: object
) -> None:
    admin = await started(server, ADMIN_ID, "Ada")
    await started(server, 4006, "Fran")
    admin.send("/grant 4006 facilitator")
    await admin.wait_for("4006 is now facilitator")
    admin.send("/grant 4999 manager")
    await admin.wait_for("No one with Telegram id 4999")
    admin.send("/grant bob king")
    await admin.wait_for("ROLE is operative, facilitator, manager or admin")


async def test_follow_up_preview_send_and_delivery_counts(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 1, 10, 0))
    lead, code = await facilitator_with_cohort(server, coach)
    members = [server.user(4200 + n) for n in range(3)]
    for member in members:
        member.send(f"/start {code}")
        await member.wait_for("group")
    server.block(members[2].id)
    lead.send("/followup")
    await lead.wait_for("Type the message for <b>Leeds repairs</b>: it goes to 3 people")
    lead.send("Remember: ID first, <always> & everywhere!")
    await lead.wait_for("Preview: this goes to 3 people in Leeds repairs")
    preview = await lead.wait_for("Remember: ID first")
    assert preview.plain_text == "Remember: ID first, <always> & everywhere!"
    assert [b.text for b in preview.buttons[0]] == ["Send", "Schedule", "Cancel"]
    lead.press("Send", preview)
    await lead.wait_for("On its way to 3 people")
    await scheduler.tick()
    for member in members[:2]:
        got = await member.wait_for("Remember: ID first")
        assert got.plain_text == preview.plain_text  # the preview is what they get
        assert got.text == preview.text
    await scheduler.tick()  # the report goes once nothing is left to send
    report = await lead.wait_for("Your follow-up to")
    assert "delivered to 2, unreachable 1" in report.plain_text


async def test_follow_up_scheduled_waits_for_the_time_and_cancel_sends_nothing(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 1, 10, 0))  # Tuesday
    lead, code = await facilitator_with_cohort(server, coach)
    member = server.user(4300)
    member.send(f"/start {code}")
    await member.wait_for("group")
    lead.send("/followup")
    await lead.wait_for("Type the message")
    lead.send("Toolbox talk tomorrow")
    await lead.wait_for("Preview")
    preview = await lead.wait_for("Toolbox talk tomorrow")
    lead.press("Schedule", preview)
    await lead.wait_for("When should it go?")
    lead.press("Tomorrow (Wed 2 Dec) 08:00", preview.message_id)
    await lead.wait_for("Scheduled: it goes to 1 person on Wednesday 2 December at 08:00")
    await scheduler.tick()
    await scheduler.tick(at=utc(2026, 12, 2, 7, 59))
    assert not [m for m in member.messages() if "Toolbox" in m.plain_text]
    await scheduler.tick(at=utc(2026, 12, 2, 8, 0))
    await member.wait_for("Toolbox talk tomorrow")
    lead.send("/followup")
    await lead.wait_for("Type the message")
    lead.send("Never mind")
    await lead.wait_for("Preview")
    second = await lead.wait_for("Never mind")
    lead.press("Cancel", second)
    await lead.wait_for("Cancelled. Nothing was sent.")
    lead.press_data(second.buttons[0][0].value, second.message_id)
    await lead.wait_for("already been dealt with")
    with coach.uow_factory() as uow:
        assert uow.outbox.counts(Kind.FOLLOW_UP, "fu2") == {}


async def test_the_day_1_7_30_sequence_follows_the_clock_and_quiet_hours(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 11, 30, 12, 0))  # the workshop, Monday 30 November
    _lead, code = await facilitator_with_cohort(server, coach, args="Leeds 30/11")
    sam = server.user(4400, first_name="Sam")
    sam.send(f"/start {code}")
    await sam.wait_for("group")
    await sam.wait_for("what's your trade?")
    await scheduler.tick(at=utc(2026, 12, 1, 6, 0))  # quiet hours
    assert len(sam.messages()) == 3  # the welcome, "you're in the group" and the trade question
    await scheduler.tick(at=utc(2026, 12, 1, 8, 0))  # day 1, at their time
    await sam.wait_for("one thing you'll do differently")
    assert not [
        m for m in sam.messages() if "Tap an answer" in m.plain_text
    ]  # instead of a scenario
    sam.send("ring ahead when im running late")
    thanks = await sam.wait_for("Happy for your facilitator to see your name")
    sam.press("Yes, share my name", thanks)
    await sam.wait_for("your facilitator will see your name")
    await scheduler.tick(at=utc(2026, 12, 2, 8, 0))  # day 2: an ordinary scenario
    await sam.wait_for("Tap an answer or type")
    await scheduler.tick(at=utc(2026, 12, 7, 8, 0))  # day 7, a Monday
    check = await sam.wait_for("Last week you said")
    assert "ring ahead when im running late" in check.plain_text
    sam.press("Partly", check)
    await sam.wait_for("That's a start")
    sam.send("traffic got in the way")
    await sam.wait_for("Thanks, noted")
    await scheduler.tick(at=utc(2026, 12, 30, 8, 0))  # day 30, a Wednesday
    reflection = await sam.wait_for("A month since the workshop")
    assert "A month ago you said: ring ahead when im running late" in reflection.plain_text
    sam.send("tenants are calmer when i ring first")
    await sam.wait_for("Thanks for that")
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(sam.id)
        assert operative is not None and operative.id is not None
        commitment = uow.commitments.of(operative.id)
    assert commitment is not None
    assert commitment.outcome is not None and commitment.outcome.value == "partly"
    assert commitment.outcome_note == "traffic got in the way"
    assert commitment.reflection == "tenants are calmer when i ring first"
    assert scheduler.statuses(Kind.SEQUENCE) == {Delivery.SENT: 3}


async def test_commitments_are_anonymous_unless_shared(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 11, 30, 12, 0))
    lead, code = await facilitator_with_cohort(server, coach, args="Leeds 30/11")
    people = [
        ("Priya", "say what happens next before i leave", True),
        ("Tom", "no more love or darling", False),
    ]
    users = []
    for number, (name, commitment, share) in enumerate(people):
        user = server.user(4500 + number, first_name=name)
        user.send(f"/start {code}")
        await user.wait_for("group")
        users.append((user, commitment, share))
    await scheduler.tick(at=utc(2026, 12, 1, 8, 0))
    for user, commitment, share in users:
        await user.wait_for("one thing you'll do differently")
        user.send(commitment)
        thanks = await user.wait_for("Happy for your facilitator")
        user.press("Yes, share my name" if share else "Keep it anonymous", thanks)
        await user.wait_for("Done")
    await scheduler.tick(at=utc(2026, 12, 7, 8, 0))
    first_check = await users[0][0].wait_for("Last week you said")
    users[0][0].press("Yes", first_check)
    await users[0][0].wait_for("Great stuff")
    lead.send("/commitments")
    listing = await lead.wait_for("Commitments in")
    text = listing.plain_text
    assert "say what happens next before i leave (Priya)" in text
    assert "no more love or darling" in text and "Tom" not in text
    assert "Kept 1 · partly 0 · not yet 0 · no answer yet 1" in text
    await asyncio.sleep(0)
