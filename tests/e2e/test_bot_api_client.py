"""The bot's own Bot API client (bot/telegram/http.py) against the local Bot API server:
what it sends arrives as sent, and each way a call can fail comes out as PTB's error,
telling the outbox whether the message may have reached Telegram."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import NetworkError, TelegramError, TimedOut

from bot.telegram.http import AiohttpRequest
from bot.telegram.transport import may_have_arrived
from tests.bot_process import free_port
from tests.fake_bot_api import FakeBotAPI, Fault, Poster

pytestmark = pytest.mark.e2e

#: The smallest PNG there is: one transparent pixel.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def bot_for(server: FakeBotAPI, request: AiohttpRequest, base_url: str | None = None) -> Bot:
    return Bot(server.token, base_url=base_url or server.base_url, request=request)


async def test_text_buttons_a_photo_and_a_file_arrive_as_sent(server: FakeBotAPI) -> None:
    sam = server.user(7100)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="y:1")]])
    async with bot_for(server, AiohttpRequest(4)) as bot:
        await bot.send_message(
            sam.id, "<b>Tip</b> knock &amp; wait", parse_mode=ParseMode.HTML, reply_markup=markup
        )
        await bot.send_photo(sam.id, PIXEL, caption="Your week", filename="week.png")
        await bot.send_document(sam.id, b"name,score\nSam,3\n", filename="scores.csv")
    text, photo, document = server.messages(sam.id)
    assert text.plain_text == "Tip knock & wait"
    assert [[button.text for button in row] for row in text.buttons] == [["Yes"]]
    assert photo.photo == PIXEL and photo.plain_text == "Your week"
    assert document.document == b"name,score\nSam,3\n" and document.filename == "scores.csv"


async def test_a_refused_connection_never_reached_telegram(server: FakeBotAPI) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/bot"
    request = AiohttpRequest(1)
    with pytest.raises(NetworkError) as raised:
        await bot_for(server, request, base_url=nowhere).get_me()
    await request.shutdown()
    assert not isinstance(raised.value, TimedOut)
    assert not may_have_arrived(raised.value)


async def test_a_dropped_or_slow_answer_may_have_reached_telegram(server: FakeBotAPI) -> None:
    sam = server.user(7102)
    server.inject("sendMessage", Fault.lose_answer(), Fault.delay(2.0))
    failures: list[TelegramError] = []
    async with bot_for(server, AiohttpRequest(1, read_timeout=0.5)) as bot:
        for _ in range(2):
            try:
                await bot.send_message(sam.id, "hello")
            except TelegramError as error:
                failures.append(error)
        await bot.send_message(sam.id, "and again")  # the connection pool recovers
    lost, slow = failures
    assert isinstance(lost, NetworkError) and not isinstance(lost, TimedOut)
    assert isinstance(slow, TimedOut)
    assert may_have_arrived(lost) and may_have_arrived(slow)
    assert [m.plain_text for m in server.messages(sam.id)][-1] == "and again"


class _ForwardingProxy:
    """A plain HTTP proxy that notes each request's target and passes it on."""

    def __init__(self) -> None:
        self.targets: list[str] = []
        proxy = self

        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                proxy.targets.append(self.path)  # a proxy is asked for the whole URL
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {"Content-Type": self.headers.get("Content-Type") or ""}
                status, _, content = Poster(timeout=10).post(self.path, body, headers)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[_ForwardingProxy]:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    forwarding = _ForwardingProxy()
    monkeypatch.setenv("HTTP_PROXY", forwarding.url)
    yield forwarding
    forwarding.close()


async def test_requests_go_through_the_proxy_the_environment_names(
    server: FakeBotAPI, proxy: _ForwardingProxy
) -> None:
    sam = server.user(7103)
    async with bot_for(server, AiohttpRequest(2)) as bot:
        for text in ("one", "two"):
            await bot.send_message(sam.id, text)
    assert [m.plain_text for m in server.messages(sam.id)] == ["one", "two"]
    assert [target.rsplit("/", 1)[1] for target in proxy.targets] == [
        "getMe",
        "sendMessage",
        "sendMessage",
    ]


async def test_no_proxy_is_honoured(
    server: FakeBotAPI, proxy: _ForwardingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    sam = server.user(7104)
    async with bot_for(server, AiohttpRequest(2)) as bot:
        await bot.send_message(sam.id, "direct")
    assert [m.plain_text for m in server.messages(sam.id)] == ["direct"]
    assert proxy.targets == []
