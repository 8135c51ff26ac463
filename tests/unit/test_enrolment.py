"""Starting, pausing, resuming and stopping, at the service level."""

from __future__ import annotations

from datetime import date, time

from bot.core.model import Cohort, Role, Status
from bot.core.router import Coach
from tests.conftest import ADMIN_ID
from tests.support import FakeClock
from tests.unit.conversation import Operative


def stored(coach: Coach, user_id: int = 42):  # type: ignore[no-untyped-def]
    with coach.uow_factory() as uow:
        return uow.operatives.get(user_id)


def add_cohort(coach: Coach, code: str, *, closed: bool = False) -> None:
    with coach.uow_factory() as uow:
        uow.cohorts.add(
            Cohort(
                name="Leeds & Bradford <repairs>",
                invite_code=code,
                closed_at=coach.clock() if closed else None,
                created_at=coach.clock(),
            )
        )
        uow.commit()


def test_start_enrols_with_working_day_defaults_in_one_step(coach: Coach) -> None:
    sam = Operative(coach)
    answer = sam.send("/start")
    assert "08:00" in answer and "Mon to Fri" in answer
    assert "/stop" in answer and "/settings" in answer
    operative = stored(coach)
    assert operative is not None
    assert operative.prompt_time == time(8, 0)
    assert operative.working_days == frozenset(range(5))
    assert operative.timezone == "Europe/London"
    assert operative.status is Status.ACTIVE
    assert operative.role is Role.OPERATIVE


def test_start_with_invite_code_joins_the_cohort_and_escapes_its_name(coach: Coach) -> None:
    add_cohort(coach, "LEEDS2026ab")
    answer = Operative(coach).send("/start LEEDS2026ab")
    assert "Leeds &amp; Bradford &lt;repairs&gt;" in answer
    operative = stored(coach)
    assert operative is not None and operative.cohort_id is not None


def test_unknown_or_closed_invite_code_still_enrols_and_says_why(coach: Coach) -> None:
    add_cohort(coach, "CLOSED123", closed=True)
    assert "didn't work" in Operative(coach, user_id=1).send("/start NOPE9999")
    assert "closed" in Operative(coach, user_id=2).send("/start CLOSED123")
    assert "didn't work" in Operative(coach, user_id=3).send("/start <script>")
    for user_id in (1, 2, 3):
        operative = stored(coach, user_id)
        assert operative is not None and operative.cohort_id is None


def test_second_start_does_not_enrol_twice(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    assert "already set up" in sam.send("/start")


def test_admin_ids_from_settings_get_the_admin_role(coach: Coach) -> None:
    Operative(coach, user_id=ADMIN_ID).send("/start")
    operative = stored(coach, ADMIN_ID)
    assert operative is not None and operative.role is Role.ADMIN


def test_commands_before_start_point_to_start(coach: Coach) -> None:
    sam = Operative(coach)
    assert "/start" in sam.send("/settings")
    assert "/start" in sam.send("hello")
    assert stored(coach) is None


def test_pause_for_days_then_resume(coach: Coach, clock: FakeClock) -> None:
    sam = Operative(coach)
    sam.send("/start")
    answer = sam.send("/pause 7")
    assert "Tuesday 8 December" in answer  # the fake clock says Tuesday 1 December
    operative = stored(coach)
    assert operative is not None
    assert operative.status is Status.PAUSED and operative.paused_until == date(2026, 12, 8)
    assert "back on" in sam.send("/resume")
    operative = stored(coach)
    assert operative is not None and operative.status is Status.ACTIVE
    assert operative.paused_until is None


def test_pause_with_buttons_and_bad_input(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    sam.send("/pause")
    assert [b.label for b in sam.buttons()] == ["1 day", "1 week", "2 weeks", "Until I resume"]
    assert "/resume" in sam.press("Until I resume")
    assert "couldn't read that date" in sam.send("/pause forever")
    assert "1 to 90" in sam.send("/pause 400")


def test_resume_when_not_paused_says_so(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    assert "not paused" in sam.send("/resume")


def test_stop_asks_first_and_can_be_cancelled(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    assert "Stop Doorstep Coach?" in sam.send("/stop")
    assert "carrying on" in sam.press("No")
    operative = stored(coach)
    assert operative is not None and operative.status is Status.ACTIVE


def test_stop_stops_everything_until_start(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    sam.send("/stop")
    assert "stopped everything" in sam.press("Yes, stop")
    operative = stored(coach)
    assert operative is not None and operative.status is Status.STOPPED
    assert "/start" in sam.send("/settings")
    assert "Welcome back" in sam.send("/start")
    operative = stored(coach)
    assert operative is not None and operative.status is Status.ACTIVE


def test_help_privacy_unknown_and_unsupported(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    assert "/settings" in sam.send("/help")
    assert "never your own words" in sam.send("/privacy")
    assert "I don't know /frobnicate" in sam.send("/frobnicate")
    assert "I don't know /&lt;b&gt;" in sam.send("/<b>")
    assert "only read text" in sam.sticker()


def test_forged_or_stale_buttons_are_refused_politely(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    for data in (
        "set:h:3",
        "set:m:25:00",
        "set:d:999",
        "pause:365",
        "nonsense",
        "set:tz:Mars/Base",
    ):
        assert "expired" in sam.press_data(data)
    operative = stored(coach)
    assert operative is not None and operative.prompt_time == time(8, 0)


def test_events_are_logged_without_personal_words(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    sam.send("/pause 3")
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(42)
        assert operative is not None and operative.id is not None
        events = uow.events.of(operative.id)
    assert [event.type for event in events] == ["enrolled", "paused"]
    assert events[1].payload == {"days": 3}
