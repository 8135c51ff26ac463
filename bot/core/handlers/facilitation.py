"""Facilitators and admins: cohorts with invite links, follow-ups, commitments, roles.

Every command and every button checks the sender's role here, on the server:
a forged button from an operative does nothing but say no.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from bot.core.callbacks import (
    CloseCohort,
    FollowUpAction,
    FollowUpCohort,
    FollowUpText,
    ListCommitments,
    Payload,
    ScheduleFollowUp,
    button,
)
from bot.core.content.html import escape
from bot.core.deps import Deps, Turn
from bot.core.handlers.routes import Routes
from bot.core.messages import Attachment, Reply
from bot.core.model import (
    FORMER_FACILITATOR,
    Cohort,
    Delivery,
    EventType,
    FollowUp,
    FollowUpStatus,
    Kind,
    Operative,
    OutboxMessage,
    Outcome,
    Role,
    Status,
    follow_up_ref,
    follow_up_report_ref,
    happened_to,
)
from bot.core.parsing import parse_user_id
from bot.core.policy.dates import month_number, parse_day
from bot.core.policy.invites import deep_link, new_invite_code, qr_png
from bot.core.policy.scheduling import at_local, local_now, next_window
from bot.core.ports import UnitOfWork

MAX_FOLLOW_UP = 3500

#: Schedule choices for a follow-up: label, and a function of the author's local now.
SCHEDULE_CHOICES = ("In 1 hour", "Tomorrow 08:00", "Monday 08:00")


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


def new_cohort(turn: Turn, deps: Deps, args: str) -> None:
    operative = _require_lead(turn, deps)
    if operative is None:
        return
    if not args.strip():
        turn.say(deps.text("newcohort_how"))
        return
    now = deps.clock()
    name, date_text = split_name_and_date(args)
    workshop = None
    if date_text is not None:
        # A workshop is today, was lately, or is coming up: look a month either side.
        workshop = parse_day(date_text, turn.today - timedelta(days=31))
        if workshop is None:
            turn.say(deps.text("newcohort_bad_date", value=escape(date_text[:30])))
            return
    cohort = create_cohort(turn.uow, name[:120], workshop, operative.telegram_id, now)
    turn.replies.extend(invite_replies(deps, cohort))


def create_cohort(
    uow: UnitOfWork, name: str, workshop: date | None, created_by: int | None, now: datetime
) -> Cohort:
    """A new cohort with a fresh invite code (a clash, however unlikely, draws again)."""
    while uow.cohorts.by_code(code := new_invite_code()) is not None:
        continue
    return uow.cohorts.add(Cohort(name, code, workshop, created_by, None, now))


def invite_replies(deps: Deps, cohort: Cohort) -> list[Reply]:
    username = deps.bot_username
    if not username:
        return [Reply(deps.text("newcohort_no_username", code=cohort.invite_code))]
    link = deep_link(username, cohort.invite_code)
    text = deps.text("newcohort_made", name=escape(cohort.name), link=link, code=cohort.invite_code)
    if cohort.workshop_date is not None:
        text += "\n" + deps.text("newcohort_made_dated", date=f"{cohort.workshop_date:%d %B}")
    return [Reply(text, image=Attachment(f"invite-{cohort.invite_code}.png", qr_png(link)))]


def list_cohorts(turn: Turn, deps: Deps, args: str) -> None:
    operative = _require_lead(turn, deps)
    if operative is None:
        return
    cohorts = own_cohorts(deps, turn.uow, operative)
    if not cohorts:
        turn.say(deps.text("cohorts_none"))
        return
    counts = turn.uow.cohorts.member_counts(c.id for c in cohorts if c.id is not None)
    lines = [deps.text("cohorts_header")]
    buttons = []
    for cohort in cohorts:
        assert cohort.id is not None
        lines.append(
            deps.text(
                "cohorts_line",
                name=escape(cohort.name),
                code=cohort.invite_code,
                members=counts.get(cohort.id, 0),
                closed=" (closed)" if not cohort.is_open else "",
                author=(
                    deps.text("cohort_former_facilitator")
                    if cohort.created_by == FORMER_FACILITATOR
                    else ""
                ),
            )
        )
        if cohort.is_open:
            buttons.append((button(f"Close {cohort.name[:40]}", CloseCohort(cohort.id)),))
    turn.say("\n".join(lines), tuple(buttons))


def close_cohort(turn: Turn, deps: Deps, cohort_id: int) -> None:
    cohort = _own_cohort(turn, deps, cohort_id)
    if cohort is None or cohort.id is None:
        return
    if cohort.is_open:
        turn.uow.cohorts.close(cohort.id, deps.clock())
    turn.say(deps.text("cohort_closed_now", name=escape(cohort.name)), replace=True)


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


# -- follow-ups ---------------------------------------------------------------------


def follow_up(turn: Turn, deps: Deps, args: str) -> None:
    operative = _require_lead(turn, deps)
    if operative is None:
        return
    _choose_cohort(turn, deps, operative, FollowUpCohort, pick_cohort)


def pick_cohort(turn: Turn, deps: Deps, cohort_id: int) -> None:
    cohort = _own_cohort(turn, deps, cohort_id)
    if cohort is None or cohort.id is None:
        return
    operative = turn.operative
    assert operative is not None
    operative.awaiting = FollowUpText(cohort.id).encode()
    turn.uow.operatives.save(operative)
    members = turn.uow.cohorts.member_counts([cohort.id]).get(cohort.id, 0)
    turn.say(deps.text("followup_type", name=escape(cohort.name), members=members))


def draft(turn: Turn, deps: Deps, cohort_id: int, text: str) -> None:
    """The facilitator typed the follow-up: keep it as a draft and show the preview."""
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
    saved = turn.uow.follow_ups.add(FollowUp(cohort.id, operative.telegram_id, text, deps.clock()))
    assert saved.id is not None
    members = turn.uow.cohorts.member_counts([cohort.id]).get(cohort.id, 0)
    turn.say(
        deps.text("followup_preview", members=members, name=escape(cohort.name), text=escape(text)),
        (
            (
                button("Send", FollowUpAction("send", saved.id)),
                button("Schedule", FollowUpAction("sched", saved.id)),
                button("Cancel", FollowUpAction("cancel", saved.id)),
            ),
        ),
    )


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


def follow_up_button(turn: Turn, deps: Deps, action: FollowUpAction | ScheduleFollowUp) -> None:
    """Send, Schedule (then when) or Cancel under a follow-up's preview."""
    found = _draft_of(turn, deps, action.follow_up_id)
    if found is None:
        return
    draft_ = found
    assert draft_.id is not None
    match action:
        case FollowUpAction(verb="cancel"):
            turn.uow.follow_ups.set_status(draft_.id, FollowUpStatus.CANCELLED)
            turn.say(deps.text("followup_cancelled"), replace=True)
        case FollowUpAction(verb="send"):
            members = queue_follow_up(deps, turn.uow, draft_, deps.clock())
            turn.say(deps.text("followup_queued", members=members), replace=True)
        case FollowUpAction(verb="sched"):
            buttons = tuple(
                (button(label, ScheduleFollowUp(draft_.id, number)),)
                for number, label in enumerate(SCHEDULE_CHOICES)
            )
            turn.say(deps.text("followup_when"), buttons, replace=True)
        case ScheduleFollowUp(choice=choice) if choice < len(SCHEDULE_CHOICES):
            author = turn.operative
            assert author is not None
            when = _scheduled_time(author, deps.clock(), choice)
            queue_follow_up(deps, turn.uow, draft_, when)
            local = local_now(author, when)
            turn.say(
                deps.text("followup_scheduled", when=f"{local:%A %d %B at %H:%M}"), replace=True
            )
        case _:
            turn.say(deps.text("button_expired"))


def _scheduled_time(author: Operative, now: datetime, choice: int) -> datetime:
    if choice == 0:
        return now + timedelta(hours=1)
    today = local_now(author, now).date()
    if choice == 1:
        return at_local(today + timedelta(days=1), time(8), author.timezone)
    days = (7 - today.weekday()) % 7 or 7
    return at_local(today + timedelta(days=days), time(8), author.timezone)


def queue_follow_up(deps: Deps, uow: UnitOfWork, follow_up_: FollowUp, at: datetime) -> int:
    """Write one outbox message per active member, each at their first good moment."""
    assert follow_up_.id is not None
    members = uow.operatives.with_status([Status.ACTIVE], follow_up_.cohort_id)
    now = deps.clock()
    queued = 0
    for member in members:
        assert member.id is not None
        due = next_window(member, at)
        if due is None:
            continue
        queued += uow.outbox.add(
            OutboxMessage(
                kind=Kind.FOLLOW_UP,
                operative_id=member.id,
                chat_id=member.telegram_id,
                local_date=local_now(member, due).date(),
                ref=follow_up_ref(follow_up_.id),
                text=escape(follow_up_.text),
                due_at=due,
            ),
            now,
        )
    uow.follow_ups.set_status(follow_up_.id, FollowUpStatus.QUEUED, send_at=at)
    return queued


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
    turn.say("\n".join(lines))


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
    turn.say(deps.text("grant_done", user_id=user_id, role=target.role.value))


ROUTES = Routes(
    commands={
        "newcohort": new_cohort,
        "cohorts": list_cohorts,
        "followup": follow_up,
        "commitments": commitments,
        "grant": grant,
    },
    buttons={
        CloseCohort: lambda turn, deps, choice: close_cohort(turn, deps, choice.cohort_id),
        FollowUpCohort: lambda turn, deps, choice: pick_cohort(turn, deps, choice.cohort_id),
        FollowUpAction: follow_up_button,
        ScheduleFollowUp: follow_up_button,
        ListCommitments: lambda turn, deps, choice: show_commitments(turn, deps, choice.cohort_id),
    },
    waiting={
        FollowUpText: lambda turn, deps, state, text: draft(turn, deps, state.cohort_id, text),
    },
)
