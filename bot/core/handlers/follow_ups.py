"""Follow-ups: a facilitator's message to one of their groups.

    /followup -> pick the group -> type it -> the preview (the very message members
    get) -> Send, Schedule (in an hour, tomorrow 08:00, the next Monday 08:00 that
    isn't tomorrow) or Cancel

Facilitators' words are plain text. Each member's copy is written to the outbox for
their first good moment (a working day, 07:00 to 20:00), and the reply says when
that is. Once nothing of it is left to send, the author is told how it went.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.core.callbacks import (
    FollowUpAction,
    FollowUpCohort,
    FollowUpText,
    ScheduleFollowUp,
    ScheduleFollowUpOn,
    button,
)
from bot.core.content.html import escape
from bot.core.deps import Deps, Turn
from bot.core.handlers.facilitation import (
    _choose_cohort,
    _own_cohort,
    _require_lead,
    counted,
)
from bot.core.handlers.routes import Routes
from bot.core.messages import Button
from bot.core.model import (
    Cohort,
    Delivery,
    FollowUp,
    FollowUpStatus,
    Kind,
    Operative,
    OutboxMessage,
    Status,
    follow_up_ref,
    follow_up_report_ref,
)
from bot.core.policy.scheduling import at_local, local_now, next_window
from bot.core.ports import UnitOfWork

MAX_FOLLOW_UP = 3500
#: The schedule choices older buttons name by number (see ScheduleFollowUp).
SCHEDULE_CHOICES = ("In 1 hour", "Tomorrow 08:00", "Monday 08:00")


def _reachable(turn: Turn, cohort: Cohort) -> list[Operative]:
    """The members a follow-up would go to: those getting messages (not paused or stopped)."""
    assert cohort.id is not None
    return turn.uow.operatives.with_status([Status.ACTIVE], cohort.id)


def _nobody_to_send_to(turn: Turn, deps: Deps, cohort: Cohort, *, replace: bool = False) -> None:
    assert cohort.id is not None
    members = turn.uow.cohorts.member_counts([cohort.id]).get(cohort.id, 0)
    key = "followup_nobody_joined" if members == 0 else "followup_nobody_active"
    turn.say(deps.text(key, name=escape(cohort.name)), replace=replace)


def follow_up(turn: Turn, deps: Deps, args: str) -> None:
    operative = _require_lead(turn, deps)
    if operative is None:
        return
    _choose_cohort(turn, deps, operative, FollowUpCohort, pick_cohort)


def pick_cohort(turn: Turn, deps: Deps, cohort_id: int) -> None:
    cohort = _own_cohort(turn, deps, cohort_id)
    if cohort is None or cohort.id is None:
        return
    reachable = len(_reachable(turn, cohort))
    if not reachable:
        # Refused before anything is typed: nothing to lose, nothing half-done.
        _nobody_to_send_to(turn, deps, cohort)
        return
    operative = turn.operative
    assert operative is not None
    operative.awaiting = FollowUpText(cohort.id).encode()
    turn.uow.operatives.save(operative)
    turn.say(
        deps.text(
            "followup_type",
            name=escape(cohort.name),
            people=counted(deps, reachable, "people"),
        )
    )


def draft(turn: Turn, deps: Deps, cohort_id: int, text: str) -> None:
    """The facilitator typed the follow-up: keep it as a draft and show the preview.

    Facilitators' words are plain text: operatives get them escaped, exactly as typed
    (a ``<b>`` shows as ``<b>``), and the preview is that very message, on its own,
    so what the facilitator approves is what arrives."""
    operative = turn.operative
    assert operative is not None
    operative.awaiting = None
    turn.uow.operatives.save(operative)
    cohort = _own_cohort(turn, deps, cohort_id)
    if cohort is None or cohort.id is None:
        return
    text = text.strip()
    if not text or len(text) > MAX_FOLLOW_UP:
        turn.say(deps.text("followup_empty"))
        return
    reachable = len(_reachable(turn, cohort))
    if not reachable:
        _nobody_to_send_to(turn, deps, cohort)
        return
    saved = turn.uow.follow_ups.add(FollowUp(cohort.id, operative.telegram_id, text, deps.clock()))
    assert saved.id is not None
    turn.say(
        deps.text(
            "followup_preview",
            people=counted(deps, reachable, "people"),
            name=escape(cohort.name),
        )
    )
    turn.say(
        follow_up_message(text),
        (
            (
                button("Send", FollowUpAction("send", saved.id)),
                button("Schedule", FollowUpAction("sched", saved.id)),
                button("Cancel", FollowUpAction("cancel", saved.id)),
            ),
        ),
    )


def follow_up_message(text: str) -> str:
    """What operatives get: the facilitator's words as plain text."""
    return escape(text)


def _draft_of(turn: Turn, deps: Deps, follow_up_id: int) -> FollowUp | None:
    """The draft behind a button, if the sender may act on it and it is still a draft."""
    operative = _require_lead(turn, deps)
    if operative is None:
        return None
    found = turn.uow.follow_ups.get(follow_up_id)
    if found is None:
        turn.say(deps.text("button_expired"))
        return None
    cohort = _own_cohort(turn, deps, found.cohort_id)
    if cohort is None:
        return None
    if found.status is not FollowUpStatus.DRAFT:
        turn.say(deps.text("followup_gone"), replace=True)
        return None
    return found


def follow_up_button(
    turn: Turn, deps: Deps, action: FollowUpAction | ScheduleFollowUp | ScheduleFollowUpOn
) -> None:
    """Send, Schedule (then when) or Cancel under a follow-up's preview."""
    found = _draft_of(turn, deps, action.follow_up_id)
    if found is None:
        return
    draft_ = found
    assert draft_.id is not None
    author = turn.operative
    assert author is not None
    now = deps.clock()
    match action:
        case FollowUpAction(verb="cancel"):
            turn.uow.follow_ups.set_status(draft_.id, FollowUpStatus.CANCELLED)
            turn.say(deps.text("followup_cancelled"), replace=True)
        case FollowUpAction(verb="send"):
            _queue_and_say(turn, deps, draft_, now, scheduled=False)
        case FollowUpAction(verb="sched"):
            turn.say(
                deps.text("followup_when"), schedule_buttons(author, draft_.id, now), replace=True
            )
        case ScheduleFollowUp(choice=choice) if choice < len(SCHEDULE_CHOICES):
            # Buttons from before the choices named their day (see ScheduleFollowUpOn).
            _queue_and_say(turn, deps, draft_, _scheduled_time(author, now, choice), scheduled=True)
        case ScheduleFollowUpOn(day=day) if day <= turn.today + timedelta(days=MAX_SCHEDULE_DAYS):
            when = at_local(day, SCHEDULE_TIME, author.timezone)
            if when <= now:
                turn.say(
                    deps.text("followup_when_passed"),
                    schedule_buttons(author, draft_.id, now),
                    replace=True,
                )
                return
            _queue_and_say(turn, deps, draft_, when, scheduled=True)
        case _:
            turn.say(deps.text("button_expired"))


#: Scheduled follow-ups go at this time (the author's) on the day they pick.
SCHEDULE_TIME = time(8)
#: The furthest ahead a schedule button may name.
MAX_SCHEDULE_DAYS = 14


def schedule_buttons(
    author: Operative, follow_up_id: int, now: datetime
) -> tuple[tuple[Button, ...], ...]:
    """In an hour, tomorrow 08:00, and the next Monday 08:00 that isn't tomorrow: three
    different times whatever the day (on a Sunday, Monday week). Each names its day."""
    today = local_now(author, now).date()
    tomorrow = today + timedelta(days=1)
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7)
    if monday == tomorrow:
        monday += timedelta(days=7)
    return (
        (button("In 1 hour", ScheduleFollowUp(follow_up_id, 0)),),
        (
            button(
                f"Tomorrow ({tomorrow:%a} {tomorrow.day} {tomorrow:%b}) 08:00",
                ScheduleFollowUpOn(follow_up_id, tomorrow),
            ),
        ),
        (
            button(
                f"{monday:%A} {monday.day} {monday:%b} 08:00",
                ScheduleFollowUpOn(follow_up_id, monday),
            ),
        ),
    )


def _scheduled_time(author: Operative, now: datetime, choice: int) -> datetime:
    if choice == 0:
        return now + timedelta(hours=1)
    today = local_now(author, now).date()
    if choice == 1:
        return at_local(today + timedelta(days=1), SCHEDULE_TIME, author.timezone)
    days = (7 - today.weekday()) % 7 or 7
    return at_local(today + timedelta(days=days), SCHEDULE_TIME, author.timezone)


@dataclass(frozen=True)
class Queued:
    """What queueing a follow-up did: how many copies, and when they go."""

    #: When each copy is due, one per member it was queued for.
    due: tuple[datetime, ...] = ()

    @property
    def count(self) -> int:
        return len(self.due)


def _queue_and_say(
    turn: Turn, deps: Deps, draft_: FollowUp, at: datetime, *, scheduled: bool
) -> None:
    """Queue the draft for ``at`` and say truthfully when it goes: a copy waits for its
    member's working hours, which may be later than the facilitator asked."""
    author = turn.operative
    assert author is not None and draft_.id is not None
    queued = queue_follow_up(deps, turn.uow, draft_, at)
    if not queued.count:
        turn.uow.follow_ups.set_status(draft_.id, FollowUpStatus.CANCELLED)
        cohort = turn.uow.cohorts.by_id(draft_.cohort_id)
        name = escape(cohort.name) if cohort else ""
        turn.say(deps.text("followup_nobody_active", name=name), replace=True)
        return
    now = deps.clock()
    # A minute's grace: "now" is when the sender next runs, not this very instant.
    soon = max(at, now) + timedelta(minutes=1)
    later = sorted(due for due in queued.due if due > soon)
    right_away = queued.count - len(later)
    if not later:
        key = "followup_scheduled" if scheduled else "followup_queued"
        turn.say(
            deps.text(
                key,
                people=counted(deps, queued.count, "people"),
                when=when_phrase(author, at, at, now),
            ),
            replace=True,
        )
    elif not right_away:
        turn.say(
            deps.text(
                "followup_held",
                people=counted(deps, queued.count, "people"),
                when=when_phrase(author, later[0], later[-1], now),
            ),
            replace=True,
        )
    else:
        turn.say(
            deps.text(
                "followup_partly_held",
                now_people=counted(deps, right_away, "people"),
                later_people=counted(deps, len(later), "people"),
                when=when_phrase(author, later[0], later[-1], now),
                at=when_phrase(author, at, at, now) if scheduled else "now",
            ),
            replace=True,
        )


def when_phrase(author: Operative, first: datetime, last: datetime, now: datetime) -> str:
    """ "today at 11:00", "on Monday 7 December at 07:00", "from Monday 7 December at
    07:00": in the author's time zone."""
    local = local_now(author, first)
    if local.date() == local_now(author, now).date():
        phrase = f"today at {local:%H:%M}"
    else:
        phrase = f"on {local:%A} {local.day} {local:%B} at {local:%H:%M}"
    if local_now(author, last) != local:
        phrase = "from " + phrase.removeprefix("on ")
    return phrase


def queue_follow_up(deps: Deps, uow: UnitOfWork, follow_up_: FollowUp, at: datetime) -> Queued:
    """Write one outbox message per active member, each at their first good moment."""
    assert follow_up_.id is not None
    members = uow.operatives.with_status([Status.ACTIVE], follow_up_.cohort_id)
    now = deps.clock()
    due_times: list[datetime] = []
    for member in members:
        assert member.id is not None
        due = next_window(member, at)
        if due is None:
            continue
        added = uow.outbox.add(
            OutboxMessage(
                kind=Kind.FOLLOW_UP,
                operative_id=member.id,
                chat_id=member.telegram_id,
                local_date=local_now(member, due).date(),
                ref=follow_up_ref(follow_up_.id),
                text=follow_up_message(follow_up_.text),
                due_at=due,
            ),
            now,
        )
        if added:
            due_times.append(due)
    uow.follow_ups.set_status(follow_up_.id, FollowUpStatus.QUEUED, send_at=at)
    return Queued(tuple(due_times))


def report_follow_ups(deps: Deps, uow: UnitOfWork, now: datetime) -> int:
    """Tell each author how their follow-up went, once nothing of it is left to send."""
    reported = 0
    for done in uow.follow_ups.with_status(FollowUpStatus.QUEUED):
        assert done.id is not None
        counts = uow.outbox.counts(Kind.FOLLOW_UP, follow_up_ref(done.id))
        waiting = sum(
            counts.get(s, 0) for s in (Delivery.PENDING, Delivery.CLAIMED, Delivery.SENDING)
        )
        if waiting:
            continue
        author = uow.operatives.get(done.author_id)
        cohort = uow.cohorts.by_id(done.cohort_id)
        uow.follow_ups.set_status(done.id, FollowUpStatus.REPORTED)
        if author is None or author.id is None or cohort is None or cohort.id is None:
            continue
        members = uow.cohorts.member_counts([cohort.id]).get(cohort.id, 0)
        delivered = counts.get(Delivery.SENT, 0)
        unreachable = counts.get(Delivery.UNREACHABLE, 0)
        uow.outbox.add(
            OutboxMessage(
                kind=Kind.FOLLOW_UP,
                operative_id=author.id,
                chat_id=author.telegram_id,
                local_date=local_now(author, now).date(),
                ref=follow_up_report_ref(done.id),
                text=deps.text(
                    "followup_done",
                    name=escape(cohort.name),
                    delivered=delivered,
                    unreachable=unreachable,
                    skipped=max(0, members - delivered - unreachable),
                ),
                due_at=now,
            ),
            now,
        )
        reported += 1
    return reported


ROUTES = Routes(
    commands={"followup": follow_up},
    buttons={
        FollowUpCohort: lambda turn, deps, choice: pick_cohort(turn, deps, choice.cohort_id),
        FollowUpAction: follow_up_button,
        ScheduleFollowUp: follow_up_button,
        ScheduleFollowUpOn: follow_up_button,
    },
    waiting={
        FollowUpText: lambda turn, deps, state, text: draft(turn, deps, state.cohort_id, text),
    },
)
