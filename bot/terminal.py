"""``coachbot chat``: the operative's side of the conversation, in a terminal.

Buttons are shown as numbered choices; type the number to press one. Nothing is
said until you type (``/start`` sets you up, as in Telegram). Between inputs the
chat plans like the running bot and shows what it would send you (daily prompts,
reminders, follow-ups); press Enter on an empty line to check for them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

from bot.core.jobs.delivery import Deliveries
from bot.core.jobs.planner import DailyPrompts
from bot.core.messages import Button, ButtonPress, Command, Event, Reply, Sender, Text
from bot.core.parsing import parse_choice
from bot.core.router import Coach

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


Inbox = Callable[[], list[Reply]]


def outbox_inbox(
    coach: Coach, planner: DailyPrompts, deliveries: Deliveries, chat_id: int
) -> Inbox:
    """What the bot would send this chat now: plan as the running bot does, then take
    this chat's due messages from the outbox (and only this chat's)."""

    def inbox() -> list[Reply]:
        planner.plan()
        replies = []
        for message in deliveries.show_here(chat_id):
            when = f"{coach.clock().astimezone(ZoneInfo(message.timezone or 'UTC')):%H:%M}"
            buttons = tuple(
                tuple(Button(label, data) for label, data in row) for row in message.buttons
            )
            header = coach.text("terminal_delivered", time=when)
            replies.append(Reply(f"{header}\n{message.text}", buttons))
        return replies

    return inbox


def _nothing_new() -> list[Reply]:
    return []


def chat(
    coach: Coach,
    sender: Sender,
    read: Callable[[str], str] = input,
    write: Callable[[str], None] = print,
    inbox: Inbox = _nothing_new,
) -> None:
    """Run the conversation until /quit or end of input. Nothing is said until the
    person types; what ``inbox`` holds is shown at the start and after every input."""
    write(plain(coach.text("terminal_intro")) + "\n")
    text, choices = render(inbox())
    if text:
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
        replies = coach.handle(event) if event is not None else []
        text, new_choices = render([*replies, *inbox()])
        write(text or plain(coach.text("terminal_nothing_new")) + "\n")
        if new_choices:
            choices = new_choices
