"""/pause and /resume, and keeping daily prompts when a check-in asks."""

from __future__ import annotations

from datetime import date, timedelta

from bot.core.callbacks import MAX_PAUSE_DAYS, KeepDaily, PauseFor, button
from bot.core.deps import Deps, Turn
from bot.core.handlers.routes import Routes
from bot.core.handlers.wording import long_date, schedule
from bot.core.model import EventType, Status
from bot.core.parsing import looks_numeric, whole_number
from bot.core.policy.dates import parse_day
from bot.core.policy.scheduling import first_working_day

PAUSE_CHOICES = ((1, "1 day"), (7, "1 week"), (14, "2 weeks"), (0, "Until I resume"))


def pause(turn: Turn, deps: Deps, args: str) -> None:
    if not args:
        turn.say(
            deps.text("pause_ask"),
            tuple((button(label, PauseFor(days)),) for days, label in PAUSE_CHOICES),
        )
        return
    days = whole_number(args, 1, MAX_PAUSE_DAYS)
    if days is not None:
        pause_for(turn, deps, days)
        return
    if looks_numeric(args):
        turn.say(deps.text("pause_bad_days"))
        return
    last_day = parse_day(args, turn.today)
    if last_day is None:
        turn.say(deps.text("pause_bad_date"))
        return
    pause_for(turn, deps, (last_day - turn.today).days + 1, until=last_day)


def pause_for(turn: Turn, deps: Deps, days: int, until: date | None = None) -> None:
    """Pause for ``days`` days (0: until /resume); ``until`` is the last day off."""
    operative = turn.known
    happened = operative.pause(turn.today, days)
    turn.uow.operatives.save(operative)
    assert operative.id is not None
    # Today's prompt may already be queued: a pause means nothing more today.
    turn.uow.outbox.cancel_pending(operative.id)
    turn.log_all(happened)
    if operative.paused_until is None:
        turn.say(deps.text("paused_indefinitely"))
        return
    # Say the last day off and the first day back, so "until 24/12" can't be misread,
    # and name a working day: a pause that ends on a Saturday picks up on Monday.
    back = first_working_day(operative, operative.paused_until) or operative.paused_until
    dates = {
        "last": long_date(operative.paused_until - timedelta(days=1)),
        "back": long_date(back),
        "time": f"{operative.prompt_time:%H:%M}",
    }
    turn.say(deps.text("paused_until_date" if until else "paused_until", **dates))


def resume(turn: Turn, deps: Deps, args: str) -> None:
    operative = turn.known
    if operative.status is not Status.PAUSED:
        turn.say(deps.text("not_paused", **schedule(operative)))
        return
    happened = operative.resume()
    turn.uow.operatives.save(operative)
    turn.log_all(happened)
    turn.say(deps.text("resumed", **schedule(operative)))


def keep_daily(turn: Turn, deps: Deps, choice: KeepDaily) -> None:
    turn.log(EventType.SETTINGS_CHANGED, setting="kept_daily")
    turn.say(deps.text("check_in_kept"), replace=True)


ROUTES = Routes(
    commands={"pause": pause, "resume": resume},
    buttons={
        PauseFor: lambda turn, deps, choice: pause_for(turn, deps, choice.days),
        KeepDaily: keep_daily,
    },
)
