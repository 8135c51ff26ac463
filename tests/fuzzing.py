"""Random updates of every kind, from many users, through the real Application.

The bot runs as `coachbot run` builds it (python-telegram-bot's Application,
polling the local fake Bot API server) on a thread of its own; a hypothesis
state machine plays the users: texts (Unicode, huge, commands with odd
arguments), real and forged button presses, stickers and pictures, edits and
group messages. After each update it waits until the bot has handled it, then
checks what a user would see:

- every private text, command and attachment got a message (or an edit) back;
- every button press was answered (it stops spinning);
- the Bot API refused nothing (no 400s), and no handler logged an error.

``tests/e2e/test_fuzz.py`` runs a few hundred updates and fails on the first
miss; ``python -m bench fuzz`` runs 10,000 and prints the figures.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test
from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.core.handlers.facilitation import create_cohort
from bot.core.model import Cohort, Operative, Role
from bot.core.router import Coach
from bot.telegram.app import build_application
from bot.telegram.limiter import SendLimiter
from tests.fake_bot_api import FakeBotAPI, FakeUser, UserAction, utf16_len

#: How long one update may take before it counts as unanswered (a first /summary
#: loads matplotlib).
UPDATE_TIMEOUT = 30.0
TEXT_LIMIT = 4096

COMMANDS = (
    "start",
    "help",
    "settings",
    "pause",
    "resume",
    "stop",
    "privacy",
    "practice",
    "later",
    "gaps",
    "summary",
    "export",
    "newcohort",
    "cohorts",
    "followup",
    "commitments",
    "grant",
    "forgetme",
)
ODD_ARGUMENTS = st.one_of(
    st.just(""),
    st.sampled_from(
        [
            "²",
            "٣",
            "7",
            "0",
            "91",
            "99999999999999999999",
            "-1",
            "0000-01",
            "9999-12",
            "2026-13",
            "last-month",
            "4w",
            "until 31/02",
            "until 24/12",
            "Europe",
            "Europe/Paris",
            "Leeds repairs 28/11",
            "900 admin",
            "² manager",
            "<b>bold</b> & co",
        ]
    ),
    st.text(max_size=80),
)
OPERATIVE_TEXTS = (
    "tenant kicking off about the wait",
    "what do i say if they want me to do extra work",
    "no one in, card left",
    "running late for the next job",
    "i would show my id and explain",
    "Europe/London",
    "hello",
    "thanks",
    "🙂",
    "مرحبا",
    "Ünïcödé ﷽ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
)
FORGED_DATA = st.one_of(
    st.text(min_size=1, max_size=64).filter(lambda data: len(data.encode()) <= 64),
    st.builds(
        "{}{}".format,
        st.sampled_from(
            [
                "fu:send:",
                "fu:at:1:",
                "fu:pick:",
                "coh:close:",
                "cm:list:",
                "cm:out:",
                "set:h:",
                "set:m:9:",
                "set:d:",
                "set:dd:",
                "set:tz:",
                "pause:",
                "ans:doorstep-id-first:",
                "tip:",
                "stop:",
                "forget:",
            ]
        ),
        st.sampled_from(["²", "٣", "99999999999999999999", "1", "0", "-1", "", "yes", "x" * 50]),
    ),
)


def _fit(text: str) -> str:
    """What Telegram would deliver: trimmed, not empty, at most 4,096 UTF-16 units."""
    text = text.strip() or "?"
    while utf16_len(text) > TEXT_LIMIT:
        text = text[: len(text) - (utf16_len(text) - TEXT_LIMIT + 1) // 2 - 1]
    return text


TEXTS = st.one_of(
    st.sampled_from(OPERATIVE_TEXTS),
    st.text(min_size=1, max_size=300),
    st.builds(
        lambda piece, times: piece * times, st.text(min_size=1, max_size=3), st.integers(500, 4096)
    ),
).map(_fit)


@dataclass
class Tally:
    """What the fuzzing saw, in the terms a user (and an operator) would."""

    updates: int = 0
    #: Updates sent, by kind (text, command, press, edit, group...).
    kinds: Counter[str] = field(default_factory=Counter)
    texts: int = 0
    texts_answered: int = 0
    presses: int = 0
    presses_answered: int = 0
    ignored: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    handler_errors: list[str] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    refusal_causes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def answered_percent(self) -> float:
        expected = self.texts + self.presses
        return (
            100.0 * (self.texts_answered + self.presses_answered) / expected if expected else 100.0
        )

    @property
    def bad_requests(self) -> int:
        return sum(count for key, count in self.refused.items() if key.endswith(" 400"))

    def figures(self) -> dict[str, Any]:
        return {
            "updates": self.updates,
            "by_kind": dict(self.kinds),
            "private_texts": self.texts,
            "private_texts_answered": self.texts_answered,
            "button_presses": self.presses,
            "button_presses_answered": self.presses_answered,
            "ignored_by_design": self.ignored,
            "answered_percent": round(self.answered_percent, 2),
            "bot_api_400s": self.bad_requests,
            "bot_api_refusals": dict(self.refused),
            "handler_errors": len(self.handler_errors),
            "handler_error_lines": self.handler_errors[:20],
            "misses": self.misses[:20],
            "refusal_causes": self.refusal_causes[:20],
            "seconds": round(self.seconds, 1),
            "updates_per_second": round(self.updates / self.seconds, 1) if self.seconds else None,
        }


class ErrorLog(logging.Handler):
    """Every ERROR (or worse) logged while fuzzing: a handler that failed says so here."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.name}: {record.getMessage()}")


class LiveBot:
    """The real Application, polling the fake server from its own thread and event loop.

    A last handler group notes each update once every handler has finished with it.
    """

    def __init__(self, coach: Coach, server: FakeBotAPI) -> None:
        self.coach = coach
        self.server = server
        self._handled: set[int] = set()
        self._condition = threading.Condition()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def __enter__(self) -> LiveBot:
        self._thread.start()
        if not self._ready.wait(60):
            raise RuntimeError("the bot did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        self._thread.join(60)

    def handled(self, update_id: int, timeout: float = UPDATE_TIMEOUT) -> bool:
        """Wait until the bot has finished with this update; False if it never does."""
        with self._condition:
            return self._condition.wait_for(lambda: update_id in self._handled, timeout)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopping = asyncio.Event()
        application: Application = build_application(  # type: ignore[type-arg]
            self.coach,
            self.server.token,
            self.server.base_url,
            self.server.base_file_url,
            limiter=SendLimiter(per_second=10_000, per_chat_interval=0.0),
        )
        application.add_handler(TypeHandler(Update, self._note), group=1)
        await application.initialize()
        assert application.post_init is not None and application.updater is not None
        await application.post_init(application)
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        await application.start()
        self._ready.set()
        await self._stopping.wait()
        await application.updater.stop()
        await application.stop()
        await application.shutdown()

    async def _note(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        with self._condition:
            self._handled.add(update.update_id)
            self._condition.notify_all()


ADMIN_OFFSET = 2
Kind = Literal["text", "command", "attachment", "press", "forged press", "edit", "group"]
#: Updates that must get a message back, and those that must get their press answered;
#: edits and group chatter get nothing, by design.
REPLIED: Final = frozenset({"text", "command", "attachment"})
ANSWERED: Final = frozenset({"press", "forged press"})


class Fuzz:
    """What lasts across hypothesis examples: the server, the live bot, the people, the tally.

    Nothing fails during the run (a state machine that depends on a live bot can't be
    replayed or shrunk); the test asserts on the tally at the end, which names each miss.
    """

    def __init__(
        self,
        coach: Coach,
        server: FakeBotAPI,
        bot: LiveBot,
        errors: ErrorLog,
        *,
        people: int,
        first_id: int,
        admin_id: int,
    ) -> None:
        self.coach = coach
        self.server = server
        self.bot = bot
        self.errors = errors
        self.tally = Tally()
        #: How many updates this run sends (set by :func:`run`).
        self.limit = 0
        ids = [first_id + number for number in range(people)]
        ids[ADMIN_OFFSET] = admin_id
        self.users: list[FakeUser] = [
            server.user(user_id, first_name=name)
            for user_id, name in zip(ids, _names(people), strict=True)
        ]
        self.own_texts: dict[int, list[int]] = {}
        #: Per user, every (message id, callback data) shown so far, oldest first.
        self.buttons_seen: dict[int, dict[tuple[int, str], None]] = {}
        self.invite_codes = self._enrol(ids)

    def _enrol(self, ids: list[int]) -> list[str]:
        """Most people have started the bot already, with every role among them; some haven't."""
        now = self.coach.clock()
        codes = []
        with self.coach.uow_factory() as uow:
            for number, user_id in enumerate(ids):
                if number % 5 == 4:
                    continue  # never started: they get "send /start"
                role = {0: Role.FACILITATOR, 1: Role.MANAGER}.get(number % 10, Role.OPERATIVE)
                uow.operatives.add(
                    Operative(
                        user_id, f"Person {number}", "Europe/London", role=role, created_at=now
                    )
                )
                if role is Role.FACILITATOR:
                    cohort: Cohort = create_cohort(uow, f"Group {number}", now.date(), user_id, now)
                    codes.append(cohort.invite_code)
            uow.commit()
        return codes

    def act(self, user: FakeUser, kind: Kind, *actions: Callable[[], UserAction]) -> None:
        """Send updates (together, before the bot handles any), wait until it has handled
        them all, and check what the user saw. Once the run has sent its number, nothing."""
        if self.tally.updates >= self.limit:
            return
        errors_before = len(self.errors.lines)
        requests_before = self.server.request_count
        events_before = self.server.event_count(user.id)
        sent = [action() for action in actions]
        handled = all(self.bot.handled(update.update_id) for update in sent)
        self.tally.updates += len(sent)
        self.tally.kinds[kind] += len(sent)
        what = f"{kind} {_describe(sent[-1])}"
        miss = None
        if kind in REPLIED:
            self.tally.texts += len(sent)
            if handled and self.server.event_count(user.id) > events_before:
                self.tally.texts_answered += len(sent)
            else:
                miss = f"no reply to {what}"
        elif kind in ANSWERED:
            self.tally.presses += len(sent)
            waiting = set(self.server.unanswered_callback_queries)
            answered = [u for u in sent if handled and u.callback_query_id not in waiting]
            self.tally.presses_answered += len(answered)
            if len(answered) < len(sent):
                miss = f"press not answered: {what}"
        else:
            self.tally.ignored += len(sent)
        refused = [
            f"{call.method} {call.status}"
            for call in self.server.calls_since(requests_before)
            if call.status >= 400
        ]
        self.tally.refused.update(refused)
        if refused:
            self.tally.refusal_causes.append(f"{refused} after {what}")
        self.tally.handler_errors += self.errors.lines[errors_before:]
        if miss is not None:
            self.tally.misses.append(miss)
        self._note_buttons(user)

    def buttons_now(self, user: FakeUser) -> list[tuple[int, str]]:
        """(message id, callback data) of the buttons this user can see now."""
        return [
            (message.message_id, button["callback_data"])
            for message in self.server.messages(user.id)
            for row in (message.reply_markup or {}).get("inline_keyboard", [])
            for button in row
            if "callback_data" in button and not message.deleted
        ]

    def _note_buttons(self, user: FakeUser) -> None:
        """Remember every button once shown: old messages keep old buttons on a phone."""
        seen = self.buttons_seen.setdefault(user.id, {})
        for button in self.buttons_now(user)[-40:]:
            seen[button] = None
        while len(seen) > 200:
            del seen[next(iter(seen))]


def _describe(action: UserAction) -> str:
    """An update in a few words, for a report: what was typed or pressed, cut short."""
    update = action.update
    if "callback_query" in update:
        query = update["callback_query"]
        return f"data={query.get('data')!r} on #{query['message']['message_id']}"
    message = update.get("message") or update.get("edited_message") or {}
    shown = message.get("text")
    if shown is None:
        shown = next(
            (key for key in ("sticker", "photo", "voice", "location", "contact") if key in message),
            "?",
        )
    return repr(shown[:60])


def _names(count: int) -> list[str]:
    firsts = ["Sam", "Priya", "Amir", "Zoë", "Łukasz", "Siobhán", "O'Neil", "<b>Bo</b>", "李", "😀"]
    return [firsts[number % len(firsts)] for number in range(count)]


def machine(fuzz: Fuzz) -> type[RuleBasedStateMachine]:
    """A hypothesis state machine whose steps are users' updates to the live bot."""
    people = st.integers(0, len(fuzz.users) - 1)

    class Updates(RuleBasedStateMachine):
        def _user(self, number: int) -> FakeUser:
            return fuzz.users[number]

        @rule(person=people, text=TEXTS)
        def types(self, person: int, text: str) -> None:
            user = self._user(person)

            def send() -> UserAction:
                action = user.send(text)
                fuzz.own_texts.setdefault(user.id, []).append(action.message_id or 0)
                return action

            fuzz.act(user, "text", send)

        @rule(
            person=people,
            name=st.one_of(st.sampled_from(COMMANDS), st.from_regex(r"\A[a-z_]{1,40}\Z")),
            arguments=ODD_ARGUMENTS,
            mention=st.booleans(),
        )
        def commands(self, person: int, name: str, arguments: str, mention: bool) -> None:
            user = self._user(person)
            head = f"/{name}@{fuzz.server.bot_username}" if mention else f"/{name}"
            fuzz.act(user, "command", lambda: user.send(_fit(f"{head} {arguments}")))

        @rule(person=people, code=st.integers(0, 50))
        def starts_with_an_invite(self, person: int, code: int) -> None:
            user = self._user(person)
            codes = fuzz.invite_codes
            invite = codes[code % len(codes)] if codes and code < 40 else "NOSUCHCODE1"
            fuzz.act(user, "command", lambda: user.send(f"/start {invite}"))

        # Choices among what is on screen are drawn as a number and taken modulo, as a
        # hypothesis draw may not depend on the state outside it.
        @rule(person=people, pick=st.integers(0, 10**6), twice=st.booleans())
        def presses_a_button_on_screen(self, person: int, pick: int, twice: bool) -> None:
            """A button as it is now; sometimes a double tap, sent before the bot answers."""
            user = self._user(person)
            buttons = fuzz.buttons_now(user)
            if not buttons:  # something with buttons first (unless they never started)
                fuzz.act(user, "command", lambda: user.send("/settings"))
                buttons = fuzz.buttons_now(user)
            if not buttons:
                return
            message_id, value = buttons[-30:][pick % min(30, len(buttons))]
            taps = 2 if twice else 1
            fuzz.act(user, "press", *[lambda: user.press_data(value, message_id)] * taps)

        @rule(
            person=people,
            pick=st.integers(0, 10**6),
            anyone=st.booleans(),
            where=st.integers(0, 10**6),
        )
        def presses_an_old_or_borrowed_button(
            self, person: int, pick: int, anyone: bool, where: int
        ) -> None:
            """A button shown earlier (since edited away), or real data from someone else's
            screen, pressed on one of this user's messages or on one that isn't there."""
            user = self._user(person)
            owner = fuzz.users[where % len(fuzz.users)] if anyone else user
            seen = list(fuzz.buttons_seen.get(owner.id, {}))
            if not seen:
                fuzz.act(user, "command", lambda: user.send("/help"))
                return
            message_id, value = seen[pick % len(seen)]
            if owner is not user or where % 4 == 0:
                mine = [message.message_id for message in fuzz.server.messages(user.id)]
                message_id = mine[where % len(mine)] if mine and where % 3 else where + 10**5
            fuzz.act(user, "forged press", lambda: user.press_data(value, message_id))

        @rule(person=people, data=FORGED_DATA, message_id=st.integers(1, 10**6))
        def presses_a_forged_button(self, person: int, data: str, message_id: int) -> None:
            user = self._user(person)
            mine = [message.message_id for message in fuzz.server.messages(user.id)]
            target = mine[message_id % len(mine)] if mine and message_id % 3 else message_id
            fuzz.act(user, "forged press", lambda: user.press_data(data, target))

        @rule(
            person=people,
            which=st.sampled_from(["sticker", "photo", "voice", "location", "contact"]),
        )
        def sends_an_attachment(self, person: int, which: str) -> None:
            user = self._user(person)
            senders: dict[str, Callable[[], UserAction]] = {
                "sticker": user.send_sticker,
                "photo": user.send_photo,
                "voice": user.send_voice,
                "location": lambda: user.send_location(53.8, -1.55),
                "contact": user.send_contact,
            }
            fuzz.act(user, "attachment", senders[which])

        @rule(person=people, text=TEXTS, pick=st.integers(0, 10**6))
        def edits_an_earlier_message(self, person: int, text: str, pick: int) -> None:
            user = self._user(person)
            if not fuzz.own_texts.get(user.id):  # something to edit first
                self.types(person, _fit("first " + text))
            mine = [mid for mid in fuzz.own_texts.get(user.id, []) if mid]
            if mine:
                fuzz.act(user, "edit", lambda: user.edit(mine[pick % len(mine)], text))

        @rule(
            person=people, text=st.one_of(TEXTS, st.sampled_from(["/start", "/help", "/summary"]))
        )
        def writes_in_a_group(self, person: int, text: str) -> None:
            user = self._user(person)
            fuzz.act(user, "group", lambda: user.send_in_group(text))

    return Updates


def run(fuzz: Fuzz, updates: int, *, steps_per_example: int = 15) -> Tally:
    """Play at least ``updates`` updates against the live bot; the tally of what happened."""
    started = time.monotonic()
    options = settings(
        max_examples=max(1, updates // steps_per_example + 1),
        stateful_step_count=steps_per_example,
        deadline=None,
        database=None,
        # No replaying or shrinking: the bot's state lives on between examples, so an
        # example replayed later means something else. A failure prints its steps.
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )
    states = machine(fuzz)
    fuzz.limit = updates
    while fuzz.tally.updates < updates:
        run_state_machine_as_test(states, settings=options)
    fuzz.tally.seconds = time.monotonic() - started
    return fuzz.tally
