"""Facilitators' groups: /newcohort, /cohorts, and each group's card.

    /newcohort Leeds repairs 28/11   a group, its invite link and QR code
    /cohorts                         every group: name, date, members, status;
                                     a button each opens its card, with its link
                                     and QR code again, its summary, and Close

Making a group is idempotent: the same name and date from the same facilitator
within a day gives back the group already made, so sending /newcohort again never
makes a twin. Closing asks first. Every button checks, on the server, that the
group is the sender's (see :mod:`bot.core.handlers.facilitation`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.core.callbacks import CloseCohort, CohortAction, button
from bot.core.content.html import escape
from bot.core.deps import Deps, Turn
from bot.core.handlers import reports as summaries
from bot.core.handlers.facilitation import (
    _own_cohort,
    _require_lead,
    counted,
    create_cohort,
    own_cohorts,
    split_name_and_date,
)
from bot.core.handlers.routes import Routes
from bot.core.messages import Attachment, Reply
from bot.core.model import FORMER_FACILITATOR, Cohort
from bot.core.policy.dates import parse_day
from bot.core.policy.invites import deep_link, qr_png
from bot.core.ports import UnitOfWork

#: A /newcohort repeated within this time gives back the group it made.
SAME_GROUP_WITHIN = timedelta(days=1)
#: /cohorts lists this many groups, newest first (a message holds 4,096 characters).
LISTED = 25


def new_cohort(turn: Turn, deps: Deps, args: str) -> None:
    operative = _require_lead(turn, deps)
    if operative is None:
        return
    if not args.strip():
        turn.say(deps.text("newcohort_how"))
        return
    now = deps.clock()
    name, date_text = split_name_and_date(args)
    name = " ".join(name.split())[:120]
    workshop = None
    if date_text is not None:
        # A workshop is today, was lately, or is coming up: look a month either side.
        workshop = parse_day(date_text, turn.today - timedelta(days=31))
        if workshop is None:
            turn.say(deps.text("newcohort_bad_date", value=escape(date_text[:30])))
            return
    made = made_lately(turn.uow, operative.telegram_id, name, workshop, now)
    if made is not None:
        turn.say(deps.text("newcohort_again", name=escape(made.name)))
        turn.replies.extend(invite_replies(deps, made))
        return
    cohort = create_cohort(turn.uow, name, workshop, operative.telegram_id, now)
    turn.replies.extend(invite_replies(deps, cohort))


def made_lately(
    uow: UnitOfWork, author: int, name: str, workshop: date | None, now: datetime
) -> Cohort | None:
    """The open group this facilitator made with this name and date within a day, if any.

    Names match whatever their case and spacing: "Leeds  repairs" is "leeds repairs"."""
    wanted = " ".join(name.split()).casefold()
    for cohort in uow.cohorts.created_by(author):
        if (
            cohort.is_open
            and cohort.workshop_date == workshop
            and " ".join(cohort.name.split()).casefold() == wanted
            and cohort.created_at is not None
            and now - cohort.created_at < SAME_GROUP_WITHIN
        ):
            return cohort
    return None


def invite_replies(deps: Deps, cohort: Cohort) -> list[Reply]:
    """The group's link and QR code; without the bot's username (not yet known), its code
    and how to join with it. Never "try again": the group exists either way."""
    username = deps.bot_username
    if not username:
        return [
            Reply(
                deps.text(
                    "newcohort_no_username", name=escape(cohort.name), code=cohort.invite_code
                )
            )
        ]
    link = deep_link(username, cohort.invite_code)
    text = deps.text("newcohort_made", name=escape(cohort.name), link=link, code=cohort.invite_code)
    if cohort.workshop_date is not None:
        text += "\n" + deps.text("newcohort_made_dated", date=f"{cohort.workshop_date:%d %B}")
    return [Reply(text, image=Attachment(f"invite-{cohort.invite_code}.png", qr_png(link)))]


def _short_date(cohort: Cohort) -> str:
    """ "28 Nov" (the workshop), else "made 3 Dec"."""
    if cohort.workshop_date is not None:
        return f"{cohort.workshop_date.day} {cohort.workshop_date:%b}"
    if cohort.created_at is not None:
        return f"made {cohort.created_at.day} {cohort.created_at:%b}"
    return "no date"


def _labels(cohorts: list[Cohort]) -> dict[int, str]:
    """A button label for each group: its name and date, and its code as well when two
    groups share both."""
    labels = {c.id: f"{c.name[:40]} · {_short_date(c)}" for c in cohorts if c.id is not None}
    seen: dict[str, int] = {}
    for label in labels.values():
        seen[label] = seen.get(label, 0) + 1
    return {
        cohort.id: labels[cohort.id]
        + (f" · {cohort.invite_code}" if seen[labels[cohort.id]] > 1 else "")
        for cohort in cohorts
        if cohort.id is not None
    }


def _status(deps: Deps, cohort: Cohort) -> str:
    if cohort.closed_at is None:
        return deps.text("cohort_open")
    return deps.text("cohort_closed_on", date=f"{cohort.closed_at.day} {cohort.closed_at:%b}")


def _when(deps: Deps, cohort: Cohort) -> str:
    if cohort.workshop_date is not None:
        day = cohort.workshop_date
        return deps.text("cohort_workshop", date=f"{day:%a} {day.day} {day:%b %Y}")
    made = cohort.created_at
    return deps.text("cohort_made", date=f"{made.day} {made:%b %Y}") if made else ""


def list_cohorts(turn: Turn, deps: Deps, args: str) -> None:
    operative = _require_lead(turn, deps)
    if operative is None:
        return
    cohorts = own_cohorts(deps, turn.uow, operative)
    if not cohorts:
        turn.say(deps.text("cohorts_none"))
        return
    cohorts = sorted(cohorts, key=lambda c: c.id or 0, reverse=True)
    shown, hidden = cohorts[:LISTED], len(cohorts) - LISTED
    counts = turn.uow.cohorts.member_counts(c.id for c in shown if c.id is not None)
    labels = _labels(shown)
    lines = [deps.text("cohorts_header")]
    for cohort in shown:
        assert cohort.id is not None
        lines.append(
            deps.text(
                "cohorts_line",
                name=escape(cohort.name),
                when=_when(deps, cohort),
                members=counted(deps, counts.get(cohort.id, 0), "members"),
                status=_status(deps, cohort),
                code=cohort.invite_code,
                author=(
                    deps.text("cohort_former_facilitator")
                    if cohort.created_by == FORMER_FACILITATOR
                    else ""
                ),
            )
        )
    if hidden > 0:
        lines.append(deps.text("cohorts_more", count=hidden))
    lines.append(deps.text("cohorts_pick"))
    buttons = tuple(
        (button(labels[c.id], CohortAction("show", c.id)),) for c in shown if c.id is not None
    )
    turn.say("\n".join(lines), buttons)


def cohort_button(turn: Turn, deps: Deps, action: CohortAction | CloseCohort) -> None:
    """A button on a group's card, or "Close" (which asks first)."""
    cohort = _own_cohort(turn, deps, action.cohort_id)
    if cohort is None or cohort.id is None:
        return
    match action:
        case CohortAction(verb="show"):
            _card(turn, deps, cohort)
        case CohortAction(verb="keep"):
            _card(turn, deps, cohort, replace=True)
        case CohortAction(verb="link"):
            if not cohort.is_open:
                turn.say(deps.text("cohort_link_closed", name=escape(cohort.name)))
                return
            turn.replies.extend(invite_replies(deps, cohort))
        case CohortAction(verb="sum"):
            summaries.summary_command(turn, deps, cohort.invite_code)
        case CloseCohort():
            if not cohort.is_open:
                turn.say(deps.text("cohort_already_closed", name=escape(cohort.name)), replace=True)
                return
            members = turn.uow.cohorts.member_counts([cohort.id]).get(cohort.id, 0)
            turn.say(
                deps.text(
                    "cohort_close_confirm",
                    name=escape(cohort.name),
                    members=counted(deps, members, "members"),
                ),
                (
                    (
                        button(deps.text("cohort_close_yes"), CohortAction("shut", cohort.id)),
                        button(deps.text("cohort_close_no"), CohortAction("keep", cohort.id)),
                    ),
                ),
                replace=True,
            )
        case CohortAction(verb="shut"):
            if cohort.is_open:
                turn.uow.cohorts.close(cohort.id, deps.clock())
            turn.say(deps.text("cohort_closed_now", name=escape(cohort.name)), replace=True)


def _card(turn: Turn, deps: Deps, cohort: Cohort, *, replace: bool = False) -> None:
    """One group: what it is, and what can be done with it."""
    assert cohort.id is not None
    members = turn.uow.cohorts.member_counts([cohort.id]).get(cohort.id, 0)
    text = deps.text(
        "cohort_card",
        name=escape(cohort.name),
        when=_when(deps, cohort),
        members=counted(deps, members, "members"),
        status=_status(deps, cohort),
        code=cohort.invite_code,
    )
    first_row = [button(deps.text("cohort_summary_button"), CohortAction("sum", cohort.id))]
    rows = []
    if cohort.is_open:
        first_row.insert(
            0, button(deps.text("cohort_link_button"), CohortAction("link", cohort.id))
        )
        rows.append((button(deps.text("cohort_close_button"), CloseCohort(cohort.id)),))
    turn.say(text, (tuple(first_row), *rows), replace=replace)


ROUTES = Routes(
    commands={"newcohort": new_cohort, "cohorts": list_cohorts},
    buttons={CloseCohort: cohort_button, CohortAction: cohort_button},
)
