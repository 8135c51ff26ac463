"""A small round-robin HTTP proxy: each POST goes to the next of several replicas.

    with RoundRobinProxy(["http://127.0.0.1:8001", "http://127.0.0.1:8002"]) as proxy:
        ...  # point the webhook at proxy.url

For the inbound benchmark's two webhook replicas. Path, body and the headers the
Bot API sends (content type, secret token) are passed on; the replica's answer
comes back as it was. A replica that can't be reached gets 502, like a real proxy.
"""

from __future__ import annotations

import itertools
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx

#: Headers passed on to the replica.
FORWARDED = ("Content-Type", "X-Telegram-Bot-Api-Secret-Token")


class RoundRobinProxy:
    def __init__(self, targets: list[str]) -> None:
        self.targets = targets
        self._next = itertools.cycle(targets)
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=30.0, limits=httpx.Limits(max_connections=100))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Forwarder)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        #: How many posts went to each target.
        self.forwarded: dict[str, int] = dict.fromkeys(targets, 0)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def target(self) -> str:
        with self._lock:
            target = next(self._next)
            self.forwarded[target] += 1
            return target

    def forward(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        try:
            response = self._client.post(self.target() + path, content=body, headers=headers)
        except httpx.HTTPError:
            return 502, b""
        return response.status_code, response.content

    def __enter__(self) -> RoundRobinProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()


class _Forwarder(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        headers = {name: value for name in FORWARDED if (value := self.headers.get(name))}
        proxy: RoundRobinProxy = self.server.proxy  # type: ignore[attr-defined]
        status, content = proxy.forward(self.path, body, headers)
        self.send_response(status)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the benchmark prints its own figures."""
