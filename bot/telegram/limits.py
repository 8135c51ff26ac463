"""Telegram's size limits on what the bot sends, kept here rather than in the core.

>>> split_text("line one\\nline two", limit=9)
['line one', 'line two']
"""

from __future__ import annotations

#: The longest text of one message, in characters (after entities are parsed; counting
#: the HTML too keeps a margin).
MESSAGE_CHARS = 4096
#: The longest caption of a photo or document.
CAPTION_CHARS = 1024


def split_text(text: str, limit: int = MESSAGE_CHARS) -> list[str]:
    """``text`` in parts of at most ``limit`` characters, broken between lines where it
    can be (a line is never split inside a tag, since tags don't span lines in the
    bot's texts); a single line longer than ``limit`` is cut at the limit."""
    parts: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        while len(line) > limit:
            if current is not None:
                parts.append(current)
                current = None
            parts.append(line[:limit])
            line = line[limit:]
        if current is None:
            current = line
        elif len(current) + 1 + len(line) <= limit:
            current += "\n" + line
        else:
            parts.append(current)
            current = line
    parts.append(current or "")
    return parts
