"""What goes into the core (an inbound event) and what comes out (replies).

Adapters translate: the Telegram adapter turns an Update into an event and a
:class:`Reply` into ``send_message``; the terminal adapter prints it, with the
buttons as numbered choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Button:
    """An inline button. ``data`` travels as Telegram callback_data: at most 64 bytes."""

    label: str
    data: str

    def __post_init__(self) -> None:
        if not 1 <= len(self.data.encode()) <= 64:
            raise ValueError(f"button data must be 1-64 bytes: {self.data!r}")


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes


@dataclass(frozen=True)
class Reply:
    """One message to the person who wrote, in Telegram's HTML."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    #: Sent as a photo, with ``text`` as its caption.
    image: Attachment | None = None
    #: Sent as a document, with ``text`` as its caption.
    document: Attachment | None = None
    #: Replace the message whose button was pressed, rather than send a new one.
    replace: bool = False


@dataclass(frozen=True)
class Sender:
    user_id: int
    name: str


@dataclass(frozen=True)
class Command:
    """``/name args`` in a private chat."""

    sender: Sender
    name: str
    args: str = ""


@dataclass(frozen=True)
class Text:
    sender: Sender
    text: str


@dataclass(frozen=True)
class ButtonPress:
    sender: Sender
    data: str


@dataclass(frozen=True)
class Unsupported:
    """A sticker, photo, voice note, location... anything that isn't text."""

    sender: Sender
    kind: str = field(default="other")


Event = Command | Text | ButtonPress | Unsupported
