"""Facilitators and admins: who may act on which group, commitments, roles.

Groups are in :mod:`bot.core.handlers.cohorts`, follow-ups in
:mod:`bot.core.handlers.follow_ups`.

Every command and every button checks the sender's role here, on the server:
a forged button from an operative does nothing but say no.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from bot.core.callbacks import (
    ListCommitments,
    Payload,
    button,
)
from bot.core.content.html import escape
from bot.core.deps import Deps, Turn
from bot.core.handlers.routes import Routes
from bot.core.model import (
    Cohort,
    EventType,
    Operative,
    Outcome,
    Role,
    happened_to,
)
from bot.core.parsing import parse_user_id
from bot.core.policy.dates import month_number
from bot.core.policy.invites import new_invite_code
from bot.core.ports import UnitOfWork


def _require_lead(turn: Turn, deps: Deps) -> Operative | None:
    operative = turn.operative
    assert operative is not None
    if not deps.leads(operative):
        turn.log(EventType.REFUSED, action="facilitator")
        turn.say(deps.text("not_allowed"))
        return None
    return operative


def own_cohorts(deps: Deps, uow: UnitOfWork, operative: Operative) -> list[Cohort]:
    if deps.role_of(operative) is Role.ADMIN:
        return uow.cohorts.all()
    return uow.cohorts.created_by(operative.telegram_id)


def _own_cohort(turn: Turn, deps: Deps, cohort_id: int) -> Cohort | None:
    """The cohort, if the sender may act on it; otherwise say no and return None."""
    operative = _require_lead(turn, deps)
    if operative is None:
        return None
    mine = {c.id: c for c in own_cohorts(deps, turn.uow, operative)}
    cohort = mine.get(cohort_id)
    if cohort is None:
        turn.say(deps.text("cohort_not_yours"))
    return cohort


# -- cohorts ------------------------------------------------------------------------


_DATE_WORD = re.compile(r"^\d{1,4}[/.-]\d{1,2}([/.-]\d{1,4})?$")
_DAY = re.compile(r"^\d{1,2}(st|nd|rd|th)?$")


def split_name_and_date(args: str) -> tuple[str, str | None]:
    """ "Leeds repairs 28/11" -> ("Leeds repairs", "28/11"); "Hull 28 Nov" -> ("Hull",
    "28 Nov"); "Group 2" stays a name: only date-shaped endings are dates."""
    words = args.split()
    if len(words) >= 2 and _DATE_WORD.match(words[-1]):
        return " ".join(words[:-1]), words[-1]
    if len(words) >= 3 and _DAY.match(words[-2].lower()) and month_number(words[-1]) is not None:
        return " ".join(words[:-2]), " ".join(words[-2:])
    return args.strip(), None


def create_cohort(
    uow: UnitOfWork, name: str, workshop: date | None, created_by: int | None, now: datetime
) -> Cohort:
    """A new cohort with a fresh invite code (a clash, however unlikely, draws again)."""
    while uow.cohorts.by_code(code := new_invite_code()) is not None:
        continue
    return uow.cohorts.add(Cohort(name, code, workshop, created_by, None, now))


def _choose_cohort(
    turn: Turn,
    deps: Deps,
    operative: Operative,
    payload: Callable[[int], Payload],
    then: Callable[[Turn, Deps, int], None],
) -> None:
    """Go straight on with the facilitator's only cohort, or ask which with buttons."""
    cohorts = {c.id: c.name for c in own_cohorts(deps, turn.uow, operative) if c.id is not None}
    if not cohorts:
        turn.say(deps.text("cohorts_none"))
    elif len(cohorts) == 1:
        then(turn, deps, next(iter(cohorts)))
    else:
        turn.say(
            deps.text("followup_pick"),
            tuple((button(name[:50], payload(cohort_id)),) for cohort_id, name in cohorts.items()),
        )


# -- shared -----------------------------------------------------------------------


def counted(deps: Deps, count: int, noun: str) -> str:
    """ "1 person", "3 people", "1 member", "0 members": ``noun`` is "people" or "members"."""
    return deps.text(f"{noun}_one" if count == 1 else f"{noun}_many", count=count)


# -- commitments --------------------------------------------------------------------


def commitments(turn: Turn, deps: Deps, args: str) -> None:
    operative = _require_lead(turn, deps)
    if operative is None:
        return
    _choose_cohort(turn, deps, operative, ListCommitments, show_commitments)


def show_commitments(turn: Turn, deps: Deps, cohort_id: int) -> None:
    """Anonymous, unless the operative ticked "share my name": then their first name."""
    cohort = _own_cohort(turn, deps, cohort_id)
    if cohort is None or cohort.id is None:
        return
    rows = turn.uow.commitments.in_cohort(cohort.id)
    if not rows:
        turn.say(deps.text("commitments_none", name=escape(cohort.name)))
        return
    outcomes = [c.outcome for c, _ in rows]
    lines = [
        deps.text(
            "commitments_header",
            name=escape(cohort.name),
            total=len(rows),
            kept=outcomes.count(Outcome.KEPT),
            partly=outcomes.count(Outcome.PARTLY),
            not_yet=outcomes.count(Outcome.NOT_YET),
            unanswered=outcomes.count(None),
        )
    ]
    for commitment, name in rows:
        who = f" ({escape(name)})" if commitment.share_name else ""
        lines.append(deps.text("commitments_line", text=escape(commitment.text), who=who))
    turn.say("\n".join(lines)[:4000])


# -- roles --------------------------------------------------------------------------


def grant(turn: Turn, deps: Deps, args: str) -> None:
    operative = turn.operative
    assert operative is not None
    if deps.role_of(operative) is not Role.ADMIN:
        turn.log(EventType.REFUSED, action="grant")
        turn.say(deps.text("not_allowed_admin"))
        return
    parts = args.split()
    roles = {role.value: role for role in Role}
    user_id = parse_user_id(parts[0]) if len(parts) == 2 else None
    if user_id is None or parts[1].lower() not in roles:
        turn.say(deps.text("grant_how"))
        return
    target = turn.uow.operatives.get(user_id)
    if target is None:
        turn.say(deps.text("grant_unknown", user_id=user_id))
        return
    happened = target.grant(roles[parts[1].lower()])
    turn.uow.operatives.save(target)
    # Recorded about the person given the role, as `coachbot grant` does.
    turn.uow.events.record_many(happened_to(target.id, turn.now, happened))
    prompts = "grant_prompts_on" if deps.gets_daily_prompts(target) else "grant_prompts_off"
    turn.say(
        deps.text("grant_done", user_id=user_id, role=target.role.value) + " " + deps.text(prompts)
    )


ROUTES = Routes(
    commands={"commitments": commitments, "grant": grant},
    buttons={
        ListCommitments: lambda turn, deps, choice: show_commitments(turn, deps, choice.cohort_id),
    },
)
