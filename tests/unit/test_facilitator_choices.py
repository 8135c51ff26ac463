"""Service-level checks behind the facilitators' journeys (issue 14): who the planner
leaves out because they help run the coaching, what counts as a content gap, and a
group given back rather than made twice."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.core.handlers.answers import content_gap
from bot.core.jobs.planner import DailyPrompts
from bot.core.model import Kind, Role, Status
from bot.core.router import Coach
from tests.conftest import ADMIN_ID
from tests.support import FakeClock
from tests.unit.conversation import Operative

DAY = date(2026, 12, 1)


def set_role(coach: Coach, user_id: int, role: Role) -> None:
    with coach.uow_factory() as uow:
        person = uow.operatives.get(user_id)
        assert person is not None
        person.role = role
        uow.operatives.save(person)
        uow.commit()


def prompted(coach: Coach) -> set[int]:
    with coach.uow_factory() as uow:
        people = {op.id: op.telegram_id for op in uow.operatives.with_status(list(Status))}
        return {people[op_id] for op_id, _ in uow.outbox.queued(Kind.PROMPT, {DAY})}


def test_the_planner_and_send_now_leave_out_staff_unless_they_chose_scenarios(
    sql_coach: Coach, clock: FakeClock
) -> None:
    # On SQLite: every planning pass also queues the managers' weekly digest, which asks
    # the report queries (uow.reports.digest_recipients) who the managers are.
    coach = sql_coach
    clock.set(datetime(2026, 12, 1, 8, 0, tzinfo=UTC))
    for user_id in (1, 2, 3, ADMIN_ID):
        Operative(coach, user_id=user_id).send("/start")
    set_role(coach, 2, Role.FACILITATOR)
    set_role(coach, 3, Role.MANAGER)
    planner = DailyPrompts(coach.uow_factory, coach.deps)
    planner.plan()
    assert prompted(coach) == {1}
    # The manager turns them on; send-now then reaches them too, and only them more.
    manager = Operative(coach, user_id=3)
    manager.send("/settings")
    assert "Daily scenarios are on" in manager.press("Turn daily scenarios on")
    planner.send_now()
    assert prompted(coach) == {1, 3}


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        ("what do I do about bedbugs", True),
        ("tenant keeps a snake loose in the bath, what do i do", True),
        ("can I claim mileage for the van", False),
        ("tenant asked about rent arrears what do i say", True),
        ("thanks", False),
        ("morning mate", False),
        ("how are you", False),
        ("you're useless", False),
        ("asdfghjkl", False),
        ("no thanks", False),
    ],
)
def test_questions_are_content_gaps_and_chat_is_not(coach: Coach, message: str, kept: bool) -> None:
    assert content_gap(coach, message, coach.matcher.route(message)) is kept


def test_the_same_newcohort_twice_is_one_group(coach: Coach) -> None:
    lead = Operative(coach, user_id=5)
    lead.send("/start")
    set_role(coach, 5, Role.FACILITATOR)
    first = lead.send("/newcohort Leeds repairs 28/11")
    again = lead.send("/newcohort Leeds Repairs 28/11")
    assert "here it is again" in again
    code = first.split("Code: <code>")[1].split("<")[0]
    assert code in again
    with coach.uow_factory() as uow:
        assert [c.invite_code for c in uow.cohorts.all()] == [code]
