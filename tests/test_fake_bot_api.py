"""Tests of the fake Bot API server itself (tests/fake_bot_api.py).

Most tests talk plain HTTP with httpx, the way any Bot API client would; the
last ones run the real python-telegram-bot ``Bot`` and ``Application``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from tests.fake_bot_api import (
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    TINY_PNG,
    Button,
    FakeBotAPI,
    Fault,
    SentMessage,
)

USER = 1001


@pytest.fixture
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as running:
        yield running


@pytest.fixture
def client(server: FakeBotAPI) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{server.base_url}{server.token}/", timeout=10) as c:
        yield c


def call(client: httpx.Client, method: str, **params: Any) -> tuple[int, dict[str, Any]]:
    """POST JSON params; returns (HTTP status, decoded body)."""
    response = client.post(method, json=params)
    body: dict[str, Any] = response.json()
    return response.status_code, body


def error(client: httpx.Client, method: str, **params: Any) -> tuple[int, str]:
    status, body = call(client, method, **params)
    assert body["ok"] is False
    assert body["error_code"] == status
    return status, body["description"]


def keyboard(*rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"inline_keyboard": list(rows)}


# --------------------------------------------------------------------------- basics


def test_get_me_token_and_unknown_method(server: FakeBotAPI, client: httpx.Client) -> None:
    status, body = call(client, "getMe")
    assert status == 200
    assert body["result"]["id"] == 123456789
    assert body["result"]["username"] == "doorstep_coach_bot"
    assert body["result"]["is_bot"] is True

    # Method names are case-insensitive, GET works too, any well-formed token is accepted.
    response = httpx.get(f"{server.base_url}42:other_Token-x/GETME")
    assert response.status_code == 200
    assert response.json()["result"]["id"] == 42

    bad = httpx.post(f"{server.base_url}not-a-token/getMe")
    assert bad.status_code == 401
    assert bad.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}

    status, body = call(client, "sendCarrierPigeon", chat_id=1)
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert [c.status for c in server.calls] == [200, 200, 401, 404]


def test_parameter_encodings(server: FakeBotAPI, client: httpx.Client) -> None:
    server.user(USER)
    markup = keyboard([{"text": "Go", "callback_data": "go"}])
    assert client.post("sendMessage", json={"chat_id": USER, "text": "json"}).status_code == 200
    form = {"chat_id": str(USER), "text": "form", "reply_markup": json.dumps(markup)}
    assert client.post("sendMessage", data=form).status_code == 200
    assert client.post("sendMessage", params={"chat_id": USER, "text": "query"}).status_code == 200
    multipart = client.post(
        "sendMessage",
        data={"chat_id": str(USER), "text": "multipart"},
        files={"unused": ("x.txt", b"x", "text/plain")},
    )
    assert multipart.status_code == 200
    sent = server.messages(USER)
    assert [m.text for m in sent] == ["json", "form", "query", "multipart"]
    assert sent[1].buttons == [[("Go", "go")]]
    assert [m.message_id for m in sent] == [1, 2, 3, 4]
    assert server.calls_to("SENDMESSAGE")[1].params["text"] == "form"


def test_simple_methods(server: FakeBotAPI, client: httpx.Client) -> None:
    server.user(USER)
    simple: list[tuple[str, dict[str, Any]]] = [
        ("deleteWebhook", {"drop_pending_updates": True}),
        ("setChatMenuButton", {"menu_button": {"type": "commands"}}),
        ("setChatMenuButton", {"chat_id": USER, "menu_button": {"type": "default"}}),
        ("sendChatAction", {"chat_id": USER, "action": "typing"}),
        ("close", {}),
        ("logOut", {}),
    ]
    for method, params in simple:
        status, body = call(client, method, **params)
        assert (status, body) == (200, {"ok": True, "result": True}), method
    assert server.menu_buttons[None] == {"type": "commands"}
    _, info = call(client, "getWebhookInfo")
    assert info["result"]["url"] == ""
    assert error(client, "sendChatAction", chat_id=USER, action="dancing") == (
        400,
        "Bad Request: wrong parameter action in request",
    )


# --------------------------------------------------------------------------- validation


def test_chat_not_found_until_the_user_exists(server: FakeBotAPI, client: httpx.Client) -> None:
    assert error(client, "sendMessage", chat_id=777, text="hi") == (
        400,
        "Bad Request: chat not found",
    )
    assert error(client, "sendMessage", text="hi") == (400, "Bad Request: chat_id is empty")
    server.user(777)
    status, body = call(client, "sendMessage", chat_id=777, text="hi")
    assert status == 200
    result = body["result"]
    assert result["chat"] == {"id": 777, "type": "private", "first_name": "Sam"}
    assert result["from"]["id"] == 123456789
    assert result["text"] == "hi"
    assert isinstance(result["date"], int)


def test_text_lengths_in_utf16_after_entity_parsing(
    server: FakeBotAPI, client: httpx.Client
) -> None:
    server.user(USER)
    empty = (400, "Bad Request: message text is empty")
    too_long = (400, "Bad Request: message is too long")
    assert error(client, "sendMessage", chat_id=USER, text="") == empty
    assert error(client, "sendMessage", chat_id=USER, text="  \n ") == empty
    assert error(client, "sendMessage", chat_id=USER, text="<b></b>", parse_mode="HTML") == empty
    assert call(client, "sendMessage", chat_id=USER, text="x" * 4096)[0] == 200
    assert error(client, "sendMessage", chat_id=USER, text="x" * 4097) == too_long
    # An emoji outside the BMP is two UTF-16 code units.
    assert call(client, "sendMessage", chat_id=USER, text="😀" * 2048)[0] == 200
    assert error(client, "sendMessage", chat_id=USER, text="😀" * 2049) == too_long
    # Markup does not count: 4096 visible characters inside <b> tags are fine.
    bold = "<b>" + "y" * 4096 + "</b>"
    assert call(client, "sendMessage", chat_id=USER, text=bold, parse_mode="HTML")[0] == 200
    assert (
        error(client, "sendMessage", chat_id=USER, text="&lt;" * 4097, parse_mode="HTML")
        == too_long
    )


def test_caption_length(server: FakeBotAPI, client: httpx.Client) -> None:
    server.user(USER)
    files = {"photo": ("p.png", TINY_PNG, "image/png")}
    ok = client.post("sendPhoto", data={"chat_id": USER, "caption": "c" * 1024}, files=files)
    assert ok.status_code == 200
    too_long = client.post("sendPhoto", data={"chat_id": USER, "caption": "c" * 1025}, files=files)
    assert too_long.status_code == 400
    assert too_long.json()["description"] == "Bad Request: message caption is too long"


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("<x>hi</x>", 'Unsupported start tag "x" at byte offset 0'),
        ("Hi <br> there", 'Unsupported start tag "br" at byte offset 3'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("é<x>", 'Unsupported start tag "x" at byte offset 2'),
        ("ends with <", "Unclosed start tag at byte offset 10"),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("plain</b>", "Unexpected end tag at byte offset 5"),
        (
            "<b><i>x</b></i>",
            'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"',
        ),
        ("<span>s</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<a href="https://x.org">link', 'Can\'t find end tag corresponding to start tag "a"'),
        ("Q&A", 'Bare "&" at byte offset 1 must be written as "&amp;"'),
        ("&nbsp;", 'Bare "&" at byte offset 0 must be written as "&amp;"'),
    ],
)
def test_html_parse_errors(
    server: FakeBotAPI, client: httpx.Client, text: str, description: str
) -> None:
    server.user(USER)
    status, got = error(client, "sendMessage", chat_id=USER, text=text, parse_mode="HTML")
    assert status == 400
    assert got.startswith("Bad Request: can't parse entities: " + description)
    assert server.messages(USER) == []


def test_html_accepts_telegram_tags_and_reports_entities(
    server: FakeBotAPI, client: httpx.Client
) -> None:
    server.user(USER)
    text = (
        "<b>Bold</b> <strong>s</strong> <i>i</i><em>e</em> <u>u</u><ins>n</ins> "
        "<s>s</s><strike>k</strike><del>d</del> <tg-spoiler>x</tg-spoiler>"
        '<span class="tg-spoiler">y</span> <a href="https://example.org/?a=1&amp;b=2">link</a> '
        '<code>c</code> <pre><code class="language-python">p = 1</code></pre> '
        "<blockquote>q</blockquote> &lt;tag&gt; &amp; &quot; &#39; &#x1F600; > 😀<B>B</B>"
    )
    status, body = call(client, "sendMessage", chat_id=USER, text=text, parse_mode="HTML")
    assert status == 200, body
    result = body["result"]
    assert result["text"].startswith("Bold s ie un skd xy link c p = 1 q <tag> & \" ' 😀 > 😀B")
    types = [e["type"] for e in result["entities"]]
    assert types.count("bold") == 3
    assert {"italic", "underline", "strikethrough", "spoiler", "text_link", "code", "pre"} <= set(
        types
    )
    link = next(e for e in result["entities"] if e["type"] == "text_link")
    assert link["url"] == "https://example.org/?a=1&b=2"
    assert result["text"][link["offset"] : link["offset"] + link["length"]] == "link"
    pre = next(e for e in result["entities"] if e["type"] == "pre")
    assert pre["language"] == "python"
    last_bold = result["entities"][-1]
    # Offsets are in UTF-16 code units: each 😀 counts twice.
    assert last_bold["type"] == "bold"
    assert last_bold["offset"] == len(result["text"].encode("utf-16-le")) // 2 - 1
    sent = server.messages(USER)[0]
    assert sent.text == text
    assert sent.parse_mode == "HTML"
    assert sent.plain_text == result["text"]


def test_html_bare_ampersand_allowed_when_not_strict() -> None:
    with FakeBotAPI(strict_html=False) as lenient:
        lenient.user(USER)
        response = httpx.post(
            f"{lenient.base_url}{lenient.token}/sendMessage",
            json={"chat_id": USER, "text": "Q&A <b>now</b>", "parse_mode": "HTML"},
        )
        assert response.status_code == 200
        assert response.json()["result"]["text"] == "Q&A now"


def test_markdown_v2(server: FakeBotAPI, client: httpx.Client) -> None:
    server.user(USER)
    status, got = error(client, "sendMessage", chat_id=USER, text="Done.", parse_mode="MarkdownV2")
    assert got == (
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
        "with the preceding '\\'"
    )
    assert error(client, "sendMessage", chat_id=USER, text="*open", parse_mode="MarkdownV2") == (
        400,
        "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 0",
    )
    status, body = call(
        client,
        "sendMessage",
        chat_id=USER,
        text="*Well* _done_\\! [site](https://x.org) `a.b`",
        parse_mode="MarkdownV2",
    )
    assert status == 200, body
    assert body["result"]["text"] == "Well done! site a.b"
    assert [e["type"] for e in body["result"]["entities"]] == [
        "bold",
        "italic",
        "text_link",
        "code",
    ]
    assert error(client, "sendMessage", chat_id=USER, text="x", parse_mode="Fancy") == (
        400,
        "Bad Request: unsupported parse_mode",
    )


def test_inline_keyboard_validation(server: FakeBotAPI, client: httpx.Client) -> None:
    server.user(USER)

    def send(*buttons: dict[str, Any]) -> tuple[int, str]:
        status, body = call(
            client, "sendMessage", chat_id=USER, text="pick", reply_markup=keyboard(list(buttons))
        )
        return status, body.get("description", "")

    assert send({"text": "ok", "callback_data": "d" * 64})[0] == 200
    assert send({"text": "ok", "callback_data": "é" * 32})[0] == 200  # 64 bytes
    assert send({"text": "no", "callback_data": "d" * 65}) == (
        400,
        "Bad Request: BUTTON_DATA_INVALID",
    )
    assert send({"text": "no", "callback_data": "é" * 33}) == (
        400,
        "Bad Request: BUTTON_DATA_INVALID",
    )
    for url in ("https://example.org/x", "http://example.org", "tg://resolve?domain=x"):
        assert send({"text": "link", "url": url})[0] == 200, url
    for url in ("ftp://example.org", "javascript:alert(1)", "example.org", "https://"):
        assert send({"text": "link", "url": url}) == (400, "Bad Request: BUTTON_URL_INVALID"), url
    assert send({"text": "plain"}) == (
        400,
        "Bad Request: can't parse inline keyboard button: "
        "Text buttons are unallowed in the inline keyboard",
    )
    assert send({"text": "plain", "callback_data": ""})[1].endswith(
        "Text buttons are unallowed in the inline keyboard"
    )
    status, description = send({"text": "two", "callback_data": "a", "url": "https://x.org"})
    assert status == 400
    assert "exactly one of the optional fields" in description
    assert send({"text": "", "callback_data": "a"}) == (400, "Bad Request: BUTTON_TEXT_INVALID")
    assert send({"callback_data": "a"}) == (
        400,
        'Bad Request: can\'t parse inline keyboard button: Field "text" must be of type String',
    )
    bad_json = client.post(
        "sendMessage", data={"chat_id": USER, "text": "x", "reply_markup": "{not json"}
    )
    assert bad_json.json()["description"] == (
        "Bad Request: can't parse reply keyboard markup JSON object"
    )
    reply_keyboard = {"keyboard": [["Yes", {"text": "No"}]], "resize_keyboard": True}
    status, body = call(client, "sendMessage", chat_id=USER, text="k", reply_markup=reply_keyboard)
    assert status == 200
    assert "reply_markup" not in body["result"]  # only inline keyboards are echoed
    sent = server.messages(USER)
    assert sent[0].buttons == [[Button("ok", "d" * 64)]]
    assert sent[-1].reply_keyboard == [["Yes", "No"]]


def test_edit_message_text_and_markup(server: FakeBotAPI, client: httpx.Client) -> None:
    u = server.user(USER)
    markup = keyboard([{"text": "Yes", "callback_data": "yes"}])
    _, body = call(client, "sendMessage", chat_id=USER, text="<b>Q</b>", parse_mode="HTML",
                   reply_markup=markup)  # fmt: skip
    mid = body["result"]["message_id"]

    assert error(client, "editMessageText", chat_id=USER, message_id=999, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )
    # The same text (after parsing) and the same keyboard: not modified.
    same = {"chat_id": USER, "message_id": mid, "reply_markup": markup}
    assert error(client, "editMessageText", text="<b>Q</b>", parse_mode="HTML", **same) == (
        400,
        NOT_MODIFIED,
    )
    assert error(client, "editMessageReplyMarkup", **same) == (400, NOT_MODIFIED)
    # Different formatting of the same text is a modification.
    status, body = call(client, "editMessageText", text="Q", **same)
    assert status == 200
    assert body["result"]["text"] == "Q"
    assert "edit_date" in body["result"]
    # Editing the text without reply_markup removes the keyboard, like Telegram.
    status, body = call(client, "editMessageText", chat_id=USER, message_id=mid, text="Thanks")
    assert status == 200
    assert "reply_markup" not in body["result"]
    message = u.last()
    assert message.text == "Thanks"
    assert message.original_text == "<b>Q</b>"
    assert [e.text for e in message.edits] == ["Q", "Thanks"]
    assert message.reply_markup_removed is True
    assert message.buttons == []
    assert error(client, "editMessageReplyMarkup", chat_id=USER, message_id=mid) == (
        400,
        NOT_MODIFIED,
    )
    # A user's own message is not editable by the bot; a deleted one is gone.
    own = u.send("mine").message_id
    assert error(client, "editMessageText", chat_id=USER, message_id=own, text="x") == (
        400,
        "Bad Request: message can't be edited",
    )
    assert call(client, "deleteMessage", chat_id=USER, message_id=mid)[0] == 200
    assert error(client, "deleteMessage", chat_id=USER, message_id=mid) == (
        400,
        "Bad Request: message to delete not found",
    )
    assert error(client, "editMessageText", chat_id=USER, message_id=mid, text="x") == (
        400,
        "Bad Request: message to edit not found",
    )


# --------------------------------------------------------------------------- buttons


def test_press_builds_a_callback_query_and_answers_are_checked(
    server: FakeBotAPI, client: httpx.Client
) -> None:
    u = server.user(USER, first_name="Sam", username="sam_fixes")
    markup = keyboard(
        [{"text": "Yes", "callback_data": "answer:yes"}, {"text": "No", "callback_data": "no"}],
        [{"text": "Guide", "url": "https://example.org/guide"}],
    )
    _, first = call(client, "sendMessage", chat_id=USER, text="Old?", reply_markup=markup)
    _, second = call(client, "sendMessage", chat_id=USER, text="New?", reply_markup=markup)

    action = u.press("Yes")
    query = action.update["callback_query"]
    assert query["id"] == action.callback_query_id
    assert query["data"] == "answer:yes"
    assert query["from"] == {
        "id": USER,
        "is_bot": False,
        "first_name": "Sam",
        "username": "sam_fixes",
        "language_code": "en-GB",
    }
    assert query["message"]["message_id"] == second["result"]["message_id"]  # the latest
    assert query["message"]["reply_markup"] == markup
    assert query["chat_instance"]
    parsed = Update.de_json(action.update, None)
    assert parsed.callback_query is not None
    assert parsed.callback_query.data == "answer:yes"

    by_data = u.press("no", message=first["result"]["message_id"])
    assert by_data.update["callback_query"]["message"]["text"] == "Old?"
    assert set(server.unanswered_callback_queries) == {
        action.callback_query_id,
        by_data.callback_query_id,
    }

    answer = {"callback_query_id": action.callback_query_id}
    assert error(client, "answerCallbackQuery", text="x" * 201, **answer) == (
        400,
        "Bad Request: MESSAGE_TOO_LONG",
    )
    assert call(client, "answerCallbackQuery", text="Saved", **answer)[0] == 200
    assert error(client, "answerCallbackQuery", **answer) == (400, QUERY_TOO_OLD)
    assert error(client, "answerCallbackQuery", callback_query_id="123") == (400, QUERY_TOO_OLD)
    assert server.callback_answers == ["Saved"]
    assert u.callback_answers()[0].data == "answer:yes"

    with pytest.raises(AssertionError, match="not a callback button"):
        u.press("Guide")
    with pytest.raises(AssertionError, match=r"(?s)no inline button 'Maybe'.*\['Yes', 'No'\]"):
        u.press("Maybe")

    forged = u.press_data("x" * 100, message_id=999)
    message = forged.update["callback_query"]["message"]
    assert message["date"] == 0  # PTB reads this as an InaccessibleMessage
    assert forged.update["callback_query"]["data"] == "x" * 100


# --------------------------------------------------------------------------- blocked users


def test_blocked_and_deactivated_users(server: FakeBotAPI, client: httpx.Client) -> None:
    u = server.user(USER)
    u.block()
    status, body = call(client, "sendMessage", chat_id=USER, text="hi")
    assert status == 403
    assert body == {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }
    assert error(client, "sendChatAction", chat_id=USER, action="typing")[0] == 403
    updates = call(client, "getUpdates")[1]["result"]
    member = updates[-1]["my_chat_member"]
    assert member["new_chat_member"]["status"] == "kicked"
    assert Update.de_json(updates[-1], None).my_chat_member is not None

    u.unblock()
    assert call(client, "sendMessage", chat_id=USER, text="hi")[0] == 200
    server.deactivate(USER)
    assert error(client, "sendMessage", chat_id=USER, text="hi") == (
        403,
        "Forbidden: user is deactivated",
    )
    assert len(u.messages()) == 1


# --------------------------------------------------------------------------- rate limits


def test_per_chat_rate_limit(server: FakeBotAPI, client: httpx.Client) -> None:
    server.user(USER)
    server.user(USER + 1)
    server.set_rate_limits(per_chat_per_second=1)
    assert call(client, "sendMessage", chat_id=USER, text="1")[0] == 200
    status, body = call(client, "sendMessage", chat_id=USER, text="2")
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert call(client, "sendMessage", chat_id=USER + 1, text="other chat")[0] == 200
    # Chat actions are not counted.
    assert call(client, "sendChatAction", chat_id=USER, action="typing")[0] == 200
    time.sleep(1.02)
    assert call(client, "sendMessage", chat_id=USER, text="3")[0] == 200
    assert [m.text for m in server.messages(USER)] == ["1", "3"]
    stats = server.stats
    assert stats.too_many_requests == 1
    assert stats.rate_limited == 1
    assert stats.max_in_window(1.0, chat_id=USER) == 1
    gap = stats.min_gap(USER)
    assert gap is not None
    assert gap >= 1.0


def test_global_rate_limit_counts_edits(server: FakeBotAPI, client: httpx.Client) -> None:
    for n in range(5):
        server.user(USER + n)
    server.set_rate_limits(global_per_second=3)
    assert call(client, "sendMessage", chat_id=USER, text="a")[0] == 200
    assert call(client, "sendMessage", chat_id=USER + 1, text="b")[0] == 200
    assert call(client, "editMessageText", chat_id=USER, message_id=1, text="a2")[0] == 200
    status, body = call(client, "sendMessage", chat_id=USER + 2, text="c")
    assert status == 429
    retry_after = body["parameters"]["retry_after"]
    assert isinstance(retry_after, int)
    assert retry_after >= 1
    assert body["description"] == f"Too Many Requests: retry after {retry_after}"
    assert server.stats.sent_total == 2
    server.set_rate_limits(None, None)
    assert call(client, "sendMessage", chat_id=USER + 2, text="c")[0] == 200


# --------------------------------------------------------------------------- faults


def test_faults_are_served_in_order(server: FakeBotAPI, client: httpx.Client) -> None:
    server.user(USER)
    server.inject(
        "sendMessage",
        Fault.status(502),
        Fault.too_many(7),
        Fault.bad_request("something odd"),
        Fault.forbidden(),
        Fault.drop_connection(),
        Fault.delay(0.3),
    )
    send = {"chat_id": USER, "text": "hi"}
    assert call(client, "sendMessage", **send) == (
        502,
        {"ok": False, "error_code": 502, "description": "Bad Gateway"},
    )
    status, body = call(client, "sendMessage", **send)
    assert (status, body["parameters"]) == (429, {"retry_after": 7})
    assert error(client, "sendMessage", **send) == (400, "Bad Request: something odd")
    assert error(client, "sendMessage", **send) == (403, "Forbidden: bot was blocked by the user")
    assert server.pending_faults == 2
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("sendMessage", json=send)
    started = time.monotonic()
    assert call(client, "sendMessage", **send)[0] == 200
    assert time.monotonic() - started >= 0.3
    assert call(client, "sendMessage", **send)[0] == 200
    # Faulted sends were not delivered.
    assert len(server.messages(USER)) == 2
    assert [c.status for c in server.calls_to("sendMessage")] == [502, 429, 400, 403, 0, 200, 200]
    stats = server.stats
    assert stats.faults_served == 6
    assert stats.too_many_requests == 1
    assert stats.rate_limited == 0


def test_faults_for_one_chat(server: FakeBotAPI, client: httpx.Client) -> None:
    server.user(USER)
    server.user(USER + 1)
    server.inject_for_chat(USER, Fault.status(500), Fault.status(503, "Service down"))
    server.inject_for_chat(USER + 1, Fault.forbidden("user is deactivated"), method="sendPhoto")
    # Not a message method: chat faults without `method` do not hit it.
    assert call(client, "sendChatAction", chat_id=USER, action="typing")[0] == 200
    assert call(client, "sendMessage", chat_id=USER + 1, text="fine")[0] == 200
    assert error(client, "sendMessage", chat_id=USER, text="x") == (500, "Internal Server Error")
    assert error(client, "editMessageText", chat_id=USER, message_id=1, text="x") == (
        503,
        "Service down",
    )
    assert call(client, "sendMessage", chat_id=USER, text="ok now")[0] == 200
    photo = {"photo": ("p.png", TINY_PNG, "image/png")}
    denied = client.post("sendPhoto", data={"chat_id": USER + 1}, files=photo)
    assert denied.json()["description"] == "Forbidden: user is deactivated"
    assert server.pending_faults == 0


def test_a_lost_answer_means_done_but_not_told(server: FakeBotAPI, client: httpx.Client) -> None:
    server.user(USER)
    server.inject("sendMessage", Fault.lose_answer())
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("sendMessage", json={"chat_id": USER, "text": "did it go?"})
    assert [m.text for m in server.messages(USER)] == ["did it go?"]
    assert [c.status for c in server.calls_to("sendMessage")] == [0]


def test_random_faults_hit_about_their_share_and_only_their_methods(
    server: FakeBotAPI, client: httpx.Client
) -> None:
    server.user(USER)
    server.set_chaos(error_rate=0.2, lost_answer_rate=0.1, seed=7)
    statuses = []
    for number in range(300):
        try:
            statuses.append(client.post("sendMessage", json={"chat_id": USER, "text": f"{number}"}))
        except httpx.RemoteProtocolError:
            statuses.append(None)
    errors = sum(1 for r in statuses if r is not None and r.status_code >= 500)
    lost = statuses.count(None)
    assert 40 <= errors <= 80 and 15 <= lost <= 45
    assert len(server.messages(USER)) == 300 - errors  # lost answers were delivered
    assert call(client, "getMe")[0] == 200  # not a message method
    server.set_chaos()
    assert call(client, "sendMessage", chat_id=USER, text="calm")[0] == 200


def test_an_outage_fails_every_call_until_it_ends(server: FakeBotAPI, client: httpx.Client) -> None:
    server.user(USER)
    server.start_outage()
    assert server.outage
    assert error(client, "getMe") == (502, "Bad Gateway")
    assert error(client, "getUpdates") == (502, "Bad Gateway")
    assert error(client, "sendMessage", chat_id=USER, text="x") == (502, "Bad Gateway")
    server.start_outage("drop")
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("getMe")
    server.end_outage()
    assert call(client, "sendMessage", chat_id=USER, text="back")[0] == 200
    assert [m.text for m in server.messages(USER)] == ["back"]


# --------------------------------------------------------------------------- updates


def test_get_updates_offset_limit_and_shapes(server: FakeBotAPI, client: httpx.Client) -> None:
    u = server.user(USER, first_name="Ana", language_code="en-GB")
    start = u.send("/start ABC123")
    u.send("hello")
    u.send_sticker()
    u.send_photo(caption="the boiler")
    u.send_voice()
    u.send_location(51.5, -0.12)
    u.send_contact()
    assert start.message_id is not None
    u.edit(start.message_id, "/start XYZ")
    u.send_in_group("/help@doorstep_coach_bot", group_id=-1009876543210)
    server.group(-42, "Small team")

    _, body = call(client, "getUpdates", limit=2)
    first_two = body["result"]
    assert [up["update_id"] for up in first_two] == [start.update_id, start.update_id + 1]
    message = first_two[0]["message"]
    assert message["text"] == "/start ABC123"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["chat"] == {"id": USER, "type": "private", "first_name": "Ana"}

    # Not confirmed yet: the same updates come again.
    assert call(client, "getUpdates", limit=2)[1]["result"] == first_two
    _, body = call(client, "getUpdates", offset=first_two[-1]["update_id"] + 1)
    rest = body["result"]
    assert len(rest) == 7
    kinds = [next(k for k in up if k != "update_id") for up in rest]
    assert kinds == ["message"] * 5 + ["edited_message", "message"]
    parsed = [Update.de_json(up, None) for up in first_two + rest]
    assert parsed[2].message is not None and parsed[2].message.sticker is not None
    assert parsed[3].message is not None and parsed[3].message.caption == "the boiler"
    assert parsed[4].message is not None and parsed[4].message.voice is not None
    assert parsed[5].message is not None and parsed[5].message.location is not None
    contact = parsed[6].message.contact if parsed[6].message else None
    assert contact is not None and contact.user_id == USER
    edited = parsed[7].edited_message
    assert edited is not None and edited.text == "/start XYZ" and edited.edit_date is not None
    group = parsed[8].message
    assert group is not None and group.chat.type == "supergroup"
    assert group.from_user is not None and group.from_user.id == USER
    # The bot can answer in the group now.
    assert call(client, "sendMessage", chat_id=-1009876543210, text="hi all")[0] == 200

    assert server.pending_updates == 7
    call(client, "getUpdates", offset=rest[-1]["update_id"] + 1, timeout=0)
    assert server.pending_updates == 0

    for n in range(3):
        u.send(f"m{n}")
    _, body = call(client, "getUpdates", offset=-1)
    assert [up["message"]["text"] for up in body["result"]] == ["m2"]
    assert server.pending_updates == 1


def test_long_poll_wakes_up_on_a_new_update(server: FakeBotAPI, client: httpx.Client) -> None:
    u = server.user(USER)
    started = time.monotonic()
    assert call(client, "getUpdates", timeout=1)[1]["result"] == []
    assert 0.9 <= time.monotonic() - started < 9  # held for its timeout, then answered

    timer = threading.Timer(0.2, lambda: u.send("wake up"))
    timer.start()
    started = time.monotonic()
    _, body = call(client, "getUpdates", timeout=10)
    elapsed = time.monotonic() - started
    timer.join()
    assert [up["message"]["text"] for up in body["result"]] == ["wake up"]
    assert 0.15 <= elapsed < 9  # woke for the update, long before its 10-second timeout


def test_second_long_poll_conflicts_with_the_first(server: FakeBotAPI) -> None:
    url = f"{server.base_url}{server.token}/getUpdates"
    results: list[httpx.Response] = []
    poller = threading.Thread(target=lambda: results.append(httpx.post(url, json={"timeout": 10})))
    poller.start()
    deadline = time.monotonic() + 30
    while server.get_updates_calls < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    second = httpx.post(url, json={"timeout": 0})
    poller.join(timeout=30)
    assert second.status_code == 200
    assert results[0].status_code == 409
    assert results[0].json()["description"].startswith("Conflict: terminated by other getUpdates")


def test_stop_wakes_long_polls_promptly() -> None:
    server = FakeBotAPI().start()
    url = f"{server.base_url}{server.token}/getUpdates"
    outcome: list[object] = []

    def poll() -> None:
        try:
            outcome.append(httpx.post(url, json={"timeout": 30}, timeout=40).status_code)
        except httpx.HTTPError as exc:
            outcome.append(exc)

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    poller.join(timeout=5)
    assert time.monotonic() - started < 2
    assert not poller.is_alive()
    assert len(outcome) == 1


def test_webhook_delivery_with_secret_token(server: FakeBotAPI, client: httpx.Client) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((self.headers.get("X-Telegram-Bot-Api-Secret-Token"), json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        hook = f"http://127.0.0.1:{receiver.server_address[1]}/telegram"
        assert call(client, "setWebhook", url=hook, secret_token="s3cret_X")[0] == 200
        assert error(client, "getUpdates")[0] == 409
        server.user(USER).send("via webhook")
        deadline = time.monotonic() + 5
        while not received and time.monotonic() < deadline:
            time.sleep(0.01)
        assert received[0][0] == "s3cret_X"
        assert received[0][1]["message"]["text"] == "via webhook"
        info = call(client, "getWebhookInfo")[1]["result"]
        assert info["url"] == hook
        assert call(client, "deleteWebhook")[0] == 200
    finally:
        receiver.shutdown()
        receiver.server_close()


@dataclass
class OpenPosts:
    """How many webhook posts were open at once, in all and for any one chat."""

    now: Counter[int | None] = field(default_factory=Counter)
    most: int = 0
    most_in_a_chat: int = 0


@contextmanager
def slow_webhook(answer: Callable[[dict[str, Any]], bool]) -> Iterator[tuple[str, OpenPosts]]:
    """A webhook that takes 0.2 s over each post; ``answer(update)``, called (one at a
    time) as the post ends, says whether to answer it 200 or 502. Yields its URL."""
    posts = OpenPosts()
    guard = threading.Lock()

    class SlowReceiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            update = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            chat = update.get("message", {}).get("chat", {}).get("id")
            with guard:
                posts.now[chat] += 1
                posts.most = max(posts.most, posts.now.total())
                posts.most_in_a_chat = max(posts.most_in_a_chat, posts.now[chat])
            time.sleep(0.2)
            with guard:
                posts.now[chat] -= 1
                accepted = answer(update)
            self.send_response(200 if accepted else 502)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), SlowReceiver)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{receiver.server_address[1]}/telegram", posts
    finally:
        receiver.shutdown()
        receiver.server_close()


def wait_until_all_posted(client: httpx.Client) -> None:
    deadline = time.monotonic() + 20
    while call(client, "getWebhookInfo")[1]["result"]["pending_update_count"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_webhook_posts_in_parallel_and_posts_again_until_answered(
    server: FakeBotAPI, client: httpx.Client
) -> None:
    received: list[int] = []
    refused: list[int] = []

    def answer(update: dict[str, Any]) -> bool:
        if not refused:
            refused.append(update["update_id"])  # the first post to end is refused
            return False
        received.append(update["update_id"])
        return True

    with slow_webhook(answer) as (hook, open_posts):
        assert call(client, "setWebhook", url=hook, max_connections=8)[0] == 200
        server.set_webhook_faults(lost_answer_rate=0.5, seed=7)
        sam = server.user(USER)
        ids = [sam.send(f"message {n}").update_id for n in range(12)]
        wait_until_all_posted(client)
    assert 2 <= open_posts.most <= 8  # parallel, within max_connections
    assert open_posts.most_in_a_chat >= 2  # one person's updates posted at the same moment
    assert set(received) == set(ids)
    posts = server.webhook_posts
    assert sum(posts.values()) == len(received) + 1  # the 502 was posted again too
    assert any(count > 1 for count in posts.values())  # answers lost: posted again
    info = call(client, "getWebhookInfo")[1]["result"]
    assert info["last_error_message"] == "Wrong response from the webhook: 502 Bad Gateway"


def test_webhook_chat_order_posts_each_chats_updates_one_at_a_time_in_order() -> None:
    received: dict[int, list[str]] = {}

    def answer(update: dict[str, Any]) -> bool:
        chat = update["message"]["chat"]["id"]
        if chat not in received:
            received[chat] = []
            return False  # each chat's first post is refused once
        received[chat].append(update["message"]["text"])
        return True

    with (
        slow_webhook(answer) as (hook, open_posts),
        FakeBotAPI(webhook_chat_order=True) as server,
        httpx.Client(base_url=f"{server.base_url}{server.token}/", timeout=10) as client,
    ):
        assert call(client, "setWebhook", url=hook, max_connections=8)[0] == 200
        users = [server.user(USER + n) for n in range(4)]
        for n in range(5):
            for user in users:
                user.send(f"message {n}")
        wait_until_all_posted(client)
    assert open_posts.most_in_a_chat == 1  # never two posts open for one chat
    assert open_posts.most >= 2  # different chats' posts side by side
    expected = [f"message {n}" for n in range(5)]
    assert received == {user.id: expected for user in users}  # a refusal kept order


# --------------------------------------------------------------------------- commands


def test_set_my_commands_validation(server: FakeBotAPI, client: httpx.Client) -> None:
    commands = [
        {"command": "start", "description": "Join with your invite code"},
        {"command": "settings_2", "description": "x" * 256},
    ]
    assert call(client, "setMyCommands", commands=commands)[0] == 200
    assert server.commands == [("start", "Join with your invite code"), ("settings_2", "x" * 256)]
    assert call(client, "getMyCommands")[1]["result"] == commands
    scope = {"type": "all_private_chats"}
    welsh = [{"command": "dechrau", "description": "Ymuno"}]
    assert call(client, "setMyCommands", commands=welsh, scope=scope, language_code="cy")[0] == 200
    assert server.commands_for(scope, "cy") == [("dechrau", "Ymuno")]

    def bad(command: str, description: str = "d") -> str:
        item = {"command": command, "description": description}
        return error(client, "setMyCommands", commands=[item])[1]

    assert bad("Start") == "Bad Request: BOT_COMMAND_INVALID"
    assert bad("/start") == "Bad Request: BOT_COMMAND_INVALID"
    assert bad("a" * 33) == "Bad Request: BOT_COMMAND_INVALID"
    assert bad("") == "Bad Request: BOT_COMMAND_INVALID"
    assert bad("ok", "") == "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
    assert bad("ok", "d" * 257) == "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
    many = [{"command": f"c{n}", "description": "d"} for n in range(101)]
    assert error(client, "setMyCommands", commands=many) == (
        400,
        "Bad Request: BOT_COMMANDS_TOO_MUCH",
    )
    assert server.commands[0][0] == "start"  # failed calls changed nothing
    assert call(client, "deleteMyCommands")[0] == 200
    assert server.commands == []


# --------------------------------------------------------------------------- files


def test_multipart_photo_and_document_upload(server: FakeBotAPI, client: httpx.Client) -> None:
    u = server.user(USER)
    response = client.post(
        "sendPhoto",
        data={"chat_id": str(USER), "caption": "<b>Your QR</b>", "parse_mode": "HTML"},
        files={"photo": ("invite.png", TINY_PNG, "image/png")},
    )
    assert response.status_code == 200, response.text
    result = response.json()["result"]
    assert result["caption"] == "Your QR"
    assert result["photo"][0]["width"] == 1
    sent = u.last()
    assert sent.method == "sendPhoto"
    assert sent.photo == TINY_PNG
    assert sent.filename == "invite.png"
    assert sent.caption == "<b>Your QR</b>"

    file_info = call(client, "getFile", file_id=result["photo"][-1]["file_id"])[1]["result"]
    download = httpx.get(f"{server.base_file_url}{server.token}/{file_info['file_path']}")
    assert download.content == TINY_PNG

    # Binary content with CR/LF and boundary-like bytes survives the round trip.
    payload = b"\r\n--not-the-boundary\r\n\x00\xff" * 100 + b"\r\n"
    response = client.post(
        "sendDocument",
        data={"chat_id": str(USER)},
        files={"document": ("report.csv", payload, "text/csv")},
    )
    assert response.status_code == 200
    assert response.json()["result"]["document"]["file_name"] == "report.csv"
    assert u.last().document == payload
    assert u.last().mime_type == "text/csv"

    not_image = client.post(
        "sendPhoto", data={"chat_id": USER}, files={"photo": ("x.png", b"hello", "image/png")}
    )
    assert not_image.json()["description"] == "Bad Request: IMAGE_PROCESS_FAILED"
    missing = client.post("sendPhoto", data={"chat_id": USER})
    assert missing.json()["description"] == "Bad Request: there is no photo in the request"


# --------------------------------------------------------------------------- transcript


def test_wait_for_sync_consumes_arrivals_in_order(server: FakeBotAPI, client: httpx.Client) -> None:
    u = server.user(USER)

    def bot_talks() -> None:
        time.sleep(0.1)
        call(client, "sendMessage", chat_id=USER, text="Welcome, Sam")
        call(client, "sendMessage", chat_id=USER, text="Pick a day",
             reply_markup=keyboard([{"text": "Mon", "callback_data": "d:1"}]))  # fmt: skip
        call(client, "editMessageText", chat_id=USER, message_id=2, text="Monday it is")

    threading.Thread(target=bot_talks).start()
    assert u.wait_for_sync("Welcome").message_id == 1
    picked = u.wait_for_sync(lambda m: m.has_button("Mon"))
    assert picked.buttons == [[("Mon", "d:1")]]
    edited = u.wait_for_sync(lambda m: m.edited)
    assert edited.text == "Monday it is"
    assert picked.text == "Pick a day"  # snapshots do not change afterwards

    with pytest.raises(AssertionError) as failure:
        u.wait_for_sync("Welcome", timeout=0.2)  # already consumed
    assert "no bot message matching 'Welcome'" in str(failure.value)
    assert "(nothing)" in str(failure.value)

    u.mark()
    call(client, "sendMessage", chat_id=USER, text="Later")
    assert u.wait_for_sync("Later").text == "Later"
    assert [m.text for m in u.messages()] == ["Welcome, Sam", "Monday it is", "Later"]


@pytest.mark.asyncio
async def test_async_wait_for_reports_what_arrived(server: FakeBotAPI) -> None:
    u = server.user(USER)
    async with httpx.AsyncClient(base_url=f"{server.base_url}{server.token}/") as client:
        await client.post("sendMessage", json={"chat_id": USER, "text": "Something else"})
        with pytest.raises(AssertionError, match=r"#1 sendMessage 'Something else'"):
            await u.wait_for("Welcome", timeout=0.1)
        task = asyncio.create_task(u.wait_for("Welcome", timeout=5))
        await asyncio.sleep(0.05)
        await client.post("sendMessage", json={"chat_id": USER, "text": "Welcome!"})
        message: SentMessage = await task
        assert message.text == "Welcome!"


# --------------------------------------------------------------------------- real PTB


@pytest.mark.asyncio
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_real_ptb_bot(server: FakeBotAPI) -> None:
    u = server.user(USER)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    async with Bot(
        server.token, base_url=server.base_url, base_file_url=server.base_file_url
    ) as bot:
        me = await bot.get_me()
        assert me.username == "doorstep_coach_bot"
        message = await bot.send_message(
            USER, "<b>Hello</b> &lt;there&gt;", parse_mode="HTML", reply_markup=markup
        )
        assert message.text == "Hello <there>"
        assert message.entities[0].type == "bold"
        assert message.reply_markup == markup
        assert message.chat.id == USER
        assert u.last().buttons == [[("Yes", "yes")]]

        photo = await bot.send_photo(USER, TINY_PNG, caption="QR")
        assert photo.caption == "QR"
        assert u.last().photo == TINY_PNG
        data = await (await bot.get_file(photo.photo[-1].file_id)).download_as_bytearray()
        assert bytes(data) == TINY_PNG

        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(999, "nobody")
        with pytest.raises(BadRequest, match="Can't parse entities: unsupported start tag"):
            await bot.send_message(USER, "<x>", parse_mode="HTML")
        with pytest.raises(BadRequest, match="Message is not modified"):
            await bot.edit_message_text(
                "<b>Hello</b> &lt;there&gt;",
                USER,
                message.message_id,
                parse_mode="HTML",
                reply_markup=markup,
            )
        server.inject("sendMessage", Fault.too_many(2), Fault.drop_connection())
        with pytest.raises(RetryAfter):
            await bot.send_message(USER, "x")
        with pytest.raises(NetworkError):
            await bot.send_message(USER, "x")
        u.block()
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(USER, "x")


@pytest.mark.asyncio
async def test_real_ptb_application_polling_round_trip(server: FakeBotAPI) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard_markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton("Like", callback_data="like")]]
        )
        await update.effective_message.reply_text(
            f"You said: {update.effective_message.text}", reply_markup=keyboard_markup
        )

    async def liked(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Thanks!")
        await query.edit_message_text("Liked ✔")

    app = (
        Application.builder()
        .token(server.token)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(liked))
    u = server.user(USER)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        try:
            u.send("fix the boiler")
            reply = await u.wait_for("You said: fix the boiler", timeout=5)
            assert reply.buttons == [[("Like", "like")]]
            u.press("Like")
            edited = await u.wait_for(lambda m: m.edited, timeout=5)
            assert edited.text == "Liked ✔"
            assert edited.reply_markup_removed
        finally:
            await app.updater.stop()
            await app.stop()
    assert server.callback_answers == ["Thanks!"]
    assert server.unanswered_callback_queries == []
    assert server.pending_updates == 0  # the updater confirmed what it processed
    assert server.calls_to("deleteWebhook")
