"""A small, hand-built engagement history whose report figures are worked out by hand.

The period is Monday 2 to Sunday 15 November 2026 (London is on GMT then, so
local time is UTC): week 0 is 2-8 Nov, week 1 is 9-15 Nov.

Hull North (HULL1, facilitator 500): six operatives a1..a6 (a7 joins after the
period). Leeds (LEEDS1, facilitator 501): three operatives b1..b3, below the
privacy floor. A manager (600) and the facilitators also use the bot; their
events must never count.

    op   zone    scheduled prompts (08:00)  replies (delay)                  streak at 15 Nov
    a1   London  Nov 2-6, 9-13              all, same day (600 s)            10 (10+)
    a2   London  Nov 2-6, 9-13; Oct 20      all but Nov 10 (1200 s)          3  (3-4)
    a3   London  Nov 2-4                    none; paused 5 Nov               0
    a4   London  Nov 9-13                   Nov 12, 13 (3600 s)              2  (1-2)
    a5   London  practice 4 Nov 12:00       12:01 and 12:05 (60 s)           0; stopped 12 Nov
    a6   Berlin  Nov 12 07:00, 13 22:30 UTC 07:30 and 23:10 UTC (1800, 2400) 0: 23:10 UTC is
                                                                             the 14th in Berlin
    b1-3 London  Nov 3                      same day (900 s)                 1 each

Worked figures are in the tests that use this.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from bot.core.model import Cohort, ContentGap, EngagementEvent, Operative, Role, Status
from bot.core.reports.ports import Period
from bot.core.router import Coach
from bot.storage.models import CommitmentRow
from bot.storage.unit_of_work import SqlUnitOfWork

PERIOD = Period(date(2026, 11, 2), date(2026, 11, 15), "Europe/London")
MANAGER = 600
FACILITATOR_A = 500
FACILITATOR_B = 501
#: A secret that must never appear in anything a manager sees.
SECRET = "SECRET-free-text-42"
#: A name a spreadsheet would take for a formula.
FORMULA_NAME = '=HYPERLINK("http://x")'


def at(day: int, hour: int = 8, minute: int = 0, second: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


class Builder:
    def __init__(self, uow: SqlUnitOfWork) -> None:
        self.uow = uow
        self.ids: dict[str, int] = {}

    def operative(
        self,
        key: str,
        telegram_id: int,
        cohort: int | None,
        *,
        created: datetime,
        zone: str = "Europe/London",
        role: Role = Role.OPERATIVE,
        status: Status = Status.ACTIVE,
        name: str | None = None,
        enrolled_event: bool = True,
    ) -> int:
        operative = self.uow.operatives.add(
            Operative(
                telegram_id=telegram_id,
                display_name=name or key,
                timezone=zone,
                role=role,
                cohort_id=cohort,
                status=status,
                created_at=created,
            )
        )
        assert operative.id is not None
        self.ids[key] = operative.id
        if enrolled_event:
            self.event(key, "enrolled", created, cohort=cohort)
        return operative.id

    def event(self, key: str, type_: str, moment: datetime, **payload: Any) -> None:
        self.uow.events.record(EngagementEvent(type_, self.ids[key], moment, payload))

    def prompt(self, key: str, moment: datetime, item: str, via: str = "schedule") -> None:
        self.event(key, "prompt_sent", moment, item=item, via=via, kind="prompt")

    def answer(
        self, key: str, moment: datetime, item: str, topic: str, verdict: str, via: str = "button"
    ) -> None:
        self.event(key, "answered", moment, item=item, topic=topic, verdict=verdict, via=via)

    def commitment(self, key: str, cohort: int, outcome: str | None, created: datetime) -> None:
        self.uow.session.add(
            CommitmentRow(
                operative_id=self.ids[key],
                cohort_id=cohort,
                text=SECRET,
                share_name=False,
                outcome=outcome,
                outcome_note=SECRET,
                reflection=SECRET,
                created_at=created,
                updated_at=created,
            )
        )


WEEKDAYS_0 = (2, 3, 4, 5, 6)
WEEKDAYS_1 = (9, 10, 11, 12, 13)


def build(uow: SqlUnitOfWork) -> dict[str, int]:
    """Write the dataset; returns ids by key ("cohort_a", "a1"...)."""
    oct1 = at(1, 9, month=10)
    hull = uow.cohorts.add(Cohort("Hull North", "HULL1", created_by=FACILITATOR_A, created_at=oct1))
    leeds = uow.cohorts.add(Cohort("Leeds", "LEEDS1", created_by=FACILITATOR_B, created_at=oct1))
    assert hull.id is not None and leeds.id is not None
    a, b = hull.id, leeds.id
    data = Builder(uow)
    data.ids.update(cohort_a=a, cohort_b=b)

    # Staff: their own use of the bot never counts.
    data.operative("manager", MANAGER, None, created=oct1, role=Role.MANAGER)
    data.operative("fac_a", FACILITATOR_A, a, created=oct1, role=Role.FACILITATOR)
    data.operative("fac_b", FACILITATOR_B, None, created=oct1, role=Role.FACILITATOR)
    for key in ("manager", "fac_a"):
        data.prompt(key, at(3, 9), "staff-1", via="practice")
        data.answer(key, at(3, 9, 1), "staff-1", "doorstep", "concern")

    # a1: every scheduled prompt answered within 10 minutes; paused and resumed in October.
    data.operative("a1", 1001, a, created=oct1, name="Alice")
    data.event("a1", "paused", at(10, 9, month=10), days=1)
    data.event("a1", "resumed", at(12, 9, month=10))
    for day in WEEKDAYS_0 + WEEKDAYS_1:
        item = f"a1-{day}"
        data.prompt("a1", at(day), item)
        topic = "doorstep" if day < 9 else "appointments"
        data.answer("a1", at(day, 8, 10), item, topic, "strong")

    # a2: misses 10 Nov; an old prompt from 20 Oct answered on 2 Nov (not this period's);
    # pauses after the period, so "paused" now but active at its end.
    data.operative("a2", 1002, a, created=oct1, name="Bob", status=Status.PAUSED)
    data.prompt("a2", at(20, month=10), "old-1")
    data.answer("a2", at(2, 9), "old-1", "safeguarding", "strong")
    for day in WEEKDAYS_0 + WEEKDAYS_1:
        item = f"a2-{day}"
        data.prompt("a2", at(day), item)
        if day != 10:
            topic = "doorstep" if day < 9 else "appointments"
            data.answer("a2", at(day, 8, 20), item, topic, "partial")
    data.event("a2", "paused", at(20, 9), days=0)

    # a3: three prompts, no replies, paused on 5 Nov.
    data.operative("a3", 1003, a, created=oct1, name="Cara", status=Status.PAUSED)
    for day in (2, 3, 4):
        data.prompt("a3", at(day), f"a3-{day}")
    data.event("a3", "paused", at(5, 12), days=0)

    # a4: no status events at all (its stored status counts); answers the last two.
    data.operative("a4", 1004, a, created=oct1, name=FORMULA_NAME, enrolled_event=False)
    for day in WEEKDAYS_1:
        data.prompt("a4", at(day), f"a4-{day}")
    data.answer("a4", at(12, 9), "a4-12", "doorstep", "concern")
    data.answer("a4", at(13, 9), "a4-13", "appointments", "concern")

    # a5: one practice prompt, answered twice (one prompt answered); stops on 12 Nov.
    data.operative("a5", 1005, a, created=oct1, name="Dev", status=Status.STOPPED)
    data.prompt("a5", at(4, 12), "x1", via="practice")
    data.answer("a5", at(4, 12, 1), "x1", "doorstep", "strong", via="text")
    data.answer("a5", at(4, 12, 5), "x1", "doorstep", "partial", via="text")
    data.event("a5", "stopped", at(12, 18))

    # a6: in Berlin (UTC+1), joined 3 Nov; the 13 Nov reply comes after local midnight.
    data.operative(
        "a6",
        1006,
        a,
        created=at(3, 10),
        zone="Europe/Berlin",
        name="Eve",
        status=Status.UNREACHABLE,
    )
    data.prompt("a6", at(12, 7), "a6-12")
    data.answer("a6", at(12, 7, 30), "a6-12", "doorstep", "strong")
    data.prompt("a6", at(13, 22, 30), "a6-13")
    data.answer("a6", at(13, 23, 10), "a6-13", "appointments", "strong")
    data.event("a6", "unreachable", at(14, 10))

    # a7 joins after the period: not counted in it.
    data.operative("a7", 1007, a, created=at(20, 10), name="Finn")
    data.prompt("a7", at(23), "a7-23")

    # Leeds: three operatives, one prompt each, answered.
    for number in (1, 2, 3):
        key = f"b{number}"
        data.operative(key, 2000 + number, b, created=oct1, name=f"Leeds {number}")
        data.prompt(key, at(3), f"{key}-3")
        data.answer(key, at(3, 8, 15), f"{key}-3", "doorstep", "strong")

    # Questions the coach couldn't answer: their text is never shown to managers.
    for moment, cohort in (
        (at(3, 10), a),
        (at(3, 11), a),
        (at(10, 10), a),
        (at(20, 10), a),
        (at(4, 10), b),
        (at(5, 10), None),
    ):
        uow.gaps.add(ContentGap(SECRET, cohort, data.ids["a1"], None, moment))

    # Commitments: made by a1-a5 before the period; a6 makes one after it.
    for key, outcome in (("a1", "kept"), ("a2", "kept"), ("a3", "partly"), ("a4", "not_yet")):
        data.commitment(key, a, outcome, oct1)
    data.commitment("a5", a, None, oct1)
    data.commitment("a6", a, "kept", at(20, 10))
    data.commitment("b1", b, "kept", oct1)
    return data.ids


def build_with(coach: Coach) -> dict[str, int]:
    with coach.uow_factory() as uow:
        assert isinstance(uow, SqlUnitOfWork)
        ids = build(uow)
        uow.commit()
    return ids


def week(day: date) -> date:
    return day - timedelta(days=day.weekday())


NOON = time(12)
