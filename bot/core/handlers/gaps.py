"""/gaps: what operatives asked that the coach couldn't answer, for facilitators, unnamed."""

from __future__ import annotations

from datetime import timedelta

from bot.core.content.html import escape
from bot.core.deps import Deps, Turn
from bot.core.handlers.routes import Routes
from bot.core.model import Role

#: How far back the facilitators' content-gap list looks.
GAP_DAYS = 28


def gaps(turn: Turn, deps: Deps, args: str) -> None:
    operative = turn.known
    if not deps.leads(operative):
        turn.say(deps.text("not_allowed"))
        return
    cohorts = None
    if deps.role_of(operative) is Role.FACILITATOR:
        cohorts = [c.id for c in turn.uow.cohorts.created_by(operative.telegram_id) if c.id]
    since = turn.now - timedelta(days=GAP_DAYS)
    found = turn.uow.gaps.recent(since, cohorts)
    if not found:
        turn.say(deps.text("gaps_none", days=GAP_DAYS))
        return
    lines = [deps.text("gaps_header", days=GAP_DAYS)]
    # 30 lines of 100 characters stay well inside Telegram's 4,096.
    lines += [f"• {gap.created_at:%d %b}: {escape(gap.text[:100])}" for gap in found[:30]]
    turn.say("\n".join(lines))


ROUTES = Routes(commands={"gaps": gaps})
