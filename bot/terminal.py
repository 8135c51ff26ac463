"""``coachbot chat``: the operative's side of the conversation, in a terminal.

Buttons are shown as numbered choices; type the number to press one.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable

from bot.core.coaching import Coach
from bot.core.messages import Button, ButtonPress, Command, Event, Reply, Sender, Text
from bot.core.parsing import parse_choice

QUIT = {"/quit", "/exit", "quit", "exit"}


def plain(text: str) -> str:
    """Telegram HTML as terminal text."""
    return html.unescape(re.sub(r"<[^<>]+>", "", text))


def render(replies: Iterable[Reply]) -> tuple[str, list[Button]]:
    """The text to print for ``replies``, and the buttons the numbers stand for."""
    lines: list[str] = []
    choices: list[Button] = []
    for reply in replies:
        lines.append(plain(reply.text))
        if reply.image or reply.document:
            attachment = reply.image or reply.document
            assert attachment is not None
            lines.append(f"  [attachment: {attachment.filename}]")
        for row in reply.buttons:
            for button in row:
                choices.append(button)
                lines.append(f"  {len(choices)}. {button.label}")
        lines.append("")
    return "\n".join(lines), choices


def event_for(line: str, sender: Sender, choices: list[Button]) -> Event | None:
    text = line.strip()
    if not text:
        return None
    if text.startswith("/"):
        name, _, args = text[1:].partition(" ")
        return Command(sender, name.lower(), args.strip())
    chosen = parse_choice(text, len(choices))
    if chosen is not None:
        return ButtonPress(sender, choices[chosen].data)
    return Text(sender, text)


def chat(
    coach: Coach,
    sender: Sender,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
) -> None:
    """Run the conversation until /quit or end of input."""
    write(plain(coach.text("terminal_intro")) + "\n")
    text, choices = render(coach.handle(Command(sender, "start")))
    write(text)
    while True:
        try:
            line = read("> ")
        except (EOFError, KeyboardInterrupt):
            write("")
            return
        if line.strip().lower() in QUIT:
            return
        event = event_for(line, sender, choices)
        if event is None:
            continue
        text, new_choices = render(coach.handle(event))
        write(text)
        if new_choices:
            choices = new_choices
