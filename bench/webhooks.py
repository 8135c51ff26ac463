"""The local Bot API server, posting webhook updates over several connections at once.

Telegram posts a webhook's updates over up to ``max_connections`` connections (40 unless
setWebhook says otherwise). The local server in tests/fake_bot_api.py posts them one
after another, which would cap two replicas at the pace of one round trip through the
proxy. This one posts up to ``max_connections`` at once, each chat's one at a time and
in order (the next only once the last was answered), and drops each update once it is
answered with a 2xx, as the base server does.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.fake_bot_api import FakeBotAPI


def update_chat(update: dict[str, Any]) -> int | None:
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


class ParallelWebhooks(FakeBotAPI):
    def _webhook_loop(self) -> None:
        out: set[int] = set()  # update ids posted and not yet answered
        with (
            httpx.Client(timeout=10.0, limits=httpx.Limits(max_connections=100)) as client,
            ThreadPoolExecutor(100, thread_name_prefix="fake-webhook") as posters,
        ):
            while not self._stopping.is_set():
                with self._cond:
                    hook = dict(self._webhook) if self._webhook is not None else None
                    update = None
                    if hook is not None and len(out) < hook["max_connections"]:
                        update = self._next_to_post(out)
                    if update is None:
                        self._cond.wait(0.5)
                        continue
                    out.add(update["update_id"])
                posters.submit(self._post, client, hook, update, out)

    def _next_to_post(self, out: set[int]) -> dict[str, Any] | None:
        """The first update whose chat has nothing out and nothing earlier waiting."""
        busy: set[int | None] = set()
        for update in self._updates:
            chat = update_chat(update)
            if update["update_id"] in out or chat in busy:
                busy.add(chat)
                continue
            if chat is not None:
                busy.add(chat)
            return update
        return None

    def _post(
        self, client: httpx.Client, hook: dict[str, Any], update: dict[str, Any], out: set[int]
    ) -> None:
        headers = {"Content-Type": "application/json"}
        if hook["secret_token"]:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
        try:
            response = client.post(hook["url"], content=json.dumps(update), headers=headers)
            ok = 200 <= response.status_code < 300
        except httpx.HTTPError:
            ok = False
        with self._cond:
            if ok:
                self._updates.remove(update)
            out.discard(update["update_id"])
            self._cond.notify_all()
        if not ok:
            threading.Event().wait(0.2)
