"""Two `coachbot run --webhook` replicas on one PostgreSQL database, behind a small
round-robin proxy, for the replica tests and the replica benchmark.

    with Replicas(server, database_url, folder) as replicas:
        replicas.sender()          # which replica holds the sender lock: 0 or 1
        replicas.bots[0].kill()    # kill -9, as a crash
        replicas.send_now(planner, ids, cohort_id, kill_after=500)   # kill -9 the sender
        replicas.proxy.routes      # update id -> the replicas it was posted to, in order

The local Bot API server posts every update to the proxy, over many connections at
once, and the proxy passes each post to the next replica in turn: two updates from
one person posted at the same moment go to different replicas. Like Caddy's
``lb_try_duration``, a post that a replica refuses (it is down) goes to the other.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Engine

from bot.core.jobs.planner import DailyPrompts
from bot.storage.database import make_engine
from bot.storage.migrate import upgrade
from bot.storage.operations import sender_session
from tests.bot_process import (
    BotProcess,
    environment,
    free_port,
    prompts_received,
    unconfirmed,
)
from tests.fake_bot_api import FakeBotAPI, Poster

WEBHOOK_SECRET = "replicas-webhook-secret_7"
#: What each replica calls itself in pg_stat_activity, so the sender can be told apart.
NAMES = ("coachbot-replica-a", "coachbot-replica-b")
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
#: After a kill, sends recorded sooner than this were the killed replica's, in flight.
IN_FLIGHT_GRACE = 0.1


class RoundRobinProxy:
    """An HTTP server that passes each POST on to its upstreams in turn."""

    def __init__(self, upstreams: list[str]) -> None:
        self.upstreams = upstreams
        self.port = free_port()
        #: Update id -> the index of each replica it was passed to, in order.
        self.routes: defaultdict[int, list[int]] = defaultdict(list)
        self._turns = itertools.count()
        self._guard = threading.Lock()
        #: Each handler thread's own kept-alive connections to the replicas.
        self._posters = threading.local()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def forward(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """Post to the next upstream; to the one after if it refuses the connection."""
        with self._guard:
            first = next(self._turns)
        update_id = _update_id(body)
        for attempt in range(len(self.upstreams)):
            index = (first + attempt) % len(self.upstreams)
            # Noted before the answer: a replica answers once the update is handled,
            # and a test may look as soon as the replies are out.
            route = self._note(update_id, index)
            try:
                status, _, content = self._poster().post(
                    f"{self.upstreams[index]}{path}", body, headers
                )
            except (OSError, http.client.HTTPException):
                with self._guard:
                    route.pop()
                continue
            return status, content
        return 502, b""

    def _poster(self) -> Poster:
        poster: Poster | None = getattr(self._posters, "poster", None)
        if poster is None:
            poster = self._posters.poster = Poster(timeout=30.0)
        return poster

    def _note(self, update_id: int | None, index: int) -> list[int]:
        """Notes that this update goes to replica ``index``; its route (a spare list for
        a post that is no update)."""
        with self._guard:
            route = self.routes[update_id] if update_id is not None else []
            route.append(index)
            return route

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Forwarder(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {"Content-Type": self.headers.get("Content-Type") or "application/json"}
                if secret := self.headers.get(SECRET_HEADER):
                    headers[SECRET_HEADER] = secret
                status, content = proxy.forward(self.path, body, headers)
                self.send_response(status)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Forwarder


def _update_id(body: bytes) -> int | None:
    try:
        return int(json.loads(body)["update_id"])
    except (ValueError, KeyError, TypeError):
        return None


class Replicas:
    """Two replicas in webhook mode behind a :class:`RoundRobinProxy`, on one database."""

    def __init__(self, server: FakeBotAPI, database_url: str, folder: Path) -> None:
        self.server = server
        self.database_url = database_url
        self.ports = [free_port(), free_port()]
        self.proxy = RoundRobinProxy([f"http://127.0.0.1:{port}" for port in self.ports])
        self.engine: Engine = make_engine(database_url)
        self.bots: list[BotProcess] = []
        for name, port in zip(NAMES, self.ports, strict=True):
            logs = folder / name
            logs.mkdir(parents=True, exist_ok=True)
            variables = environment(
                server,
                f"{database_url}?application_name={name}",
                COACHBOT_WEBHOOK_URL=self.proxy.url,
                COACHBOT_WEBHOOK_SECRET=WEBHOOK_SECRET,
            )
            self.bots.append(BotProcess(variables, logs, ("--webhook", "--port", str(port))))

    def __enter__(self) -> Replicas:
        upgrade(self.engine)  # once, before either starts, so enrolling can begin at once
        self.proxy.start()
        for bot in self.bots:
            bot.start()
        for bot in self.bots:
            bot.wait_until_connected()
        self.wait_for_sender()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for bot in self.bots:
            bot.close()
        self.proxy.stop()
        self.engine.dispose()

    def sender(self) -> int | None:
        """Which replica holds the sender lock (0 or 1), or None if neither does."""
        with self.engine.connect() as connection:
            session = sender_session(connection)
        if session is None or session.application not in NAMES:
            return None
        return NAMES.index(session.application)

    def wait_for_sender(self, timeout: float = 60.0) -> int:
        deadline = time.monotonic() + timeout
        while (sender := self.sender()) is None:
            assert time.monotonic() < deadline, "no replica took the sender lock"
            time.sleep(0.1)
        return sender

    def send_now(
        self,
        planner: DailyPrompts,
        ids: list[int],
        cohort_id: int,
        *,
        kill_after: int | None = None,
        timeout: float = 600.0,
    ) -> SendNow:
        """A send-now to the cohort ``ids`` are in, until each has their prompt; with
        ``kill_after``, the sending replica is killed by kill -9 once that many are sent."""
        server = self.server
        sender = self.wait_for_sender()
        began = time.monotonic()
        planned = planner.send_now(cohort_id).prompts
        assert planned == len(ids), f"{planned} prompts queued for {len(ids)} operatives"
        killed_at = None
        if kill_after is not None:
            deadline = time.monotonic() + timeout
            while sum(prompts_received(server, ids).values()) < kill_after:
                assert time.monotonic() < deadline, "the send-now stalled before the kill"
                time.sleep(0.02)
            killed_at = time.monotonic()
            self.bots[sender].kill()
        deadline = time.monotonic() + timeout
        while set(prompts_received(server, ids)) != set(ids):
            assert time.monotonic() < deadline, "the send-now did not finish"
            time.sleep(0.05)
        drain = time.monotonic() - began
        time.sleep(1.0)  # a repeat still on its way would land now
        times = sorted(t for chat in ids for t in server.stats.sent_by_chat.get(chat, []))
        takeover = None
        if killed_at is not None:
            # What the killed replica had in flight may still be recorded just after.
            takeover = min(t for t in times if t > killed_at + IN_FLIGHT_GRACE) - killed_at
        return SendNow(
            received=prompts_received(server, ids),
            counted=unconfirmed(self.database_url),
            sender=sender,
            drain_seconds=drain,
            takeover_seconds=takeover,
            messages_per_second=(len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0,
        )

    @property
    def output(self) -> str:
        return "".join(bot.output for bot in self.bots)


@dataclass(frozen=True)
class SendNow:
    """How a send-now across the replicas went."""

    #: Prompts each operative received.
    received: Counter[int]
    #: Sends the outbox counted as possibly repeated (their answer never came).
    counted: int
    #: The replica that was sending when it began.
    sender: int
    drain_seconds: float
    #: From the kill to the next prompt sent (by the other replica), if there was a kill.
    takeover_seconds: float | None
    messages_per_second: float

    @property
    def duplicates(self) -> int:
        return sum(self.received.values()) - len(self.received)
