"""What every handler is given: the :class:`Deps` (content, matcher, clock, texts, links,
renderers) and the :class:`Turn` (one event being handled, in one unit of work).

    deps = Deps(library, clock, CoachConfig(), bot_username="doorstep_coach_bot")
    turn = Turn(uow, sender, operative, today=date(2026, 12, 7), now=clock())
    turn.say(deps.text("help"))
    turn.log(EventType.SETTINGS_CHANGED, setting="time")

This module imports no handler, so handlers can import it without a cycle.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.core.content.library import Library
from bot.core.matching.matcher import Matcher
from bot.core.messages import Button, Reply, Sender
from bot.core.model import EventType, Happened, Operative, Role, happened_to
from bot.core.policy.history import HISTORY_DAYS, RECORD_EVENTS, Record, record_of
from bot.core.ports import Clock, UnitOfWork
from bot.core.reports.figures import ChartData, Document

#: Draws the /summary chart as a PNG.
ChartRenderer = Callable[[ChartData], bytes]
#: Writes an export as an XLSX workbook.
WorkbookWriter = Callable[[Document], bytes]


@dataclass(frozen=True)
class CoachConfig:
    default_timezone: str = "Europe/London"
    admin_ids: frozenset[int] = frozenset()


def _no_chart(data: ChartData) -> bytes:
    raise RuntimeError("no chart renderer was wired in")


def _no_workbook(document: Document) -> bytes:
    raise RuntimeError("no workbook writer was wired in")


@dataclass(frozen=True)
class Renderers:
    """Ports for the files reports send: the core asks, an adapter draws."""

    chart: ChartRenderer = _no_chart
    workbook: WorkbookWriter = _no_workbook


class Deps:
    """Everything a handler needs besides the turn: built once, at wiring time."""

    def __init__(
        self,
        library: Library,
        clock: Clock,
        config: CoachConfig | None = None,
        *,
        matcher: Matcher | None = None,
        build_matcher: Callable[[Library], Matcher] | None = None,
        renderers: Renderers | None = None,
        bot_username: str | None = None,
    ) -> None:
        self.library = library
        self.clock = clock
        self.config = config or CoachConfig()
        self.renderers = renderers or Renderers()
        #: The bot's Telegram username, for invite links; None where it isn't known (terminal).
        self.bot_username = bot_username.lstrip("@") if bot_username else None
        self._matcher = matcher
        self._build_matcher = build_matcher
        self._building_matcher = threading.Lock()

    @property
    def matcher(self) -> Matcher:
        """The message router, built when first used: commands that never route a message
        (reports, cohorts, grants) don't wait the seconds it takes to build. Built once
        (by ``build_matcher``, which may load it from a cache), however many threads ask
        for it at the same time."""
        if self._matcher is None:
            with self._building_matcher:
                if self._matcher is None:
                    self._matcher = (self._build_matcher or Matcher)(self.library)
        return self._matcher

    def text(self, key: str, **values: object) -> str:
        return self.library.text(key, **values)

    def role_of(self, operative: Operative) -> Role:
        return Role.ADMIN if operative.telegram_id in self.config.admin_ids else operative.role

    def gets_daily_prompts(self, operative: Operative) -> bool:
        """Whether the planner sends them daily scenarios: their choice in /settings if
        they made one, else on for operatives and off for facilitators, managers and
        admins, who use the bot for their work and would rather not be coached unasked."""
        if operative.daily_prompts is not None:
            return operative.daily_prompts
        return self.role_of(operative) is Role.OPERATIVE

    def leads(self, operative: Operative) -> bool:
        """Facilitators and admins run workshop groups."""
        return self.role_of(operative) in (Role.FACILITATOR, Role.ADMIN)

    def manages(self, operative: Operative) -> bool:
        """Managers and admins see every group's reports."""
        return self.role_of(operative) in (Role.MANAGER, Role.ADMIN)


@dataclass
class Turn:
    """One event being handled: its unit of work, who sent it, and when."""

    uow: UnitOfWork
    sender: Sender
    operative: Operative | None
    today: date
    now: datetime
    replies: list[Reply] = field(default_factory=list)

    def say(
        self, text: str, buttons: tuple[tuple[Button, ...], ...] = (), *, replace: bool = False
    ) -> None:
        self.replies.append(Reply(text, buttons, replace=replace))

    def log(self, type_: EventType, **payload: object) -> None:
        """Record an engagement event about the sender."""
        self.log_all([(type_, payload)])

    def log_all(self, happened: list[Happened]) -> None:
        """Record what a state change returned (see :class:`Operative`'s methods)."""
        if happened:
            operative_id = self.operative.id if self.operative else None
            self.uow.events.record_many(happened_to(operative_id, self.now, happened))

    @property
    def known(self) -> Operative:
        """The sender's operative record; only handlers behind /start's gate ask for it."""
        if self.operative is None:
            raise LookupError("this handler needs an enrolled operative")
        return self.operative

    def record(self) -> Record:
        """What this operative has been sent and how they answered, by local date: the
        planner's bounded look back, so /practice and daily prompts choose alike."""
        operative = self.known
        assert operative.id is not None
        since = self.now - timedelta(days=HISTORY_DAYS)
        events = self.uow.events.of_many([operative.id], RECORD_EVENTS, since)
        return record_of(operative, events.get(operative.id, []))
