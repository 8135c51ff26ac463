"""A tiny driver for service-level tests: talk to the Coach as one operative would."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.core.messages import Button, ButtonPress, Command, Event, Reply, Sender, Text, Unsupported
from bot.core.router import Coach


@dataclass
class Operative:
    coach: Coach
    user_id: int = 42
    name: str = "Sam"
    last: list[Reply] = field(default_factory=list)

    @property
    def sender(self) -> Sender:
        return Sender(self.user_id, self.name)

    def _do(self, event: Event) -> str:
        self.last = self.coach.handle(event)
        return "\n".join(reply.text for reply in self.last)

    def send(self, text: str) -> str:
        if text.startswith("/"):
            name, _, args = text[1:].partition(" ")
            return self._do(Command(self.sender, name, args))
        return self._do(Text(self.sender, text))

    def sticker(self) -> str:
        return self._do(Unsupported(self.sender, "sticker"))

    def buttons(self) -> list[Button]:
        return [button for reply in self.last for row in reply.buttons for button in row]

    def press(self, label: str) -> str:
        matches = [b for b in self.buttons() if label in b.label]
        assert matches, f"no button {label!r} in {[b.label for b in self.buttons()]}"
        return self._do(ButtonPress(self.sender, matches[0].data))

    def press_data(self, data: str) -> str:
        return self._do(ButtonPress(self.sender, data))
