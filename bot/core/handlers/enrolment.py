"""Joining and leaving: /start (with a workshop's invite code), /help, /privacy, /stop
and /forgetme."""

from __future__ import annotations

from bot.core.callbacks import ForgetChoice, StopChoice, button
from bot.core.content.html import escape
from bot.core.deps import Deps, Turn
from bot.core.handlers import settings
from bot.core.handlers.routes import Routes
from bot.core.handlers.wording import schedule
from bot.core.model import Operative, Role
from bot.core.parsing import parse_invite_code


def start(turn: Turn, deps: Deps, code: str) -> None:
    cohort_id, cohort_note = _cohort_for(turn, deps, code)
    sender = turn.sender
    operative = turn.operative
    if operative is None:
        is_admin = sender.user_id in deps.config.admin_ids
        operative, happened = Operative.enrol(
            sender.user_id,
            sender.name,
            deps.config.default_timezone,
            Role.ADMIN if is_admin else Role.OPERATIVE,
            cohort_id,
            turn.now,
        )
        turn.operative = turn.uow.operatives.add(operative)
        turn.log_all(happened)
        turn.say(
            deps.text(
                _start_text(deps, "welcome", operative),
                name=escape(operative.display_name),
                **schedule(operative),
            )
        )
    else:
        happened = operative.rejoin(cohort_id)
        turn.uow.operatives.save(operative)
        turn.log_all(happened)
        key = _start_text(deps, "welcome_back" if happened else "already_enrolled", operative)
        turn.say(deps.text(key, name=escape(operative.display_name), **schedule(operative)))
    if cohort_note:
        turn.say(cohort_note)
    if operative.trade is None and not operative.awaiting and deps.gets_daily_prompts(operative):
        # Optional, and asked once at the start: scenarios then fit their trade.
        turn.say(deps.text("ask_trade"), settings.trade_buttons(deps))


def _start_text(deps: Deps, key: str, operative: Operative) -> str:
    """The /start text for someone with daily scenarios on, or its "off" twin."""
    return key if deps.gets_daily_prompts(operative) else f"{key}_no_prompts"


def _cohort_for(turn: Turn, deps: Deps, code: str) -> tuple[int | None, str | None]:
    """The cohort an invite code names, and a note to add if it doesn't work."""
    if not code:
        return None, None
    invite_code = parse_invite_code(code)
    cohort = turn.uow.cohorts.by_code(invite_code) if invite_code else None
    if cohort is None:
        return None, deps.text("cohort_unknown")
    if not cohort.is_open:
        return None, deps.text("cohort_closed")
    return cohort.id, deps.text("welcome_cohort", cohort=escape(cohort.name))


def help_(turn: Turn, deps: Deps, args: str) -> None:
    operative = turn.known
    extra = ""
    if deps.leads(operative):
        extra = "\n\n" + deps.text("help_facilitator")
    if deps.role_of(operative) is Role.FACILITATOR:
        # Their own groups' figures; managers and admins have them in their part.
        extra += "\n" + deps.text("help_facilitator_reports")
    if deps.manages(operative):
        extra += "\n\n" + deps.text("help_manager")
    turn.say(deps.text("help") + extra)


def privacy(turn: Turn, deps: Deps, args: str) -> None:
    turn.say(deps.text("privacy"))


def stop(turn: Turn, deps: Deps, args: str) -> None:
    turn.say(
        deps.text("stop_confirm"),
        (
            (
                button("Yes, stop", StopChoice(confirm=True)),
                button("No, keep going", StopChoice(confirm=False)),
            ),
        ),
    )


def confirm_stop(turn: Turn, deps: Deps, choice: StopChoice) -> None:
    operative = turn.known
    if not choice.confirm:
        turn.say(deps.text("stop_cancelled"))
        return
    happened = operative.stop()
    turn.uow.operatives.save(operative)
    assert operative.id is not None
    turn.uow.outbox.cancel_pending(operative.id)
    turn.log_all(happened)
    turn.say(deps.text("stopped"))


def forget_me(turn: Turn, deps: Deps, args: str) -> None:
    turn.say(
        deps.text("forget_confirm"),
        (
            (
                button("Yes, erase it all", ForgetChoice(confirm=True)),
                button("No, keep it", ForgetChoice(confirm=False)),
            ),
        ),
    )


def confirm_forget(turn: Turn, deps: Deps, choice: ForgetChoice) -> None:
    """Erase everything about the sender, as ``coachbot erase`` does, and say what went."""
    if not choice.confirm:
        turn.say(deps.text("forget_cancelled"), replace=True)
        return
    erased = turn.uow.erasure.erase(turn.sender.user_id)
    turn.operative = None
    if erased is None:
        turn.say(deps.text("forget_nothing"), replace=True)
        return
    lines = [deps.text("forget_done"), deps.text("forget_done_profile")]
    for count, key in (
        (erased.events, "forget_done_events"),
        (erased.questions, "forget_done_questions"),
        (erased.commitments, "forget_done_commitment"),
        (erased.messages, "forget_done_messages"),
        (erased.follow_ups, "forget_done_follow_ups"),
        (erased.cohorts, "forget_done_cohorts"),
    ):
        if count:
            # "1 question", not "1 questions" (a commitment is one line whatever the count).
            one = f"{key}_one"
            lines.append(
                deps.text(one if count == 1 and one in deps.library.texts else key, count=count)
            )
    lines.append(deps.text("forget_done_end"))
    turn.say("\n".join(lines), replace=True)


ROUTES = Routes(
    commands={
        "start": start,
        "help": help_,
        "privacy": privacy,
        "stop": stop,
        "forgetme": forget_me,
    },
    buttons={StopChoice: confirm_stop, ForgetChoice: confirm_forget},
    open_commands=frozenset({"start", "forgetme"}),
    open_buttons=frozenset({ForgetChoice}),
)
