"""A local fake Telegram Bot API server for end-to-end tests and benchmarks.

The server speaks the Bot API's HTTP protocol on ``127.0.0.1`` so the *real*
python-telegram-bot ``Bot`` / ``Application`` can run against it unchanged
(``base_url=server.base_url``, or ``TELEGRAM_API_URL=server.base_url``).  It
validates requests the way Telegram does (text and caption lengths, HTML
parse mode, inline keyboards, callback data, unknown chats, blocked users,
rate limits), answers with Telegram's real error descriptions, can inject
faults, and lets tests play users who send messages and press buttons.

Usage::

    from telegram.ext import Application
    from tests.fake_bot_api import Fault, FakeBotAPI

    with FakeBotAPI() as server:                      # binds 127.0.0.1:<free port>
        app = (
            Application.builder()
            .token(server.token)                      # any "<digits>:<chars>" token works
            .base_url(server.base_url)                # "http://127.0.0.1:PORT/bot"
            .base_file_url(server.base_file_url)
            .build()
        )
        ...  # add handlers, start polling (see tests/test_fake_bot_api.py)

        sam = server.user(1001, first_name="Sam")    # a private chat with Sam now exists
        sam.send("/start ABC123")                     # an Update with a bot_command entity
        reply = await sam.wait_for("Welcome")         # blocks until the bot says it
        sam.press("Yes")                              # callback_query for the button "Yes"
        await sam.wait_for(lambda m: m.edited)        # an edit counts as an arrival
        assert server.callback_answers[-1] == "Saved"

        server.set_rate_limits(global_per_second=30, per_chat_per_second=1)
        server.inject("sendMessage", Fault.status(502), Fault.too_many(3))
        server.set_chaos(error_rate=0.2, lost_answer_rate=0.05, seed=1)   # random faults
        server.start_outage()                         # every call 502s until end_outage()
        server.set_webhook_faults(lost_answer_rate=0.1)   # a 2xx lost: the update posted again
        sam.block()                                   # sends now get 403
        print(server.stats.rate_limited, server.stats.max_in_window(1.0))

Divergences from Telegram, on purpose: a bare ``&`` in HTML is rejected when
``strict_html=True`` (the default; Telegram keeps it as text), an inline button
with two action fields is rejected, webhooks may use plain ``http://`` URLs and
``photo``/``document`` URLs are never fetched.  With a webhook set, updates are
posted over up to ``max_connections`` connections at once, each kept and posted
again until answered 2xx (``webhook_posts`` counts the posts); with
``webhook_chat_order=True``, each chat's one at a time.  Times recorded by the server
(``Call.time``, ``SentMessage.time``, ``Stats.sent_by_chat``) are
``time.monotonic()`` seconds; ``date`` fields are Unix times like Telegram's.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import http.client
import itertools
import json
import math
import mimetypes
import random
import re
import socket
import struct
import threading
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from email.parser import Parser
from email.utils import collapse_rfc2231_value
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Literal, NamedTuple, cast
from urllib.parse import parse_qsl, unquote, urlsplit

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "Button",
    "Call",
    "CallbackAnswer",
    "FakeBotAPI",
    "FakeUser",
    "Fault",
    "MessageEdit",
    "ParsedText",
    "SentMessage",
    "Stats",
    "UploadedFile",
    "UserAction",
    "parse_text",
    "utf16_len",
]

DEFAULT_TOKEN: Final = "123456789:TEST-doorstep_coach_token"
TOKEN_RE: Final = re.compile(r"^\d+:[A-Za-z0-9_-]+$")

#: Methods that send or change a message: rate limited, and the default target
#: of ``inject_for_chat`` faults.
MESSAGE_METHODS: Final = frozenset({"sendMessage", "sendPhoto", "sendDocument", "editMessageText"})

TEXT_LIMIT: Final = 4096
CAPTION_LIMIT: Final = 1024
CALLBACK_DATA_LIMIT: Final = 64
CALLBACK_ANSWER_LIMIT: Final = 200
#: How long a webhook post that failed waits before it is posted again.
WEBHOOK_RETRY_AFTER: Final = 0.2

NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
CONFLICT_POLL: Final = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK: Final = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)

CHAT_ACTIONS: Final = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
BUTTON_ACTIONS: Final = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

# A 1x1 transparent PNG, the default picture for FakeUser.send_photo().
TINY_PNG: Final = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


# --------------------------------------------------------------------------- errors


class ApiError(Exception):
    """An error answer of the Bot API: ``{"ok": false, "error_code": ..., ...}``."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.code,
            "description": self.description,
        }
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


class _EntityParseError(Exception):
    """Raised by the parse-mode parsers; becomes ``can't parse entities: ...``."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart/form-data request."""

    field: str
    filename: str
    content_type: str
    data: bytes


class Call(NamedTuple):
    """One HTTP call to the API; unpacks as ``(method, params, time, status)``.

    ``status`` is the HTTP status answered, 0 when the connection was dropped.
    ``method`` is the canonical name (``sendMessage``), or as sent if unknown.
    """

    method: str
    params: dict[str, Any]
    time: float
    status: int


class Button(NamedTuple):
    """An inline button as ``(text, value)``; value is callback_data, url or the like."""

    text: str
    value: str


@dataclass(frozen=True)
class MessageEdit:
    """The content of a message after one edit."""

    method: str
    time: float
    text: str | None
    parse_mode: str | None
    buttons: list[list[Button]]


@dataclass
class SentMessage:
    """A message the bot sent (a snapshot: later edits do not change it).

    ``text`` is the text or caption exactly as sent, ``plain_text`` the same
    after entity parsing (what the user sees).
    """

    chat_id: int
    message_id: int
    method: str
    text: str | None
    plain_text: str | None
    parse_mode: str | None
    buttons: list[list[Button]]
    reply_markup: dict[str, Any] | None
    date: int
    time: float
    bot_id: int
    original_text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_keyboard: list[list[str]] | None = None
    photo: bytes | None = None
    document: bytes | None = None
    filename: str | None = None
    mime_type: str | None = None
    file_id: str | None = None
    media_url: str | None = None
    edits: list[MessageEdit] = field(default_factory=list)
    reply_markup_removed: bool = False
    deleted: bool = False
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def caption(self) -> str | None:
        return self.text if self.method in ("sendPhoto", "sendDocument") else None

    @property
    def edited(self) -> bool:
        return bool(self.edits)

    @property
    def button_texts(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]

    def has_button(self, text_or_value: str) -> bool:
        return any(text_or_value in (b.text, b.value) for row in self.buttons for b in row)

    def summary(self) -> str:
        body = (self.plain_text or self.text or "").replace("\n", "⏎")
        if len(body) > 80:
            body = body[:77] + "..."
        extra = f" buttons={[[b.text for b in r] for r in self.buttons]}" if self.buttons else ""
        flags = "".join(
            f" [{flag}]"
            for flag, on in (
                ("edited", self.edited),
                ("deleted", self.deleted),
                ("photo", self.photo is not None),
                ("document", self.document is not None),
            )
            if on
        )
        return f"#{self.message_id} {self.method} {body!r}{extra}{flags}"


@dataclass(frozen=True)
class CallbackAnswer:
    """An answerCallbackQuery call that was accepted."""

    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    user_id: int | None
    data: str | None
    time: float


@dataclass(frozen=True)
class UserAction:
    """What a FakeUser action enqueued."""

    update_id: int
    update: dict[str, Any]
    message_id: int | None = None
    callback_query_id: str | None = None


@dataclass(frozen=True)
class Stats:
    """A snapshot of the server's counters."""

    requests: int
    by_method: dict[str, int]
    by_status: dict[int, int]
    sent_by_chat: dict[int, list[float]]
    too_many_requests: int
    rate_limited: int
    faults_served: int

    @property
    def sent_total(self) -> int:
        return sum(len(v) for v in self.sent_by_chat.values())

    def max_in_window(self, window: float = 1.0, chat_id: int | None = None) -> int:
        """Most messages delivered within any ``window`` seconds (globally or to one chat)."""
        if chat_id is not None:
            stamps = sorted(self.sent_by_chat.get(chat_id, []))
        else:
            stamps = sorted(t for v in self.sent_by_chat.values() for t in v)
        best = 0
        lo = 0
        for hi, t in enumerate(stamps):
            while t - stamps[lo] >= window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    def min_gap(self, chat_id: int) -> float | None:
        """Shortest time between two messages delivered to ``chat_id``."""
        stamps = sorted(self.sent_by_chat.get(chat_id, []))
        gaps = [b - a for a, b in itertools.pairwise(stamps)]
        return min(gaps) if gaps else None


# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class Fault:
    """An injected failure; build one with the class methods."""

    kind: Literal["error", "drop", "delay", "lost"]
    code: int = 0
    description: str = ""
    retry_after: int | None = None
    seconds: float = 0.0

    @classmethod
    def status(cls, code: int, description: str | None = None) -> Fault:
        """An error answer with HTTP ``code`` (e.g. 500, 502, 503)."""
        default = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
        return cls("error", code, description or default.get(code, f"Error {code}"))

    @classmethod
    def too_many(cls, retry_after: int = 1) -> Fault:
        """429 ``Too Many Requests: retry after N`` with ``parameters.retry_after``."""
        n = max(1, int(retry_after))
        return cls("error", 429, f"Too Many Requests: retry after {n}", retry_after=n)

    @classmethod
    def bad_request(cls, description: str) -> Fault:
        """400; ``Bad Request: `` is prefixed unless already there."""
        prefix = "Bad Request: "
        return cls(
            "error", 400, description if description.startswith(prefix) else prefix + description
        )

    @classmethod
    def forbidden(cls, description: str = "bot was blocked by the user") -> Fault:
        """403; ``Forbidden: `` is prefixed unless already there."""
        prefix = "Forbidden: "
        return cls(
            "error", 403, description if description.startswith(prefix) else prefix + description
        )

    @classmethod
    def drop_connection(cls) -> Fault:
        """Close the socket without answering."""
        return cls("drop")

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait, then answer normally."""
        return cls("delay", seconds=float(seconds))

    @classmethod
    def lose_answer(cls) -> Fault:
        """Do what was asked, then close the socket without answering: the call worked,
        but the client can't know it."""
        return cls("lost")


class Poster:
    """Posts to webhook URLs on kept-alive connections (one thread's), with the standard
    library's client: the benchmarks post thousands of updates, and httpx's CPU a post
    was a large share of the local server's, on the cores the bot under test shares."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._connections: dict[tuple[str, str, int | None], http.client.HTTPConnection] = {}

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, bytes]:
        """The answer's status, reason and body; OSError or HTTPException if none came."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", parts.port)
        connection = self._connections.get(key)
        if connection is None:
            kind = (
                http.client.HTTPSConnection
                if parts.scheme == "https"
                else http.client.HTTPConnection
            )
            connection = self._connections[key] = kind(
                parts.hostname or "", parts.port, timeout=self.timeout
            )
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        try:
            connection.request("POST", path, body, headers)
            response = connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            del self._connections[key]
            raise
        if response.will_close:
            connection.close()
            del self._connections[key]
        return response.status, response.reason, content

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()


@dataclass(frozen=True)
class _Chaos:
    error_rate: float
    lost_answer_rate: float
    codes: tuple[int, ...]
    methods: frozenset[str]
    random: random.Random


# --------------------------------------------------------------------------- text parsing


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _u16(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


@dataclass(frozen=True)
class ParsedText:
    """Text after entity parsing plus its entities (Telegram's MessageEntity dicts)."""

    plain: str
    entities: list[dict[str, Any]]


_HTML_TAGS: Final = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_HTML_ENTITY_TYPES: Final = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "a": "text_link",
    "tg-emoji": "custom_emoji",
}
_HTML_ENTITY_RE: Final = re.compile(r"&(?:(lt|gt|amp|quot)|#([0-9]{1,7})|#[xX]([0-9a-fA-F]{1,6}));")
_NAMED_ENTITIES: Final = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES: Final = frozenset(" \t\r\n\v\f")
_SPACES_NUL: Final = frozenset(" \t\r\n\v\f\0")


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    m = _HTML_ENTITY_RE.match(text, pos)
    if m is None:
        return None
    name, dec, hexa = m.groups()
    if name:
        return _NAMED_ENTITIES[name], m.end()
    code = int(dec) if dec else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), m.end()


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _parse_html(text: str, strict_amp: bool) -> ParsedText:
    """Telegram's HTML parse mode (after tdlib's ``parse_html``)."""
    if "<" not in text and "&" not in text:
        return ParsedText(text, [])
    t = text + "\0"
    n = len(text)
    out: list[str] = []
    u16 = 0
    # open tags: (tag, argument, utf16 start)
    stack: list[tuple[str, str, int]] = []
    entities: list[dict[str, Any]] = []
    code_languages: dict[tuple[int, int], str] = {}
    i = 0
    while i < n:
        c = t[i]
        if c == "&":
            decoded = _decode_html_entity(t, i)
            if decoded is not None:
                out.append(decoded[0])
                u16 += _u16(decoded[0])
                i = decoded[1]
                continue
            if strict_amp:
                raise _EntityParseError(
                    f'Bare "&" at byte offset {_byte_offset(text, i)} must be written as "&amp;"'
                    " (strict_html mode of the fake server)"
                )
        if c != "<":
            out.append(c)
            u16 += _u16(c)
            i += 1
            continue
        begin = i
        at = _byte_offset(text, begin)
        i += 1
        if t[i] != "/":
            while t[i] not in _SPACES_NUL and t[i] != ">":
                i += 1
            if t[i] == "\0":
                raise _EntityParseError(f"Unclosed start tag at byte offset {at}")
            tag = t[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise _EntityParseError(f'Unsupported start tag "{tag}" at byte offset {at}')
            argument = ""
            while t[i] != ">":
                while t[i] in _SPACES:
                    i += 1
                if t[i] == ">":
                    break
                attr_begin = i
                while t[i] not in _SPACES_NUL and t[i] != "=":
                    i += 1
                attr_name = t[attr_begin:i]
                if not attr_name:
                    raise _EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {at}'
                    )
                while t[i] in _SPACES:
                    i += 1
                if t[i] != "=":
                    raise _EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {at}'
                    )
                i += 1
                while t[i] in _SPACES:
                    i += 1
                if t[i] == "\0":
                    raise _EntityParseError(f'Unclosed start tag "{tag}" at byte offset {at}')
                if t[i] not in "'\"":
                    token_begin = i
                    while t[i].isalnum() or t[i] in ".-":
                        i += 1
                    value = t[token_begin:i].lower()
                    if t[i] not in _SPACES and t[i] != ">":
                        raise _EntityParseError(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(text, token_begin)}"
                        )
                else:
                    quote = t[i]
                    i += 1
                    chars: list[str] = []
                    while t[i] != quote and t[i] != "\0":
                        if t[i] == "&":
                            decoded = _decode_html_entity(t, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        chars.append(t[i])
                        i += 1
                    if t[i] == quote:
                        i += 1
                    value = "".join(chars)
                if t[i] == "\0":
                    raise _EntityParseError(f"Unclosed start tag at byte offset {at}")
                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr_name == "expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise _EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {at}'
                )
            i += 1  # past '>'
            stack.append((tag, argument, u16))
            continue
        # an end tag
        if not stack:
            raise _EntityParseError(f"Unexpected end tag at byte offset {at}")
        while t[i] not in _SPACES_NUL and t[i] != ">":
            i += 1
        end_name = t[begin + 2 : i]
        while t[i] in _SPACES:
            i += 1
        if t[i] != ">":
            raise _EntityParseError(f"Unclosed end tag at byte offset {at}")
        i += 1
        tag, argument, start = stack.pop()
        if end_name and end_name.lower() != tag:
            raise _EntityParseError(
                f'Unmatched end tag at byte offset {at}, expected "</{tag}>", found "</{end_name}>"'
            )
        length = u16 - start
        if length <= 0:
            continue
        kind = _HTML_ENTITY_TYPES[tag]
        entity: dict[str, Any] = {"type": kind, "offset": start, "length": length}
        if tag == "a":
            entity["url"] = argument or "".join(out)[-length:]
        elif tag == "tg-emoji":
            entity["custom_emoji_id"] = argument
        elif tag == "blockquote" and argument:
            entity["type"] = "expandable_blockquote"
        elif tag == "code" and argument:
            code_languages[(start, length)] = argument
        elif tag == "pre":
            language = code_languages.get((start, length))
            if language and entities and entities[-1]["type"] == "code":
                last = entities[-1]
                if (last["offset"], last["length"]) == (start, length):
                    entities.pop()
                    entity["language"] = language
        entities.append(entity)
    if stack:
        raise _EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), entities)


_MDV2_RESERVED: Final = frozenset("_*[]()~`>#+-=|{}.!")


def _parse_markdown(text: str, v2: bool) -> ParsedText:
    """MarkdownV2 (``v2=True``) or legacy Markdown, simplified after tdlib."""
    n = len(text)
    out: list[str] = []
    u16 = 0
    stack: list[tuple[str, int, int]] = []  # (marker, utf16 start, index in text)
    entities: list[dict[str, Any]] = []
    kinds = {"*": "bold", "_": "italic", "__": "underline", "~": "strikethrough", "||": "spoiler"}
    i = 0

    def emit(s: str) -> None:
        nonlocal u16
        out.append(s)
        u16 += utf16_len(s)

    def unclosed(index: int) -> _EntityParseError:
        return _EntityParseError(
            f"Can't find end of the entity starting at byte offset {_byte_offset(text, index)}"
        )

    while i < n:
        c = text[i]
        escapable = i + 1 < n and 0 < ord(text[i + 1]) < 127
        if c == "\\" and escapable and (v2 or text[i + 1] in "_*`["):
            emit(text[i + 1])
            i += 2
            continue
        if c == "`":
            fence = 3 if text.startswith("```", i) else 1
            j = i + fence
            chunk: list[str] = []
            while j < n and not text.startswith("`" * fence, j):
                if v2 and text[j] == "\\" and j + 1 < n and text[j + 1] in "`\\":
                    chunk.append(text[j + 1])
                    j += 2
                    continue
                chunk.append(text[j])
                j += 1
            if j >= n:
                raise unclosed(i)
            content = "".join(chunk)
            language = ""
            if fence == 3:
                first, newline, rest = content.partition("\n")
                if newline and first and not any(ch in _SPACES for ch in first):
                    language, content = first, rest
            start = u16
            emit(content)
            if u16 > start:
                entity: dict[str, Any] = {
                    "type": "pre" if fence == 3 else "code",
                    "offset": start,
                    "length": u16 - start,
                }
                if language:
                    entity["language"] = language
                entities.append(entity)
            i = j + fence
            continue
        marker = ""
        if c in "*_~" or (c == "|" and text.startswith("||", i)):
            marker = "||" if c == "|" else c
            if v2 and c == "_" and text.startswith("__", i):
                top = stack[-1][0] if stack else ""
                if top != "_":
                    marker = "__"
            if not v2 and c in "~|":
                marker = ""
        if marker:
            if stack and stack[-1][0] == marker:
                _m, start, _idx = stack.pop()
                if u16 > start:
                    entities.append({"type": kinds[marker], "offset": start, "length": u16 - start})
            elif any(entry[0] == marker for entry in stack):
                raise unclosed(stack[-1][2])
            else:
                stack.append((marker, u16, i))
            i += len(marker)
            continue
        if c == "[":
            stack.append(("[", u16, i))
            i += 1
            continue
        if c == "]" and stack and stack[-1][0] == "[":
            _m, start, _idx = stack.pop()
            url = ""
            i += 1
            if i < n and text[i] == "(":
                j = i + 1
                url_chars: list[str] = []
                while j < n and text[j] != ")":
                    if text[j] == "\\" and j + 1 < n:
                        j += 1
                    url_chars.append(text[j])
                    j += 1
                if j >= n:
                    raise _EntityParseError(
                        f"Can't find end of a URL at byte offset {_byte_offset(text, i)}"
                    )
                url = "".join(url_chars)
                i = j + 1
            if u16 > start and url:
                entities.append(
                    {"type": "text_link", "offset": start, "length": u16 - start, "url": url}
                )
            continue
        if v2 and c == ">" and (i == 0 or text[i - 1] == "\n"):
            i += 1  # a blockquote line; its entity is not modelled
            continue
        if v2 and (c in _MDV2_RESERVED or c == "\\"):
            raise _EntityParseError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        emit(c)
        i += 1
    if stack:
        raise unclosed(stack[-1][2])
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return ParsedText("".join(out), entities)


def parse_text(
    text: str,
    parse_mode: str | None,
    entities: list[dict[str, Any]] | None = None,
    *,
    strict_html: bool = True,
) -> ParsedText:
    """Parse ``text`` like the Bot API; raises ApiError 400 ``can't parse entities: ...``."""
    if entities:
        return ParsedText(text, list(entities))
    mode = (parse_mode or "").lower()
    try:
        if mode == "":
            return ParsedText(text, [])
        if mode == "html":
            return _parse_html(text, strict_html)
        if mode == "markdownv2":
            return _parse_markdown(text, v2=True)
        if mode == "markdown":
            return _parse_markdown(text, v2=False)
    except _EntityParseError as exc:
        raise _bad(f"can't parse entities: {exc}") from None
    raise _bad("unsupported parse_mode")


# --------------------------------------------------------------------------- params


def _get_str(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None or isinstance(value, UploadedFile):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _update_chat(update: Mapping[str, Any]) -> int | None:
    """The chat (or else the user) an update is about, if any."""
    for key, inner in update.items():
        if key == "update_id" or not isinstance(inner, dict):
            continue
        for holder in (inner, inner.get("message") or {}):
            chat = holder.get("chat")
            if isinstance(chat, dict) and isinstance(chat.get("id"), int):
                return int(chat["id"])
        sender = inner.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return int(sender["id"])
    return None


def _get_int(params: Mapping[str, Any], name: str) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _bad(f'field "{name}" must be of type Integer')
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value.strip())
    raise _bad(f'field "{name}" must be of type Integer')


def _get_bool(params: Mapping[str, Any], name: str) -> bool:
    value = params.get(name)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _get_json(params: Mapping[str, Any], name: str, error: str | None = None) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        if value == "":
            return None
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(error or f"can't parse {name} JSON object") from None
    return value


def _parse_multipart(body: bytes, boundary: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for segment in body.split(b"--" + boundary.encode("latin-1"))[1:]:
        if segment.startswith(b"--"):
            break
        if segment.startswith(b"\r\n"):
            segment = segment[2:]
        head, sep, content = segment.partition(b"\r\n\r\n")
        if not sep:
            continue
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers = Parser().parsestr(head.decode("utf-8", "replace") + "\r\n\r\n", headersonly=True)
        raw_name = headers.get_param("name", header="content-disposition")
        if raw_name is None:
            continue
        name = collapse_rfc2231_value(raw_name)
        filename = headers.get_filename()
        if filename is None:
            params[name] = content.decode("utf-8", "replace")
        else:
            ctype = headers.get_content_type() if headers.get("content-type") else ""
            params[name] = UploadedFile(
                name, filename, ctype or "application/octet-stream", content
            )
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            attached = params.get(value[len("attach://") :])
            if isinstance(attached, UploadedFile):
                params[key] = attached
    return params


def _parse_params(content_type: str, body: bytes, query: str) -> dict[str, Any]:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if not body:
        return params
    header = Message()
    header["content-type"] = content_type or "application/octet-stream"
    ctype = header.get_content_type()
    charset = header.get_content_charset() or "utf-8"
    if ctype == "application/json":
        try:
            data = json.loads(body.decode(charset))
        except ValueError:
            raise _bad("can't parse JSON encoded request") from None
        if not isinstance(data, dict):
            raise _bad("can't parse JSON encoded request")
        params.update(data)
    elif ctype == "application/x-www-form-urlencoded":
        params.update(parse_qsl(body.decode(charset), keep_blank_values=True))
    elif ctype == "multipart/form-data":
        boundary = header.get_param("boundary")
        if not isinstance(boundary, str):
            raise _bad("can't parse multipart/form-data request")
        params.update(_parse_multipart(body, boundary))
    return params


# --------------------------------------------------------------------------- markup


@dataclass
class _Markup:
    raw: dict[str, Any]
    inline: dict[str, Any] | None
    buttons: list[list[Button]]
    reply_keyboard: list[list[str]] | None


def _valid_button_url(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https"):
        return bool(parts.netloc)
    return parts.scheme == "tg" and bool(parts.netloc or parts.path)


def _parse_markup(params: Mapping[str, Any], *, inline_only: bool) -> _Markup | None:
    error = "can't parse reply keyboard markup JSON object"
    obj = _get_json(params, "reply_markup", error)
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise _bad(error)
    if "inline_keyboard" in obj:
        rows = obj["inline_keyboard"]
        if not isinstance(rows, list):
            raise _bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
        buttons: list[list[Button]] = []
        for row in rows:
            if not isinstance(row, list):
                raise _bad(
                    'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
                )
            out_row: list[Button] = []
            for button in row:
                out_row.append(_parse_inline_button(button))
            buttons.append(out_row)
        return _Markup(obj, obj, buttons, None)
    if inline_only:
        raise _bad("inline keyboard expected")
    if "keyboard" in obj:
        rows = obj["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
        texts: list[list[str]] = []
        for row in rows:
            texts_row: list[str] = []
            for button in row:
                text = button.get("text") if isinstance(button, dict) else button
                if not isinstance(text, str):
                    raise _bad('can\'t parse keyboard button: Field "text" must be of type String')
                texts_row.append(text)
            texts.append(texts_row)
        return _Markup(obj, None, [], texts)
    if "remove_keyboard" in obj or "force_reply" in obj:
        return _Markup(obj, None, [], None)
    raise _bad(error)


def _parse_inline_button(button: Any) -> Button:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise _bad(prefix + "InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str):
        raise _bad(prefix + 'Field "text" must be of type String')
    actions = [k for k in BUTTON_ACTIONS if button.get(k) not in (None, "", False)]
    if not actions:
        raise _bad(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise _bad(
            prefix + f"exactly one of the optional fields must be used, got {', '.join(actions)}"
        )
    if not text.strip():
        raise _bad("BUTTON_TEXT_INVALID")
    action = actions[0]
    value = button[action]
    if action in ("url", "callback_data") and not isinstance(value, str):
        raise _bad(prefix + f'Field "{action}" must be of type String')
    if action == "callback_data" and len(value.encode("utf-8")) > CALLBACK_DATA_LIMIT:
        raise _bad("BUTTON_DATA_INVALID")
    if action == "url" and not _valid_button_url(value):
        raise _bad("BUTTON_URL_INVALID")
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False)
    return Button(text, value)


# --------------------------------------------------------------------------- images


def _image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, GIF, JPEG, WEBP or BMP; None if not an image."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:4] in (b"GIF8",) and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(int(width)), abs(int(height))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return 512, 512
    if data.startswith(b"\xff\xd8\xff"):
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            (seg_len,) = struct.unpack(">H", data[i + 2 : i + 4])
            i += 2 + int(seg_len)
        return 800, 600
    return None


@dataclass
class _StoredFile:
    file_id: str
    unique_id: str
    data: bytes
    filename: str | None
    mime_type: str
    path: str


# --------------------------------------------------------------------------- users


Match = str | Callable[[SentMessage], bool]


def _matches(message: SentMessage, match: Match) -> bool:
    if isinstance(match, str):
        return any(match in t for t in (message.text, message.plain_text) if t)
    return bool(match(message))


class FakeUser:
    """A Telegram user chatting with the bot in a private chat (chat id == user id).

    Obtain one with ``server.user(...)``.  Actions enqueue real-shaped Updates
    that the bot receives with getUpdates (or on its webhook).
    """

    def __init__(
        self,
        server: FakeBotAPI,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self.server = server
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self._cursor = 0

    @property
    def chat_id(self) -> int:
        return self.id

    def __repr__(self) -> str:
        return f"FakeUser(id={self.id}, first_name={self.first_name!r})"

    def as_json(self) -> dict[str, Any]:
        """The Telegram ``User`` object."""
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out

    def chat_json(self) -> dict[str, Any]:
        """The Telegram ``Chat`` object of the private chat."""
        out: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        return out

    # ---- actions

    def send(self, text: str, *, reply_to: int | None = None) -> UserAction:
        """A text message; a leading ``/command`` gets a bot_command entity."""
        extra: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return self.server._user_message(self, self.chat_json(), extra, reply_to=reply_to)

    def send_sticker(self, emoji: str = "👍") -> UserAction:
        sticker = {
            "file_id": self.server._new_file(b"RIFF\0\0\0\0WEBP", "sticker.webp", "image/webp"),
            "file_unique_id": f"AgAD{self.server._next_seq()}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.server._user_message(self, self.chat_json(), {"sticker": sticker})

    def send_photo(self, data: bytes = TINY_PNG, caption: str | None = None) -> UserAction:
        file_id = self.server._new_file(data, "photo.png", "image/png")
        width, height = _image_size(data) or (1, 1)
        photo = [
            {
                "file_id": file_id,
                "file_unique_id": f"AQAD{self.server._next_seq()}",
                "width": width,
                "height": height,
                "file_size": len(data),
            }
        ]
        extra: dict[str, Any] = {"photo": photo}
        if caption is not None:
            extra["caption"] = caption
        return self.server._user_message(self, self.chat_json(), extra)

    def send_voice(self, duration: int = 3, data: bytes = b"OggS\0fake-voice") -> UserAction:
        voice = {
            "file_id": self.server._new_file(data, "voice.ogg", "audio/ogg"),
            "file_unique_id": f"AwAD{self.server._next_seq()}",
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": len(data),
        }
        return self.server._user_message(self, self.chat_json(), {"voice": voice})

    def send_document(
        self, data: bytes, filename: str = "file.txt", mime_type: str = "text/plain"
    ) -> UserAction:
        document = {
            "file_id": self.server._new_file(data, filename, mime_type),
            "file_unique_id": f"BQAD{self.server._next_seq()}",
            "file_name": filename,
            "mime_type": mime_type,
            "file_size": len(data),
        }
        return self.server._user_message(self, self.chat_json(), {"document": document})

    def send_location(self, latitude: float, longitude: float) -> UserAction:
        location = {"latitude": latitude, "longitude": longitude}
        return self.server._user_message(self, self.chat_json(), {"location": location})

    def send_contact(
        self, phone_number: str = "+447700900123", first_name: str | None = None
    ) -> UserAction:
        """The user's own contact unless ``first_name`` names someone else."""
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
        }
        if first_name is None:
            contact["user_id"] = self.id
        return self.server._user_message(self, self.chat_json(), {"contact": contact})

    def edit(self, message_id: int, new_text: str) -> UserAction:
        """An ``edited_message`` update for one of this user's earlier messages."""
        return self.server._user_edit(self, message_id, new_text)

    def send_in_group(
        self, text: str, group_id: int = -1001234567890, title: str = "Repairs team"
    ) -> UserAction:
        """A message from this user in a group (registered on first use)."""
        chat = self.server.group(group_id, title)
        extra: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0]
            extra["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return self.server._user_message(self, chat, extra)

    def press(self, button: str, message: SentMessage | int | None = None) -> UserAction:
        """Press an inline button by its text (or callback_data).

        Looks in ``message`` (a SentMessage or message id) or else in the latest
        bot message to this chat that has such a button; raises AssertionError
        when there is none or it is not a callback button.
        """
        message_id = message.message_id if isinstance(message, SentMessage) else message
        return self.server._press(self, button, message_id)

    def press_data(self, data: str, message_id: int) -> UserAction:
        """A callback_query with any (forged) ``data`` on ``message_id``."""
        return self.server._callback(self, data, message_id)

    def block(self, notify: bool = True) -> None:
        """Block the bot (sends then answer 403); ``notify`` sends a my_chat_member update."""
        self.server.block(self.id, notify=notify)

    def unblock(self, notify: bool = True) -> None:
        self.server.unblock(self.id, notify=notify)

    # ---- transcript

    def messages(self) -> list[SentMessage]:
        """Snapshots of the bot's messages to this chat, oldest first (current content)."""
        return self.server.messages(self.id)

    def last(self) -> SentMessage:
        """The bot's latest message to this chat; AssertionError if there is none."""
        msgs = self.messages()
        if not msgs:
            raise AssertionError(f"the bot sent nothing to {self!r}")
        return msgs[-1]

    def mark(self) -> None:
        """Make wait_for ignore everything that arrived so far."""
        self._cursor = self.server._event_count(self.id)

    def callback_answers(self) -> list[CallbackAnswer]:
        """The bot's answers to this user's button presses."""
        return [a for a in self.server.callback_answer_records if a.user_id == self.id]

    def wait_for_sync(self, match: Match, timeout: float = 5.0) -> SentMessage:
        """Block until a bot message (new or edited) matching ``match`` arrives.

        ``match`` is a substring of the text/caption (raw or as displayed) or a
        predicate on SentMessage.  Arrivals are consumed in order like
        ``expect``: the search starts after the previous match (or ``mark()``).
        Returns a snapshot of the message as it was on arrival; raises
        AssertionError listing what arrived if nothing matched in time.
        """
        deadline = time.monotonic() + timeout
        with self.server._cond:
            while True:
                found = self._scan(match)
                if found is not None:
                    return found
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise self._timeout_error(match, timeout)
                self.server._cond.wait(remaining)

    async def wait_for(self, match: Match, timeout: float = 5.0) -> SentMessage:
        """The asyncio twin of ``wait_for_sync`` (polls without blocking the loop)."""
        deadline = time.monotonic() + timeout
        while True:
            with self.server._lock:
                found = self._scan(match)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                with self.server._lock:
                    raise self._timeout_error(match, timeout)
            await asyncio.sleep(0.005)

    def _scan(self, match: Match) -> SentMessage | None:
        events = self.server._events.get(self.id, [])
        for index in range(self._cursor, len(events)):
            if _matches(events[index], match):
                self._cursor = index + 1
                return events[index]
        return None

    def _timeout_error(self, match: Match, timeout: float) -> AssertionError:
        events = self.server._events.get(self.id, [])
        shown = match if isinstance(match, str) else getattr(match, "__name__", repr(match))
        lines = [f"  {e.summary()}" for e in events[self._cursor :]] or ["  (nothing)"]
        earlier = len(events[: self._cursor])
        return AssertionError(
            f"no bot message matching {shown!r} for {self!r} within {timeout} s; "
            f"arrived since the last match ({earlier} earlier skipped):\n" + "\n".join(lines)
        )


# --------------------------------------------------------------------------- server


_METHOD_NAMES: Final = (
    "getMe",
    "getUpdates",
    "deleteWebhook",
    "setWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "sendMessage",
    "editMessageText",
    "editMessageCaption",
    "editMessageReplyMarkup",
    "answerCallbackQuery",
    "sendPhoto",
    "sendDocument",
    "sendChatAction",
    "deleteMessage",
    "setChatMenuButton",
    "getChatMenuButton",
    "getChat",
    "getFile",
    "setMyDescription",
    "getMyDescription",
    "setMyShortDescription",
    "getMyShortDescription",
    "setMyName",
    "getMyName",
    "close",
    "logOut",
)
_CANONICAL: Final = {name.lower(): name for name in _METHOD_NAMES}

_Handler = Callable[[str, dict[str, Any]], Any]


class FakeBotAPI:
    """The fake Bot API server.  Thread-safe; start it, or use it as a context manager.

    Args:
        token: the token tests usually give the bot (any ``^\\d+:[A-Za-z0-9_-]+$`` works).
        bot_username / bot_first_name: what getMe answers.
        strict_html: reject a bare ``&`` in HTML text (Telegram itself keeps it).
        max_calls: how many recent calls ``calls`` keeps.
        webhook_chat_order: post each chat's updates to the webhook one at a time, in
            order (the next once the last was answered 2xx), still up to
            ``max_connections`` chats at once. Off, two updates from one person may be
            posted at the same moment.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        bot_username: str = "doorstep_coach_bot",
        bot_first_name: str = "Doorstep Coach",
        host: str = "127.0.0.1",
        port: int = 0,
        strict_html: bool = True,
        max_calls: int = 200_000,
        webhook_chat_order: bool = False,
    ) -> None:
        if not TOKEN_RE.match(token):
            raise ValueError(f"not a bot token: {token!r}")
        self.token = token
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.strict_html = strict_html
        self.webhook_chat_order = webhook_chat_order
        self._host = host
        self._requested_port = port
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()
        self._seq = itertools.count(1)
        self._next_update_id = 100_001
        self._updates: deque[dict[str, Any]] = deque()
        self._poll_generation = 0
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, FakeUser] = {}
        self._blocked: set[int] = set()
        self._refused_tokens: set[str] = set()
        self._deactivated: set[int] = set()
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[int, dict[int, SentMessage]] = {}
        self._user_messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._events: dict[int, list[SentMessage]] = {}
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._pending_queries: dict[str, tuple[int, str | None]] = {}
        self._answers: list[CallbackAnswer] = []
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}
        self._bot_texts: dict[tuple[str, str], str] = {}
        self._webhook: dict[str, Any] | None = None
        self._webhook_error: tuple[int, str] | None = None
        self._webhook_threads: list[threading.Thread] = []
        #: Update ids being posted to the webhook now; when a failed one may go again.
        self._webhook_posting: set[int] = set()
        self._webhook_retry_at: dict[int, float] = {}
        self._webhook_posts: Counter[int] = Counter()
        self._webhook_lost_rate = 0.0
        self._webhook_random: random.Random | None = None
        self._rate_global: float | None = None
        self._rate_chat: float | None = None
        self._window_global: deque[float] = deque()
        self._window_chat: dict[int, deque[float]] = {}
        self._faults_by_method: dict[str, deque[Fault]] = {}
        self._faults_by_chat: dict[int, deque[tuple[str | None, Fault]]] = {}
        self._chaos: _Chaos | None = None
        self._outage: Literal["502", "drop"] | None = None
        self._calls: deque[Call] = deque(maxlen=max_calls)
        self._sent_by_chat: dict[int, list[float]] = {}
        self._n_requests = 0
        self._by_method: Counter[str] = Counter()
        self._by_status: Counter[int] = Counter()
        self._n_429 = 0
        self._n_rate_limited = 0
        self._n_faults = 0
        #: Tracebacks of exceptions inside the fake itself (answered with HTTP 500).
        self.internal_errors: deque[str] = deque(maxlen=100)
        self._handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendChatAction": self._send_chat_action,
            "deleteMessage": self._delete_message,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "getChat": self._get_chat,
            "getFile": self._get_file,
            "setMyDescription": self._set_bot_text("description"),
            "getMyDescription": self._get_bot_text("description"),
            "setMyShortDescription": self._set_bot_text("short_description"),
            "getMyShortDescription": self._get_bot_text("short_description"),
            "setMyName": self._set_bot_text("name"),
            "getMyName": self._get_bot_text("name"),
            "close": lambda _token, _params: True,
            "logOut": lambda _token, _params: True,
        }

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeBotAPI:
        """Bind ``host`` on a free port and serve in a daemon thread."""
        if self._httpd is not None:
            raise RuntimeError("FakeBotAPI is already running")
        self._stopping.clear()
        httpd = _HTTPServer((self._host, self._requested_port), _RequestHandler)
        httpd.api = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name=f"fake-bot-api:{self.port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: wakes long polls and closes open connections."""
        httpd = self._httpd
        if httpd is None:
            return
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        for thread in (self._thread, *self._webhook_threads):
            if thread is not None:
                thread.join(timeout=5)
        self._httpd = None
        self._thread = None
        self._webhook_threads = []

    def __enter__(self) -> FakeBotAPI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeBotAPI is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``"""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT/bot``: PTB's ``base_url`` / ``TELEGRAM_API_URL``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """``http://127.0.0.1:PORT/file/bot``: PTB's ``base_file_url``."""
        return f"{self.url}/file/bot"

    @property
    def bot_id(self) -> int:
        return int(self.token.split(":", 1)[0])

    # ---------------------------------------------------------------- users and chats

    def user(
        self,
        user_id: int,
        first_name: str = "Sam",
        username: str | None = None,
        language_code: str | None = "en-GB",
        last_name: str | None = None,
    ) -> FakeUser:
        """The user with ``user_id`` (created, with a private chat, on first call)."""
        with self._lock:
            existing = self._users.get(user_id)
            if existing is not None:
                return existing
            u = FakeUser(self, user_id, first_name, last_name, username, language_code)
            self._users[user_id] = u
            self._chats[user_id] = u.chat_json()
            return u

    def group(self, chat_id: int, title: str = "Repairs team") -> dict[str, Any]:
        """Register a group (``-100…`` ids are supergroups); returns its Chat object."""
        with self._lock:
            chat = self._chats.get(chat_id)
            if chat is None:
                kind = "supergroup" if chat_id <= -1_000_000_000_000 else "group"
                chat = {"id": chat_id, "type": kind, "title": title}
                self._chats[chat_id] = chat
            return chat

    def refuse_token(self, token: str) -> None:
        """Answer every call made with ``token`` 401 Unauthorized, as Telegram does for a
        token that was revoked or never existed (it still has the right shape)."""
        with self._lock:
            self._refused_tokens.add(token)

    def block(self, user_id: int, *, notify: bool = False) -> None:
        """The user blocks the bot: sends to them answer 403."""
        with self._lock:
            self._blocked.add(user_id)
            if notify:
                self._member_update(user_id, "member", "kicked")

    def unblock(self, user_id: int, *, notify: bool = False) -> None:
        with self._lock:
            self._blocked.discard(user_id)
            if notify:
                self._member_update(user_id, "kicked", "member")

    def deactivate(self, user_id: int) -> None:
        """The user's account is deleted: sends answer 403 ``user is deactivated``."""
        with self._lock:
            self._deactivated.add(user_id)

    def enqueue_update(self, update: Mapping[str, Any]) -> int:
        """Queue any raw update (its ``update_id`` is assigned); returns the id."""
        with self._cond:
            body = {k: v for k, v in update.items() if k != "update_id"}
            return self._enqueue(body)

    # ---------------------------------------------------------------- configuration

    def set_rate_limits(
        self, global_per_second: float | None = None, per_chat_per_second: float | None = None
    ) -> None:
        """Enable sliding-window rate limits (None disables); Telegram's are ~30 and 1."""
        with self._lock:
            self._rate_global = global_per_second
            self._rate_chat = per_chat_per_second
            self._window_global.clear()
            self._window_chat.clear()

    def inject(self, method: str, *faults: Fault) -> None:
        """Queue faults served, in order, to the next calls of ``method`` (any chat)."""
        canonical = _CANONICAL.get(method.lower())
        if canonical is None:
            raise ValueError(f"unknown Bot API method: {method}")
        with self._lock:
            self._faults_by_method.setdefault(canonical, deque()).extend(faults)

    def inject_for_chat(self, chat_id: int, *faults: Fault, method: str | None = None) -> None:
        """Queue faults for the next calls aimed at ``chat_id``.

        They hit ``method`` only, or with ``method=None`` any of MESSAGE_METHODS.
        Chat faults are served before method faults.
        """
        canonical = None if method is None else _CANONICAL.get(method.lower())
        if method is not None and canonical is None:
            raise ValueError(f"unknown Bot API method: {method}")
        with self._lock:
            queue = self._faults_by_chat.setdefault(chat_id, deque())
            queue.extend((canonical, f) for f in faults)

    def clear_faults(self) -> None:
        """Forget queued faults, random faults and any outage."""
        with self._lock:
            self._faults_by_method.clear()
            self._faults_by_chat.clear()
            self._chaos = None
            self._outage = None

    def set_chaos(
        self,
        *,
        error_rate: float = 0.0,
        lost_answer_rate: float = 0.0,
        codes: tuple[int, ...] = (500, 502),
        methods: frozenset[str] = MESSAGE_METHODS,
        seed: int | None = None,
    ) -> None:
        """Random faults for calls to ``methods``, after any queued ones.

        ``error_rate`` of them get one of ``codes`` (nothing done); ``lost_answer_rate`` are
        done but answered by a closed socket, as when Telegram's answer is lost on the way.
        All zero switches it off.
        """
        with self._lock:
            if not error_rate and not lost_answer_rate:
                self._chaos = None
                return
            self._chaos = _Chaos(error_rate, lost_answer_rate, codes, methods, random.Random(seed))

    def start_outage(self, kind: Literal["502", "drop"] = "502") -> None:
        """Every call, whatever the method, fails until :meth:`end_outage`: answered
        502 Bad Gateway (Telegram's front end without its back end), or with ``"drop"``
        the socket closed without an answer. Nothing is done."""
        with self._lock:
            self._outage = kind

    def end_outage(self) -> None:
        with self._lock:
            self._outage = None

    def set_webhook_faults(self, *, lost_answer_rate: float, seed: int | None = None) -> None:
        """Of the webhook posts the bot answers 2xx, ``lost_answer_rate`` count as not
        answered (as when the answer comes too late or the connection breaks), so the
        update is posted again, as Telegram does. Zero switches it off."""
        with self._lock:
            self._webhook_lost_rate = lost_answer_rate
            self._webhook_random = random.Random(seed) if lost_answer_rate else None

    @property
    def webhook_posts(self) -> Counter[int]:
        """How many times each update id has been posted to the webhook so far."""
        with self._lock:
            return Counter(self._webhook_posts)

    @property
    def outage(self) -> bool:
        with self._lock:
            return self._outage is not None

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return sum(len(q) for q in self._faults_by_method.values()) + sum(
                len(q) for q in self._faults_by_chat.values()
            )

    # ---------------------------------------------------------------- inspection

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        wanted = _CANONICAL.get(method.lower(), method)
        with self._lock:
            return [c for c in self._calls if c.method == wanted]

    def messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """Snapshots of the bot's messages to ``chat_id`` (all chats if None), in order."""
        with self._lock:
            if chat_id is not None:
                found = list(self._messages.get(chat_id, {}).values())
            else:
                found = sorted(
                    (m for msgs in self._messages.values() for m in msgs.values()),
                    key=lambda m: m.time,
                )
            return [_snapshot(m) for m in found]

    @property
    def request_count(self) -> int:
        """How many API calls the server has answered (since the last ``reset_stats``)."""
        with self._lock:
            return self._n_requests

    def calls_since(self, count: int) -> list[Call]:
        """The calls answered after the first ``count`` (a ``request_count`` taken earlier)."""
        with self._lock:
            newer = min(self._n_requests - count, len(self._calls))
            return list(self._calls)[-newer:] if newer > 0 else []

    def event_count(self, chat_id: int) -> int:
        """How many times the bot sent or edited a message in ``chat_id`` so far."""
        return self._event_count(chat_id)

    @property
    def callback_answers(self) -> list[str]:
        """Texts of accepted answerCallbackQuery calls ("" when no text)."""
        with self._lock:
            return [a.text or "" for a in self._answers]

    @property
    def callback_answer_records(self) -> list[CallbackAnswer]:
        with self._lock:
            return list(self._answers)

    @property
    def unanswered_callback_queries(self) -> list[str]:
        with self._lock:
            return list(self._pending_queries)

    @property
    def commands(self) -> list[tuple[str, str]]:
        """What setMyCommands set for the default scope and no language."""
        return self.commands_for()

    def commands_for(
        self, scope: Mapping[str, Any] | None = None, language_code: str = ""
    ) -> list[tuple[str, str]]:
        with self._lock:
            found = self._commands.get((_scope_key(scope), language_code), [])
            return [(c["command"], c["description"]) for c in found]

    @property
    def menu_buttons(self) -> dict[int | None, dict[str, Any]]:
        with self._lock:
            return dict(self._menu_buttons)

    @property
    def pending_updates(self) -> int:
        with self._lock:
            return len(self._updates)

    @property
    def get_updates_calls(self) -> int:
        """How many getUpdates calls have started: a test can wait for a long poll to be
        in place rather than guess how long that takes."""
        with self._lock:
            return self._poll_generation

    @property
    def stats(self) -> Stats:
        with self._lock:
            return Stats(
                requests=self._n_requests,
                by_method=dict(self._by_method),
                by_status=dict(self._by_status),
                sent_by_chat={k: list(v) for k, v in self._sent_by_chat.items()},
                too_many_requests=self._n_429,
                rate_limited=self._n_rate_limited,
                faults_served=self._n_faults,
            )

    def reset_stats(self) -> None:
        """Forget calls and counters (not messages, chats or updates)."""
        with self._lock:
            self._calls.clear()
            self._sent_by_chat.clear()
            self._n_requests = self._n_429 = self._n_rate_limited = self._n_faults = 0
            self._by_method.clear()
            self._by_status.clear()

    def file_bytes(self, file_id: str) -> bytes:
        with self._lock:
            return self._files[file_id].data

    # ---------------------------------------------------------------- request entry

    def _serve(
        self, token: str, method_name: str, params: dict[str, Any]
    ) -> tuple[int, bytes | None]:
        """Answer one API call: (HTTP status, JSON body), body None = drop the connection."""
        canonical = _CANONICAL.get(method_name.lower())
        with self._lock:
            refused = token in self._refused_tokens
        if refused or not TOKEN_RE.match(token):
            error = ApiError(401, "Unauthorized")
            return self._finish(canonical or method_name, params, error.code, error.payload())
        if canonical is None:
            error = ApiError(404, "Not Found")
            return self._finish(method_name, params, error.code, error.payload())
        fault = self._take_fault(canonical, params)
        if fault is not None:
            if fault.kind == "drop":
                return self._finish(canonical, params, 0, None)
            if fault.kind == "error":
                error = ApiError(fault.code, fault.description, fault.retry_after)
                return self._finish(canonical, params, error.code, error.payload())
            self._stopping.wait(fault.seconds)
        handler = self._handlers[canonical]
        try:
            with self._lock:
                result = handler(token, params)
        except ApiError as error:
            return self._finish(canonical, params, error.code, error.payload())
        except Exception as exc:  # a bug in this fake: answer 500 and keep the traceback
            with self._lock:
                self.internal_errors.append(traceback.format_exc())
            bug = ApiError(500, f"Internal Server Error: fake Bot API bug: {exc!r}")
            return self._finish(canonical, params, bug.code, bug.payload())
        if fault is not None and fault.kind == "lost":
            return self._finish(canonical, params, 0, None)
        return self._finish(canonical, params, 200, {"ok": True, "result": result})

    def _finish(
        self, method: str, params: dict[str, Any], status: int, payload: dict[str, Any] | None
    ) -> tuple[int, bytes | None]:
        body = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        with self._lock:
            self._calls.append(Call(method, params, time.monotonic(), status))
            self._n_requests += 1
            self._by_method[method] += 1
            self._by_status[status] += 1
            if status == 429:
                self._n_429 += 1
        return status, body

    def _take_fault(self, method: str, params: Mapping[str, Any]) -> Fault | None:
        with self._lock:
            if self._outage is not None:
                self._n_faults += 1
                return Fault.drop_connection() if self._outage == "drop" else Fault.status(502)
            if not self._faults_by_method and not self._faults_by_chat:
                return self._chaos_fault(method)
            fault: Fault | None = None
            chat_id: int | None = None
            with contextlib.suppress(ApiError):
                chat_id = _get_int(params, "chat_id")
            queue = self._faults_by_chat.get(chat_id) if chat_id is not None else None
            if queue:
                for index, (wanted, candidate) in enumerate(queue):
                    if wanted == method or (wanted is None and method in MESSAGE_METHODS):
                        fault = candidate
                        del queue[index]
                        break
            if fault is None:
                method_queue = self._faults_by_method.get(method)
                if method_queue:
                    fault = method_queue.popleft()
            if fault is not None:
                self._n_faults += 1
                return fault
            return self._chaos_fault(method)

    def _chaos_fault(self, method: str) -> Fault | None:
        chaos = self._chaos
        if chaos is None or method not in chaos.methods:
            return None
        draw = chaos.random.random()
        fault = None
        if draw < chaos.error_rate:
            fault = Fault.status(chaos.random.choice(chaos.codes))
        elif draw < chaos.error_rate + chaos.lost_answer_rate:
            fault = Fault.lose_answer()
        if fault is not None:
            self._n_faults += 1
        return fault

    def _file_download(self, token: str, path: str) -> tuple[int, bytes, str]:
        if not TOKEN_RE.match(token):
            return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}', "json"
        with self._lock:
            stored = self._files_by_path.get(path)
        if stored is None:
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}', "json"
        return 200, stored.data, stored.mime_type

    # ---------------------------------------------------------------- helpers (lock held)

    def _next_seq(self) -> int:
        return next(self._seq)

    def _enqueue(self, body: dict[str, Any]) -> int:
        with self._cond:
            update_id = self._next_update_id
            self._next_update_id += 1
            self._updates.append({"update_id": update_id, **body})
            self._cond.notify_all()
            return update_id

    def _bot_user(self, bot_id: int) -> dict[str, Any]:
        return {
            "id": bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _new_message_id(self, chat_id: int) -> int:
        mid = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = mid + 1
        return mid

    def _new_file(self, data: bytes, filename: str | None, mime_type: str) -> str:
        with self._lock:
            n = self._next_seq()
            file_id = f"BQACAgQAAxk{n:08d}fake"
            ext = ""
            if filename and "." in filename:
                ext = filename.rsplit(".", 1)[1]
            path = f"files/file_{n}.{ext or 'bin'}"
            stored = _StoredFile(file_id, f"AgAD{n}", data, filename, mime_type, path)
            self._files[file_id] = stored
            self._files_by_path[path] = stored
            return file_id

    def _member_update(self, user_id: int, old: str, new: str) -> None:
        u = self._users.get(user_id)
        if u is None:
            return
        bot = self._bot_user(self.bot_id)
        old_member: dict[str, Any] = {"user": bot, "status": old}
        new_member: dict[str, Any] = {"user": bot, "status": new}
        for member in (old_member, new_member):
            if member["status"] == "kicked":
                member["until_date"] = 0
        self._enqueue(
            {
                "my_chat_member": {
                    "chat": u.chat_json(),
                    "from": u.as_json(),
                    "date": int(time.time()),
                    "old_chat_member": old_member,
                    "new_chat_member": new_member,
                }
            }
        )

    def _user_message(
        self,
        user: FakeUser,
        chat: dict[str, Any],
        extra: dict[str, Any],
        *,
        reply_to: int | None = None,
    ) -> UserAction:
        with self._cond:
            chat_id = int(chat["id"])
            self._chats.setdefault(chat_id, chat)
            mid = self._new_message_id(chat_id)
            message: dict[str, Any] = {
                "message_id": mid,
                "from": user.as_json(),
                "chat": chat,
                "date": int(time.time()),
                **extra,
            }
            if reply_to is not None:
                replied = self._message_json_by_id(chat_id, reply_to)
                if replied is not None:
                    message["reply_to_message"] = replied
            self._user_messages.setdefault(chat_id, {})[mid] = message
            update_id = self._enqueue({"message": message})
            return UserAction(update_id, self._updates[-1], message_id=mid)

    def _user_edit(self, user: FakeUser, message_id: int, new_text: str) -> UserAction:
        with self._cond:
            original = self._user_messages.get(user.id, {}).get(message_id)
            if original is None or "text" not in original:
                raise AssertionError(f"{user!r} has no text message #{message_id} to edit")
            edited = dict(original)
            edited["text"] = new_text
            edited["edit_date"] = int(time.time())
            edited.pop("entities", None)
            if new_text.startswith("/"):
                command = new_text.split(maxsplit=1)[0]
                edited["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
                ]
            self._user_messages[user.id][message_id] = edited
            update_id = self._enqueue({"edited_message": edited})
            return UserAction(update_id, self._updates[-1], message_id=message_id)

    def _message_json_by_id(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        bot_message = self._messages.get(chat_id, {}).get(message_id)
        if bot_message is not None and not bot_message.deleted:
            return self._message_json(bot_message)
        return self._user_messages.get(chat_id, {}).get(message_id)

    def _press(self, user: FakeUser, button: str, message_id: int | None) -> UserAction:
        with self._cond:
            msgs = self._messages.get(user.id, {})
            if message_id is not None:
                if message_id not in msgs:
                    raise AssertionError(f"the bot sent no message #{message_id} to {user!r}")
                candidates = [msgs[message_id]]
            else:
                candidates = list(reversed(msgs.values()))
            for m in candidates:
                if m.deleted or m.reply_markup is None or "inline_keyboard" not in m.reply_markup:
                    continue
                rows = m.reply_markup["inline_keyboard"]
                flat = [b for row in rows for b in row]
                hit = next((b for b in flat if b.get("text") == button), None) or next(
                    (b for b in flat if b.get("callback_data") == button), None
                )
                if hit is None:
                    continue
                data = hit.get("callback_data")
                if not isinstance(data, str):
                    kinds = [k for k in BUTTON_ACTIONS if k in hit]
                    raise AssertionError(
                        f"button {button!r} in message #{m.message_id} is not a callback button "
                        f"({', '.join(kinds)}); it cannot be pressed"
                    )
                return self._callback(user, data, m.message_id)
            seen = [
                f"  #{m.message_id}: {[[b.text for b in r] for r in m.buttons]}"
                for m in candidates
                if m.buttons and not m.deleted
            ][:8]
            raise AssertionError(
                f"no inline button {button!r} in the bot's messages to {user!r}; buttons seen:\n"
                + ("\n".join(seen) or "  (none)")
            )

    def _callback(self, user: FakeUser, data: str, message_id: int) -> UserAction:
        with self._cond:
            bot_message = self._messages.get(user.id, {}).get(message_id)
            if bot_message is not None and not bot_message.deleted:
                message = self._message_json(bot_message)
            else:  # PTB turns date 0 into an InaccessibleMessage
                message = {"chat": user.chat_json(), "message_id": message_id, "date": 0}
            query_id = str(4_000_000_000_000_000_000 + self._next_seq())
            self._pending_queries[query_id] = (user.id, data)
            query = {
                "id": query_id,
                "from": user.as_json(),
                "message": message,
                "chat_instance": str(-7_000_000_000_000_000_000 + user.id),
                "data": data,
            }
            update_id = self._enqueue({"callback_query": query})
            return UserAction(
                update_id, self._updates[-1], message_id=message_id, callback_query_id=query_id
            )

    def _event_count(self, chat_id: int) -> int:
        with self._lock:
            return len(self._events.get(chat_id, []))

    def _record_event(self, m: SentMessage) -> None:
        self._events.setdefault(m.chat_id, []).append(_snapshot(m))
        self._cond.notify_all()

    def _resolve_chat(self, params: Mapping[str, Any], *, check_blocked: bool = True) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        if isinstance(raw, str) and raw.startswith("@"):
            name = raw[1:].lower()
            found = [
                cid
                for cid, chat in self._chats.items()
                if str(chat.get("username", "")).lower() == name
            ]
            if not found:
                raise _bad("chat not found")
            chat_id = found[0]
        else:
            try:
                chat_id = _get_int(params, "chat_id") or 0
            except ApiError:
                raise _bad("chat not found") from None
        if chat_id not in self._chats:
            raise _bad("chat not found")
        if check_blocked:
            if chat_id in self._deactivated:
                raise ApiError(403, "Forbidden: user is deactivated")
            if chat_id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _rate_check(self, chat_id: int) -> None:
        now = time.monotonic()
        waits: list[float] = []
        if self._rate_global:
            waits.append(_window_wait(self._window_global, self._rate_global, now))
        if self._rate_chat:
            window = self._window_chat.setdefault(chat_id, deque())
            waits.append(_window_wait(window, self._rate_chat, now))
        wait = max(waits, default=0.0)
        if wait > 0:
            self._n_rate_limited += 1
            n = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {n}", retry_after=n)
        if self._rate_global:
            self._window_global.append(now)
        if self._rate_chat:
            self._window_chat[chat_id].append(now)

    def _check_reply(self, chat_id: int, params: Mapping[str, Any]) -> None:
        reply = _get_json(params, "reply_parameters")
        target: int | None = None
        allow = _get_bool(params, "allow_sending_without_reply")
        if isinstance(reply, dict):
            value = reply.get("message_id")
            target = value if isinstance(value, int) else None
            allow = allow or bool(reply.get("allow_sending_without_reply"))
        elif params.get("reply_to_message_id") not in (None, ""):
            target = _get_int(params, "reply_to_message_id")
        if target is None or allow:
            return
        if self._message_json_by_id(chat_id, target) is None:
            raise _bad("message to be replied not found")

    def _parse(
        self, params: Mapping[str, Any], text_field: str
    ) -> tuple[str, str | None, ParsedText]:
        text = _get_str(params, text_field) or ""
        parse_mode = _get_str(params, "parse_mode") or None
        entities_field = "entities" if text_field == "text" else "caption_entities"
        entities = _get_json(params, entities_field)
        if entities is not None and not isinstance(entities, list):
            raise _bad(f"can't parse {entities_field} JSON object")
        parsed = parse_text(text, parse_mode, entities, strict_html=self.strict_html)
        return text, parse_mode, parsed

    def _store(
        self,
        token: str,
        chat_id: int,
        method: str,
        text: str | None,
        parse_mode: str | None,
        parsed: ParsedText | None,
        markup: _Markup | None,
        params: dict[str, Any],
        **media: Any,
    ) -> SentMessage:
        now = time.monotonic()
        m = SentMessage(
            chat_id=chat_id,
            message_id=self._new_message_id(chat_id),
            method=method,
            text=text,
            plain_text=parsed.plain if parsed else None,
            parse_mode=parse_mode,
            buttons=markup.buttons if markup else [],
            reply_markup=markup.inline if markup else None,
            date=int(time.time()),
            time=now,
            bot_id=int(token.split(":", 1)[0]),
            original_text=text,
            entities=parsed.entities if parsed else [],
            reply_keyboard=markup.reply_keyboard if markup else None,
            params=params,
            **media,
        )
        self._messages.setdefault(chat_id, {})[m.message_id] = m
        self._sent_by_chat.setdefault(chat_id, []).append(now)
        self._record_event(m)
        return m

    def _message_json(self, m: SentMessage) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": m.message_id,
            "from": self._bot_user(m.bot_id),
            "chat": self._chats[m.chat_id],
            "date": m.date,
        }
        if m.method == "sendMessage":
            out["text"] = m.plain_text
            if m.entities:
                out["entities"] = m.entities
        else:
            if m.plain_text:
                out["caption"] = m.plain_text
                if m.entities:
                    out["caption_entities"] = m.entities
            stored = self._files.get(m.file_id) if m.file_id else None
            file_id = m.file_id or f"URL{m.message_id}"
            unique = stored.unique_id if stored else f"AgADurl{m.message_id}"
            size = len(stored.data) if stored else 0
            if m.method == "sendPhoto":
                width, height = _image_size(m.photo or b"") or (800, 600)
                out["photo"] = [
                    {
                        "file_id": file_id,
                        "file_unique_id": unique,
                        "width": width,
                        "height": height,
                        "file_size": size,
                    }
                ]
            else:
                document: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique}
                if m.filename:
                    document["file_name"] = m.filename
                if m.mime_type:
                    document["mime_type"] = m.mime_type
                document["file_size"] = size
                out["document"] = document
        if m.edits:
            out["edit_date"] = int(time.time())
        if m.reply_markup is not None:
            out["reply_markup"] = m.reply_markup
        return out

    def _find_editable(self, params: Mapping[str, Any]) -> SentMessage:
        if params.get("inline_message_id") not in (None, ""):
            raise _bad("MESSAGE_ID_INVALID")
        chat_id = self._resolve_chat(params)
        message_id = _get_int(params, "message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        m = self._messages.get(chat_id, {}).get(message_id)
        if m is None or m.deleted:
            if message_id in self._user_messages.get(chat_id, {}):
                raise _bad("message can't be edited")
            raise _bad("message to edit not found")
        return m

    def _apply_edit(
        self,
        m: SentMessage,
        method: str,
        markup: _Markup | None,
        text: str | None = None,
        parse_mode: str | None = None,
        parsed: ParsedText | None = None,
    ) -> None:
        new_inline = markup.inline if markup else None
        if parsed is not None:
            same = (parsed.plain, parsed.entities) == (m.plain_text, m.entities)
        else:
            same = True
        if same and new_inline == m.reply_markup:
            raise ApiError(400, NOT_MODIFIED)
        if method in MESSAGE_METHODS:
            self._rate_check(m.chat_id)
        if parsed is not None:
            m.text, m.parse_mode, m.plain_text, m.entities = (
                text,
                parse_mode,
                parsed.plain,
                parsed.entities,
            )
        if m.reply_markup is not None and new_inline is None:
            m.reply_markup_removed = True
        m.reply_markup = new_inline
        m.buttons = markup.buttons if markup else []
        m.edits.append(
            MessageEdit(
                method, time.monotonic(), m.text, m.parse_mode, [list(r) for r in m.buttons]
            )
        )
        self._record_event(m)

    # ---------------------------------------------------------------- methods

    def _get_me(self, token: str, params: dict[str, Any]) -> Any:
        return {
            **self._bot_user(int(token.split(":", 1)[0])),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, token: str, params: dict[str, Any]) -> Any:
        if self._webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        offset = _get_int(params, "offset")
        limit = min(100, max(1, _get_int(params, "limit") or 100))
        raw_timeout = _get_str(params, "timeout") or "0"
        try:
            timeout = max(0.0, float(raw_timeout))
        except ValueError:
            raise _bad('field "timeout" must be of type Integer') from None
        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()  # an older long poll answers 409
        if offset is not None and offset < 0:
            while len(self._updates) > -offset:
                self._updates.popleft()
        elif offset:
            while self._updates and self._updates[0]["update_id"] < offset:
                self._updates.popleft()
        deadline = time.monotonic() + timeout
        while True:
            if self._stopping.is_set():
                return []
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT_POLL)
            if self._updates:
                return list(itertools.islice(self._updates, limit))
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._cond.wait(remaining)

    def _delete_webhook(self, token: str, params: dict[str, Any]) -> Any:
        self._webhook = None
        self._webhook_error = None
        if _get_bool(params, "drop_pending_updates"):
            self._updates.clear()
        return True

    def _set_webhook(self, token: str, params: dict[str, Any]) -> Any:
        url = _get_str(params, "url") or ""
        if _get_bool(params, "drop_pending_updates"):
            self._updates.clear()
        if not url:
            self._webhook = None
            return True
        if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = _get_str(params, "secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
            raise _bad("secret token contains unallowed characters")
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "allowed_updates": _get_json(params, "allowed_updates"),
            "max_connections": _get_int(params, "max_connections") or 40,
        }
        self._webhook_error = None
        while len(self._webhook_threads) < min(self._webhook["max_connections"], 100):
            thread = threading.Thread(
                target=self._webhook_loop,
                daemon=True,
                name=f"fake-bot-api-webhook-{len(self._webhook_threads)}",
            )
            self._webhook_threads.append(thread)
            thread.start()
        self._cond.notify_all()
        return True

    def _get_webhook_info(self, token: str, params: dict[str, Any]) -> Any:
        hook = self._webhook
        info: dict[str, Any] = {
            "url": hook["url"] if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook:
            info["max_connections"] = hook["max_connections"]
            info["ip_address"] = "127.0.0.1"
            if hook["allowed_updates"]:
                info["allowed_updates"] = hook["allowed_updates"]
        if self._webhook_error:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    def _next_for_webhook(self) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """(hook, update): the oldest update not being posted and not waiting for a retry
        (with ``webhook_chat_order``, nor behind such an update from its chat), while
        fewer than the hook's ``max_connections`` posts are open. None once stopping.
        Called with the lock held."""
        while not self._stopping.is_set():
            hook = self._webhook
            if hook is not None and len(self._webhook_posting) < hook["max_connections"]:
                now = time.monotonic()
                # Chats with an earlier update still out or waiting (webhook_chat_order).
                waiting: set[int] = set()
                for update in self._updates:
                    update_id = update["update_id"]
                    chat = _update_chat(update) if self.webhook_chat_order else None
                    if chat is not None and chat in waiting:
                        continue
                    if (
                        update_id in self._webhook_posting
                        or self._webhook_retry_at.get(update_id, 0.0) > now
                    ):
                        if chat is not None:
                            waiting.add(chat)
                        continue
                    self._webhook_posting.add(update_id)
                    return dict(hook), update
            self._cond.wait(0.05 if self._webhook_retry_at else 0.5)
        return None

    def _webhook_loop(self) -> None:
        """One of the webhook's connections: post updates until the server stops.

        Like Telegram, up to ``max_connections`` posts are open at once, so two updates
        (from one person or not) may be posted at the same moment; an update is kept
        and posted again, after WEBHOOK_RETRY_AFTER, until it is answered with a 2xx."""
        poster = Poster(timeout=10.0)
        try:
            while True:
                with self._cond:
                    taken = self._next_for_webhook()
                if taken is None:
                    return
                hook, update = taken
                update_id = update["update_id"]
                headers = {"Content-Type": "application/json"}
                if hook["secret_token"]:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
                try:
                    body = json.dumps(update).encode()
                    status, reason, _ = poster.post(hook["url"], body, headers)
                    ok = 200 <= status < 300
                    error = f"Wrong response from the webhook: {status} {reason}"
                except (OSError, http.client.HTTPException) as exc:
                    ok, error = False, f"Connection failed: {type(exc).__name__}"
                with self._cond:
                    self._webhook_posting.discard(update_id)
                    self._webhook_posts[update_id] += 1
                    lost = ok and self._webhook_answer_lost()
                    if ok and not lost:
                        self._webhook_retry_at.pop(update_id, None)
                        with contextlib.suppress(ValueError):
                            self._updates.remove(update)
                    else:
                        if not ok:
                            self._webhook_error = (int(time.time()), error)
                        self._webhook_retry_at[update_id] = time.monotonic() + WEBHOOK_RETRY_AFTER
                    self._cond.notify_all()
        finally:
            poster.close()

    def _webhook_answer_lost(self) -> bool:
        """Whether this 2xx never reaches Telegram (lock held): see set_webhook_faults."""
        return self._webhook_random is not None and (
            self._webhook_random.random() < self._webhook_lost_rate
        )

    def _set_my_commands(self, token: str, params: dict[str, Any]) -> Any:
        commands = _get_json(params, "commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        clean: list[dict[str, str]] = []
        for item in commands:
            if not isinstance(item, dict):
                raise _bad("can't parse BotCommand: BotCommand must be an Object")
            command, description = item.get("command"), item.get("description")
            if not isinstance(command, str) or not re.fullmatch(r"[a-z0-9_]{1,32}", command):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            clean.append({"command": command, "description": description})
        key = (_scope_key(_get_json(params, "scope")), _get_str(params, "language_code") or "")
        if clean:
            self._commands[key] = clean
        else:
            self._commands.pop(key, None)
        return True

    def _get_my_commands(self, token: str, params: dict[str, Any]) -> Any:
        key = (_scope_key(_get_json(params, "scope")), _get_str(params, "language_code") or "")
        return [dict(c) for c in self._commands.get(key, [])]

    def _delete_my_commands(self, token: str, params: dict[str, Any]) -> Any:
        key = (_scope_key(_get_json(params, "scope")), _get_str(params, "language_code") or "")
        self._commands.pop(key, None)
        return True

    def _send_message(self, token: str, params: dict[str, Any]) -> Any:
        chat_id = self._resolve_chat(params)
        text, parse_mode, parsed = self._parse(params, "text")
        if not parsed.plain.strip():
            raise _bad("message text is empty")
        if utf16_len(parsed.plain) > TEXT_LIMIT:
            raise _bad("message is too long")
        markup = _parse_markup(params, inline_only=False)
        self._check_reply(chat_id, params)
        self._rate_check(chat_id)
        m = self._store(token, chat_id, "sendMessage", text, parse_mode, parsed, markup, params)
        return self._message_json(m)

    def _send_media(self, token: str, params: dict[str, Any], kind: str) -> Any:
        method = "sendPhoto" if kind == "photo" else "sendDocument"
        chat_id = self._resolve_chat(params)
        value = params.get(kind)
        media: dict[str, Any] = {}
        if isinstance(value, UploadedFile):
            if not value.data:
                raise _bad("file must be non-empty")
            if kind == "photo" and _image_size(value.data) is None:
                raise _bad("IMAGE_PROCESS_FAILED")
            mime = value.content_type
            if mime in ("", "application/octet-stream"):
                mime = mimetypes.guess_type(value.filename)[0] or "application/octet-stream"
            media = {"filename": value.filename, "mime_type": mime}
            media[kind] = value.data
            media["file_id"] = self._new_file(value.data, value.filename, mime)
        elif isinstance(value, str) and value:
            stored = self._files.get(value)
            if stored is not None:
                media = {"filename": stored.filename, "mime_type": stored.mime_type}
                media[kind] = stored.data
                media["file_id"] = stored.file_id
            elif urlsplit(value).scheme in ("http", "https"):
                media = {"media_url": value}
            else:
                raise _bad("wrong file identifier/HTTP URL specified")
        else:
            raise _bad(f"there is no {kind} in the request")
        text, parse_mode, parsed = self._parse(params, "caption")
        if utf16_len(parsed.plain) > CAPTION_LIMIT:
            raise _bad("message caption is too long")
        markup = _parse_markup(params, inline_only=False)
        self._check_reply(chat_id, params)
        self._rate_check(chat_id)
        m = self._store(
            token, chat_id, method, text or None, parse_mode, parsed, markup, params, **media
        )
        return self._message_json(m)

    def _send_photo(self, token: str, params: dict[str, Any]) -> Any:
        return self._send_media(token, params, "photo")

    def _send_document(self, token: str, params: dict[str, Any]) -> Any:
        return self._send_media(token, params, "document")

    def _edit_message_text(self, token: str, params: dict[str, Any]) -> Any:
        m = self._find_editable(params)
        if m.method != "sendMessage":
            raise _bad("there is no text in the message to edit")
        text, parse_mode, parsed = self._parse(params, "text")
        if not parsed.plain.strip():
            raise _bad("message text is empty")
        if utf16_len(parsed.plain) > TEXT_LIMIT:
            raise _bad("message is too long")
        markup = _parse_markup(params, inline_only=True)
        self._apply_edit(m, "editMessageText", markup, text, parse_mode, parsed)
        return self._message_json(m)

    def _edit_message_caption(self, token: str, params: dict[str, Any]) -> Any:
        m = self._find_editable(params)
        if m.method == "sendMessage":
            raise _bad("there is no caption in the message to edit")
        text, parse_mode, parsed = self._parse(params, "caption")
        if utf16_len(parsed.plain) > CAPTION_LIMIT:
            raise _bad("message caption is too long")
        markup = _parse_markup(params, inline_only=True)
        self._apply_edit(m, "editMessageCaption", markup, text or None, parse_mode, parsed)
        return self._message_json(m)

    def _edit_message_reply_markup(self, token: str, params: dict[str, Any]) -> Any:
        m = self._find_editable(params)
        markup = _parse_markup(params, inline_only=True)
        self._apply_edit(m, "editMessageReplyMarkup", markup)
        return self._message_json(m)

    def _answer_callback_query(self, token: str, params: dict[str, Any]) -> Any:
        query_id = _get_str(params, "callback_query_id") or ""
        pending = self._pending_queries.get(query_id)
        if pending is None:
            raise ApiError(400, QUERY_TOO_OLD)
        text = _get_str(params, "text")
        if text is not None and len(text) > CALLBACK_ANSWER_LIMIT:
            raise _bad("MESSAGE_TOO_LONG")
        del self._pending_queries[query_id]
        self._answers.append(
            CallbackAnswer(
                query_id=query_id,
                text=text,
                show_alert=_get_bool(params, "show_alert"),
                url=_get_str(params, "url"),
                user_id=pending[0],
                data=pending[1],
                time=time.monotonic(),
            )
        )
        return True

    def _send_chat_action(self, token: str, params: dict[str, Any]) -> Any:
        self._resolve_chat(params)
        if _get_str(params, "action") not in CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _delete_message(self, token: str, params: dict[str, Any]) -> Any:
        chat_id = self._resolve_chat(params, check_blocked=False)
        message_id = _get_int(params, "message_id")
        m = self._messages.get(chat_id, {}).get(message_id or 0)
        if m is not None and not m.deleted:
            m.deleted = True
            return True
        user_messages = self._user_messages.get(chat_id, {})
        if message_id is not None and message_id in user_messages:
            del user_messages[message_id]
            return True
        raise _bad("message to delete not found")

    def _set_chat_menu_button(self, token: str, params: dict[str, Any]) -> Any:
        chat_id = None
        if params.get("chat_id") not in (None, ""):
            chat_id = self._resolve_chat(params, check_blocked=False)
        button = _get_json(params, "menu_button", "can't parse menu button JSON object")
        if button is None:
            button = {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in (
            "default",
            "commands",
            "web_app",
        ):
            raise _bad("can't parse menu button JSON object")
        self._menu_buttons[chat_id] = button
        return True

    def _get_chat_menu_button(self, token: str, params: dict[str, Any]) -> Any:
        chat_id = None
        if params.get("chat_id") not in (None, ""):
            chat_id = self._resolve_chat(params, check_blocked=False)
        return (
            self._menu_buttons.get(chat_id) or self._menu_buttons.get(None) or {"type": "commands"}
        )

    def _get_chat(self, token: str, params: dict[str, Any]) -> Any:
        chat_id = self._resolve_chat(params, check_blocked=False)
        return {"accent_color_id": 0, "max_reaction_count": 11, **self._chats[chat_id]}

    def _get_file(self, token: str, params: dict[str, Any]) -> Any:
        stored = self._files.get(_get_str(params, "file_id") or "")
        if stored is None:
            raise _bad("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }

    def _set_bot_text(self, name: str) -> _Handler:
        def handler(token: str, params: dict[str, Any]) -> Any:
            key = (name, _get_str(params, "language_code") or "")
            self._bot_texts[key] = _get_str(params, name) or ""
            return True

        return handler

    def _get_bot_text(self, name: str) -> _Handler:
        def handler(token: str, params: dict[str, Any]) -> Any:
            key = (name, _get_str(params, "language_code") or "")
            return {name: self._bot_texts.get(key, self.bot_first_name if name == "name" else "")}

        return handler


# --------------------------------------------------------------------------- module helpers


def _snapshot(m: SentMessage) -> SentMessage:
    return dataclasses.replace(
        m,
        buttons=[list(row) for row in m.buttons],
        entities=list(m.entities),
        edits=list(m.edits),
        reply_keyboard=[list(row) for row in m.reply_keyboard] if m.reply_keyboard else None,
    )


def _scope_key(scope: Any) -> str:
    if not scope:
        return '{"type": "default"}'
    return json.dumps(scope, sort_keys=True)


def _window_wait(window: deque[float], rate: float, now: float) -> float:
    """Seconds until one more event fits in a sliding window allowing ``rate`` per second."""
    capacity = max(1, math.floor(rate))
    span = capacity / rate
    while window and now - window[0] >= span:
        window.popleft()
    if len(window) < capacity:
        return 0.0
    return window[-capacity] + span - now


# --------------------------------------------------------------------------- HTTP plumbing


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 512
    api: FakeBotAPI

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients vanish mid-request (drops, stop()); that is not worth a traceback."""


_API_PATH: Final = re.compile(r"^/bot([^/]*)/([^/]+)/?$")
_FILE_PATH: Final = re.compile(r"^/file/bot([^/]*)/(.+)$")


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    wbufsize = -1  # headers and body leave in one write
    server_version = "FakeBotAPI/1.0"

    @property
    def api(self) -> FakeBotAPI:
        return cast(_HTTPServer, self.server).api

    def setup(self) -> None:
        super().setup()
        with self.api._lock:
            self.api._connections.add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            with self.api._lock:
                self.api._connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: no output per request."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        path, _, query = self.path.partition("?")
        path = unquote(path)
        body = self._read_body()
        file_match = _FILE_PATH.match(path)
        if file_match:
            status, data, ctype = self.api._file_download(file_match[1], file_match[2])
            self._respond(status, data, "application/json" if ctype == "json" else ctype)
            return
        api_match = _API_PATH.match(path)
        if api_match is None:
            self._respond(404, b'{"ok":false,"error_code":404,"description":"Not Found"}')
            return
        try:
            params = _parse_params(self.headers.get("Content-Type", ""), body, query)
        except ApiError as error:
            self._respond(error.code, json.dumps(error.payload()).encode())
            return
        status, payload = self.api._serve(api_match[1], api_match[2], params)
        if payload is None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._respond(status, payload)

    def _respond(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
