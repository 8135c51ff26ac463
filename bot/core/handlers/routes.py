"""How a handler module says what it handles: commands, buttons and waiting states.

    ROUTES = Routes(
        commands={"pause": pause},
        buttons={PauseFor: lambda turn, deps, payload: pause_for(turn, deps, payload.days)},
        waiting={TypedZone: typed_timezone},
    )

The router (:mod:`bot.core.router`) builds its dispatch table from every module's
``ROUTES``; a command, payload or waiting state claimed twice is an error at start.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.deps import Deps, Turn

#: ``/name args``: args are stripped, possibly empty.
CommandHandler = Callable[[Turn, Deps, str], None]
#: A button press, given its decoded payload.
ButtonHandler = Callable[[Turn, Deps, Any], None]
#: Free text while the operative's waiting state is of one type, given that state.
WaitingHandler = Callable[[Turn, Deps, Any, str], None]


@dataclass(frozen=True)
class Routes:
    commands: Mapping[str, CommandHandler] = field(default_factory=dict)
    buttons: Mapping[type[Any], ButtonHandler] = field(default_factory=dict)
    waiting: Mapping[type[Any], WaitingHandler] = field(default_factory=dict)
    #: Commands and button payloads anyone may use, before /start or after /stop.
    open_commands: frozenset[str] = frozenset()
    open_buttons: frozenset[type[Any]] = frozenset()
