"""Invite codes, deep links and QR codes for workshop cohorts.

>>> code = new_invite_code()          # e.g. "Hq7TzK2mWp": 10 characters, from `secrets`
>>> deep_link("doorstep_coach_bot", code)
'https://t.me/doorstep_coach_bot?start=Hq7TzK2mWp'
>>> png = qr_png(deep_link("doorstep_coach_bot", code))   # for the last slide
"""

from __future__ import annotations

import io
import secrets

import segno

#: Letters and digits that can't be mistaken for each other when read off a slide.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
CODE_LENGTH = 10


def new_invite_code() -> str:
    """An unguessable code: 10 characters from 56, about 58 bits, from a secrets source."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


def qr_png(link: str) -> bytes:
    """A QR code of the link as a PNG, big enough to scan from the back of a room."""
    buffer = io.BytesIO()
    segno.make(link, error="m").save(buffer, kind="png", scale=12, border=4)
    return buffer.getvalue()
