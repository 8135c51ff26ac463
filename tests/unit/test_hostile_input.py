"""Odd, forged and hostile input gets a clear answer at the service level, never an error."""

from __future__ import annotations

from datetime import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.callbacks import decode
from bot.core.content.html import html_problem, visible_length
from bot.core.messages import ButtonPress, Command, Event, Sender, Text, Unsupported
from bot.core.model import ContentGap, Role, Status
from bot.core.router import Coach
from tests.conftest import ADMIN_ID
from tests.fuzzing import COMMANDS
from tests.unit.conversation import Operative
from tests.unit.test_enrolment import stored

EXPIRED = "That button has expired"


def started(coach: Coach, user_id: int = 42, role: Role | None = None) -> Operative:
    person = Operative(coach, user_id=user_id)
    person.send("/start")
    if role is not None:
        with coach.uow_factory() as uow:
            found = uow.operatives.get(user_id)
            assert found is not None
            found.role = role
            uow.operatives.save(found)
            uow.commit()
    return person


def test_pause_with_digits_of_another_script_asks_for_a_number(coach: Coach) -> None:
    sam = started(coach)
    for typed in ("²", "٣", "99999999999999999999999"):
        assert "number of days from 1 to 90" in sam.send(f"/pause {typed}")
    operative = stored(coach)
    assert operative is not None and operative.status is Status.ACTIVE


def test_forged_settings_buttons_expire(coach: Coach) -> None:
    sam = started(coach)
    for data in ("set:h:²", "set:h:3", "set:m:9:31", "set:d:128", "set:tz:Mars/Base", "pause:٣"):
        assert EXPIRED in sam.press_data(data)
    operative = stored(coach)
    assert operative is not None and operative.status is Status.ACTIVE


def test_a_follow_up_button_with_a_huge_id_expires(coach: Coach) -> None:
    lead = started(coach, role=Role.FACILITATOR)
    assert EXPIRED in lead.press_data("fu:send:99999999999999999999")
    assert EXPIRED in lead.press_data("fu:at:1:²")


def test_a_time_zone_that_is_a_folder_or_too_long_is_refused_until_cancelled(
    coach: Coach,
) -> None:
    sam = started(coach)
    for typed in ("Europe", "Europe/" + "x" * 300, "²", "\u202e" * 50):
        sam.send("/settings")
        sam.press("Time zone")
        sam.press("Somewhere else")
        assert "I don't know the time zone" in sam.send(typed)
        operative = stored(coach)
        assert operative is not None and operative.timezone == "Europe/London"
    sam.send("cancel")
    # The next message is read as a message again, not as another time zone.
    assert "time zone" not in sam.send("tenant keeps shouting at me")


def test_odd_typed_times_are_refused_clearly(coach: Coach) -> None:
    sam = started(coach)
    sam.send("/settings")
    sam.press("Prompt time")
    for typed in ("²:30", "7:٣0", "99:99", "7" * 300, "13pm", "<b>7</b>"):
        assert "as a time" in sam.send(typed)
    operative = stored(coach)
    assert operative is not None and operative.prompt_time == time(8, 0)


def test_periods_at_the_ends_of_the_calendar_are_refused_clearly(coach: Coach) -> None:
    manager = started(coach, role=Role.MANAGER)
    for period in ("0000-01", "9999-12", "2026-1٢"):
        assert f'I can\'t read "{period}" as a period' in manager.send(f"/summary {period}")


def test_grant_with_an_odd_id_shows_how(coach: Coach) -> None:
    admin = started(coach, user_id=ADMIN_ID)
    for args in ("² manager", "99999999999999999999999 admin", "-5 manager"):
        assert "/grant USER_ID ROLE" in admin.send(f"/grant {args}")


def test_an_unknown_long_command_is_quoted_back_short(coach: Coach) -> None:
    sam = started(coach)
    answer = sam.send("/" + "x" * 5000)
    assert "/" + "x" * 32 + "." in answer and visible_length(answer) < 200


def test_the_gap_list_fits_one_message_however_long_the_questions(coach: Coach) -> None:
    admin = started(coach, user_id=ADMIN_ID)
    with coach.uow_factory() as uow:
        for number in range(40):
            uow.gaps.add(ContentGap(f"{number} " + "why " * 150, None, None, None, coach.clock()))
        uow.commit()
    assert visible_length(admin.send("/gaps")) <= 4096


def test_after_a_failure_a_typed_input_state_ends_but_a_prompt_still_waits(
    coach: Coach,
) -> None:
    sam = started(coach)
    sam.send("/settings")
    sam.press("Time zone")
    sam.press("Somewhere else")
    assert "Please try that again" in coach.recover(sam.sender)[0].text
    operative = stored(coach)
    assert operative is not None and operative.awaiting is None
    sam.send("/practice")
    coach.recover(sam.sender)
    operative = stored(coach)
    assert operative is not None and (operative.awaiting or "").startswith("answer:")
    scenario = operative.awaiting
    # A time being typed over that scenario ends; the scenario waits again.
    sam.send("/settings")
    sam.press("Prompt time")
    coach.recover(sam.sender)
    operative = stored(coach)
    assert operative is not None and operative.awaiting == scenario


# -- every event, however odd, gets a reply Telegram would accept ----------------------

ODD_TEXT = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["²", "٣", "0000-01", "9999-12", "Europe", "<b>", "&", "a" * 4096]),
    st.text(alphabet="0123456789/:-.w ", max_size=30),
)
REAL_DATA = st.sampled_from(
    [
        "stop:no",
        "pause:1",
        "checkin:keep",
        "set:time",
        "set:h:9",
        "set:m:9:30",
        "set:days",
        "set:d:31",
        "set:dd:0",
        "set:tz",
        "set:tz:other",
        "set:tz:Europe/Dublin",
        "set:done",
        "cm:share:yes",
        "cm:out:partly",
        "cm:list:1",
        "coh:close:1",
        "fu:pick:1",
        "fu:send:1",
        "fu:sched:1",
        "fu:at:1:2",
        "fu:cancel:1",
        "tip:no-such-tip",
        "forget:no",
    ]
)
USERS = st.sampled_from([(42, None), (43, Role.FACILITATOR), (44, Role.MANAGER), (ADMIN_ID, None)])


def events(user_id: int) -> st.SearchStrategy[Event]:
    sender = Sender(user_id, "Sam")
    return st.one_of(
        st.builds(Command, st.just(sender), st.sampled_from(COMMANDS), ODD_TEXT),
        st.builds(Command, st.just(sender), st.text(min_size=1, max_size=40), ODD_TEXT),
        st.builds(Text, st.just(sender), ODD_TEXT),
        st.builds(ButtonPress, st.just(sender), st.one_of(REAL_DATA, st.text(max_size=80))),
        st.builds(Unsupported, st.just(sender), st.sampled_from(["sticker", "photo", "voice"])),
    )


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.data())
def test_every_event_gets_a_reply_telegram_accepts(sql_coach: Coach, data: st.DataObject) -> None:
    # On SQLite: managers' /summary and /report run the reports' SQL queries.
    coach = sql_coach
    user_id, role = data.draw(USERS)
    if data.draw(st.booleans()):
        started(coach, user_id, role)
    event = data.draw(events(user_id))
    replies = coach.handle(event)
    assert replies, f"no reply to {event!r}"
    for reply in replies:
        assert reply.text.strip()
        assert html_problem(reply.text) is None
        limit = 1024 if reply.image or reply.document else 4096
        assert visible_length(reply.text) <= limit
        for row in reply.buttons:
            for button in row:
                assert button.label.strip()
                assert decode(button.data).__class__.__name__ != "Expired"
