"""The conversation: an inbound event in, replies out.

    coach = Coach(uow_factory, library, clock, CoachConfig(default_timezone="Europe/London"))
    replies = coach.handle(Command(Sender(42, "Sam"), "start", "ABCD1234"))

Every adapter (Telegram, terminal, tests) drives this one class. It knows no
feature: it opens the unit of work, checks the sender may go on, and hands the
event to whichever handler registered for it in its module's ``ROUTES``
(see :mod:`bot.core.handlers.routes`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from types import ModuleType
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot.core.callbacks import decode, scenario_awaited, waiting
from bot.core.content.html import escape
from bot.core.content.library import Library
from bot.core.deps import CoachConfig, Deps, Renderers, Turn
from bot.core.handlers import (
    answers,
    cohorts,
    enrolment,
    facilitation,
    follow_ups,
    gaps,
    pausing,
    prompts,
    reports,
    sequence,
    settings,
)
from bot.core.handlers.routes import ButtonHandler, CommandHandler, Routes, WaitingHandler
from bot.core.jobs.updates import first_time_and_lock
from bot.core.matching.matcher import Matcher
from bot.core.messages import ButtonPress, Command, Event, Reply, Sender, Text, Unsupported
from bot.core.model import Operative, Status
from bot.core.ports import Clock, UnitOfWorkFactory

__all__ = ["MENU_COMMANDS", "Coach", "CoachConfig", "Router"]

#: The feature modules whose ``ROUTES`` make up the conversation.
HANDLER_MODULES: tuple[ModuleType, ...] = (
    enrolment,
    settings,
    pausing,
    prompts,
    answers,
    sequence,
    cohorts,
    follow_ups,
    facilitation,
    gaps,
    reports,
)

#: The commands shown in Telegram's menu, in order; their descriptions are texts.
MENU_COMMANDS = (
    "practice",
    "later",
    "settings",
    "pause",
    "resume",
    "help",
    "privacy",
    "stop",
    "start",
)
Key = TypeVar("Key")
Handler = TypeVar("Handler")

#: Telegram commands are at most this long; an unknown one is quoted back no longer.
COMMAND_CHARS = 32


class Router:
    """One dispatch table, merged from every handler module's ``ROUTES``."""

    def __init__(self, modules: Iterable[ModuleType] = HANDLER_MODULES) -> None:
        commands: dict[str, CommandHandler] = {}
        buttons: dict[type[Any], ButtonHandler] = {}
        waiting_: dict[type[Any], WaitingHandler] = {}
        open_commands: set[str] = set()
        open_buttons: set[type[Any]] = set()
        for module in modules:
            routes: Routes = module.ROUTES
            _claim(commands, routes.commands, module)
            _claim(buttons, routes.buttons, module)
            _claim(waiting_, routes.waiting, module)
            open_commands |= routes.open_commands
            open_buttons |= routes.open_buttons
        self.routes = Routes(
            commands, buttons, waiting_, frozenset(open_commands), frozenset(open_buttons)
        )

    def dispatch(self, turn: Turn, deps: Deps, event: Event) -> None:
        routes = self.routes
        match event:
            case Command(name=name, args=args):
                command = routes.commands.get(name)
                if command is None:
                    turn.say(deps.text("unknown_command", command=escape(name[:COMMAND_CHARS])))
                elif name in routes.open_commands or _ready(turn, deps):
                    command(turn, deps, args.strip())
            case ButtonPress(data=data):
                payload = decode(data)
                pressed = routes.buttons.get(type(payload))
                if type(payload) not in routes.open_buttons and not _ready(turn, deps):
                    return
                if pressed is None:
                    turn.say(deps.text("button_expired"))
                else:
                    pressed(turn, deps, payload)
            case Text(text=text):
                if _ready(turn, deps):
                    state = waiting(turn.known.awaiting)
                    typed = routes.waiting.get(type(state))
                    if typed is None:
                        answers.typed(turn, deps, text)
                    else:
                        typed(turn, deps, state, text)
            case Unsupported():
                turn.say(deps.text("unsupported"))


def _claim(table: dict[Key, Handler], claims: Mapping[Key, Handler], module: ModuleType) -> None:
    for key, handler in claims.items():
        if key in table:
            raise ValueError(f"{key!r} is claimed twice (again by {module.__name__})")
        table[key] = handler


def _ready(turn: Turn, deps: Deps) -> bool:
    """Whether the sender can use the bot now; if not, say what to do instead."""
    if turn.operative is None:
        turn.say(deps.text("not_started"))
        return False
    if turn.operative.status is Status.STOPPED:
        turn.say(deps.text("stopped_reminder"))
        return False
    return True


class Coach:
    """The coach's side of every conversation: a unit of work per event, routed."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        library: Library,
        clock: Clock,
        config: CoachConfig | None = None,
        matcher: Matcher | None = None,
        *,
        build_matcher: Callable[[Library], Matcher] | None = None,
        renderers: Renderers | None = None,
        bot_username: str | None = None,
        router: Router | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.deps = Deps(
            library,
            clock,
            config,
            matcher=matcher,
            build_matcher=build_matcher,
            renderers=renderers,
            bot_username=bot_username,
        )
        self.router = router or Router()

    # What adapters read; handlers get these through their deps.
    @property
    def library(self) -> Library:
        return self.deps.library

    @property
    def clock(self) -> Clock:
        return self.deps.clock

    @property
    def matcher(self) -> Matcher:
        return self.deps.matcher

    def menu(self) -> list[tuple[str, str]]:
        """(command, description) pairs for Telegram's command menu."""
        return [(name, self.deps.text(f"command_{name}")) for name in MENU_COMMANDS]

    def handle(self, event: Event, update_id: int | None = None) -> list[Reply]:
        """Handle one inbound event in one transaction and return what to say back.

        The operative is locked for the transaction: another replica handling their
        next update at the same moment waits for this one, then sees its changes.

        With the ``update_id`` it came in (Telegram's), an event taken in before, on
        this replica or another, is dropped: nothing is said. The id is recorded in the
        same transaction (see :mod:`bot.core.jobs.updates`), so one commit does both."""
        sender = event.sender
        with self.uow_factory() as uow:
            if update_id is None:
                operative = uow.operatives.lock(sender.user_id)
            else:
                fresh, operative = first_time_and_lock(
                    uow, update_id, self.deps.clock(), sender.user_id
                )
                if not fresh:
                    return []
            now = self.deps.clock()
            turn = Turn(uow, sender, operative, self._today(operative, now), now)
            self.router.dispatch(turn, self.deps, event)
            uow.commit()
        return turn.replies

    def recover(self, sender: Sender) -> list[Reply]:
        """What to say after handling an event failed (its unit of work rolled back).

        A waiting state for typed input (a time zone, a follow-up, a commitment) is
        ended on purpose, so the next message is read afresh rather than misread
        as that input again. A prompt waiting for its answer keeps waiting (also
        one that a typed setting interrupted): the operative can simply answer again.
        """
        with self.uow_factory() as uow:
            operative = uow.operatives.lock(sender.user_id)
            if operative is not None:
                # A scenario that a typed setting interrupted waits again.
                scenario = scenario_awaited(waiting(operative.awaiting))
                if operative.awaiting != (kept := scenario.encode() if scenario else None):
                    operative.awaiting = kept
                    uow.operatives.save(operative)
                    uow.commit()
        return [Reply(self.deps.text("something_wrong"))]

    def text(self, key: str, **values: object) -> str:
        return self.deps.text(key, **values)

    def _today(self, operative: Operative | None, now: datetime) -> date:
        zone = ZoneInfo(operative.timezone if operative else self.deps.config.default_timezone)
        return now.astimezone(zone).date()
