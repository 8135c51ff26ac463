"""The conversation: an inbound event in, replies out.

    coach = Coach(uow_factory, library, clock, CoachConfig(default_timezone="Europe/London"))
    replies = coach.handle(Command(Sender(42, "Sam"), "start", "ABCD1234"))

Every adapter (Telegram, terminal, tests) drives this one class.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core import answering, facilitation, preferences, sequence, summaries
from bot.core.content import Library
from bot.core.dates import parse_day
from bot.core.history import Record, record_of
from bot.core.matching import Matcher
from bot.core.messages import (
    Button,
    ButtonPress,
    Command,
    Event,
    Reply,
    Sender,
    Text,
    Unsupported,
)
from bot.core.model import (
    Delivery,
    EngagementEvent,
    EventType,
    Kind,
    Operative,
    OutboxMessage,
    Role,
    Status,
)
from bot.core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.core.scheduling import local_now, snoozed
from bot.core.selection import next_prompt
from bot.core.telegram_html import escape

#: Deep-link payloads are at most 64 of these characters.
INVITE_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
PAUSE_CHOICES = ((1, "1 day"), (7, "1 week"), (14, "2 weeks"), (0, "Until I resume"))
MAX_PAUSE_DAYS = 90

#: The commands shown in Telegram's menu, in order; their descriptions are texts.
MENU_COMMANDS = (
    "practice",
    "later",
    "settings",
    "pause",
    "resume",
    "help",
    "privacy",
    "stop",
    "start",
)
#: How far back the facilitators' content-gap list looks.
GAP_DAYS = 28


@dataclass(frozen=True)
class CoachConfig:
    default_timezone: str = "Europe/London"
    admin_ids: frozenset[int] = frozenset()


@dataclass
class Turn:
    """One event being handled: the unit of work, the operative (if known) and the time."""

    uow: UnitOfWork
    operative: Operative | None
    today: date
    replies: list[Reply] = field(default_factory=list)

    def say(
        self, text: str, buttons: tuple[tuple[Button, ...], ...] = (), *, replace: bool = False
    ) -> None:
        self.replies.append(Reply(text, buttons, replace=replace))


Handler = Callable[["Coach", Turn, Sender, str], None]


class Coach:
    """The coach's side of every conversation."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        library: Library,
        clock: Clock,
        config: CoachConfig | None = None,
        matcher: Matcher | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.library = library
        self.clock = clock
        self.config = config or CoachConfig()
        self._matcher = matcher
        #: The bot's Telegram username, for invite links; the adapter sets it on start.
        self.bot_username: str | None = None
        self._commands: dict[str, Handler] = {
            "start": Coach._start,
            "help": Coach._help,
            "settings": Coach._settings,
            "pause": Coach._pause,
            "resume": Coach._resume,
            "stop": Coach._stop,
            "privacy": Coach._privacy,
            "practice": Coach._practice,
            "gaps": Coach._gaps,
            "later": Coach._later,
            "summary": summaries.summary_command,
            "export": summaries.export_command,
            "newcohort": facilitation.new_cohort,
            "cohorts": facilitation.list_cohorts,
            "followup": facilitation.follow_up,
            "commitments": facilitation.commitments,
            "grant": facilitation.grant,
        }

    @property
    def matcher(self) -> Matcher:
        """The message router, built when first used: commands that never route a message
        (reports, cohorts, grants) don't wait the second or more it takes to build."""
        if self._matcher is None:
            self._matcher = Matcher(self.library)
        return self._matcher

    def text(self, key: str, **values: object) -> str:
        return self.library.text(key, **values)

    def menu(self) -> list[tuple[str, str]]:
        """(command, description) pairs for Telegram's command menu."""
        return [(name, self.text(f"command_{name}")) for name in MENU_COMMANDS]

    def handle(self, event: Event) -> list[Reply]:
        """Handle one inbound event in one transaction and return what to say back."""
        sender = event.sender
        with self.uow_factory() as uow:
            operative = uow.operatives.get(sender.user_id)
            turn = Turn(uow, operative, self._today(operative))
            self._dispatch(turn, event)
            uow.commit()
        return turn.replies

    def _today(self, operative: Operative | None) -> date:
        zone = ZoneInfo(operative.timezone if operative else self.config.default_timezone)
        return self.clock().astimezone(zone).date()

    def _dispatch(self, turn: Turn, event: Event) -> None:
        match event:
            case Command(sender=sender, name=name, args=args):
                handler = self._commands.get(name)
                if handler is None:
                    turn.say(self.text("unknown_command", command=escape(name)))
                elif name != "start" and not self._ready(turn):
                    return
                else:
                    handler(self, turn, sender, args.strip())
            case ButtonPress(sender=sender, data=data):
                if self._ready(turn):
                    self._press(turn, sender, data)
            case Text(sender=sender, text=text):
                if self._ready(turn):
                    self._free_text(turn, sender, text)
            case Unsupported():
                turn.say(self.text("unsupported"))

    def _ready(self, turn: Turn) -> bool:
        """Whether the sender can use the bot now; if not, say what to do instead."""
        if turn.operative is None:
            turn.say(self.text("not_started"))
            return False
        if turn.operative.status is Status.STOPPED:
            turn.say(self.text("stopped_reminder"))
            return False
        return True

    def log(self, turn: Turn, type_: EventType, **payload: object) -> None:
        operative_id = turn.operative.id if turn.operative else None
        turn.uow.events.record(
            EngagementEvent(type_.value, operative_id, self.clock(), dict(payload))
        )

    def role_of(self, operative: Operative) -> Role:
        return Role.ADMIN if operative.telegram_id in self.config.admin_ids else operative.role

    # -- enrolment ---------------------------------------------------------------

    def _start(self, turn: Turn, sender: Sender, code: str) -> None:
        cohort_id, cohort_note = self._cohort_for(turn, code)
        operative = turn.operative
        if operative is None:
            operative = Operative(
                telegram_id=sender.user_id,
                display_name=sender.name[:120],
                timezone=self.config.default_timezone,
                role=Role.ADMIN if sender.user_id in self.config.admin_ids else Role.OPERATIVE,
                cohort_id=cohort_id,
                created_at=self.clock(),
            )
            turn.operative = turn.uow.operatives.add(operative)
            self.log(turn, EventType.ENROLLED, cohort=cohort_id)
            turn.say(self.text("welcome", name=escape(operative.display_name), **_when(operative)))
        else:
            rejoined = operative.status is not Status.ACTIVE
            operative.status = Status.ACTIVE
            operative.paused_until = None
            operative.awaiting = None
            if cohort_id is not None:
                operative.cohort_id = cohort_id
            turn.uow.operatives.save(operative)
            if rejoined:
                self.log(turn, EventType.RESUMED)
            key = "welcome_back" if rejoined else "already_enrolled"
            turn.say(self.text(key, name=escape(operative.display_name), **_when(operative)))
        if cohort_note:
            turn.say(cohort_note)

    def _cohort_for(self, turn: Turn, code: str) -> tuple[int | None, str | None]:
        """The cohort an invite code names, and a note to add if it doesn't work."""
        if not code:
            return None, None
        cohort = turn.uow.cohorts.by_code(code) if INVITE_CODE.match(code) else None
        if cohort is None:
            return None, self.text("cohort_unknown")
        if not cohort.is_open:
            return None, self.text("cohort_closed")
        return cohort.id, self.text("welcome_cohort", cohort=escape(cohort.name))

    def _help(self, turn: Turn, sender: Sender, args: str) -> None:
        operative = _known(turn)
        extra = ""
        if facilitation.leads(self, operative):
            extra = "\n\n" + self.text("help_facilitator")
        if self.role_of(operative) in (Role.MANAGER, Role.ADMIN):
            extra += "\n\n" + self.text("help_manager")
        turn.say(self.text("help") + extra)

    def _privacy(self, turn: Turn, sender: Sender, args: str) -> None:
        turn.say(self.text("privacy"))

    def _stop(self, turn: Turn, sender: Sender, args: str) -> None:
        turn.say(
            self.text("stop_confirm"),
            ((Button("Yes, stop", "stop:yes"), Button("No, keep going", "stop:no")),),
        )

    def _confirm_stop(self, turn: Turn, answer: str) -> None:
        operative = _known(turn)
        if answer != "yes":
            turn.say(self.text("stop_cancelled"))
            return
        operative.status = Status.STOPPED
        operative.awaiting = None
        turn.uow.operatives.save(operative)
        assert operative.id is not None
        turn.uow.outbox.cancel_pending(operative.id)
        self.log(turn, EventType.STOPPED)
        turn.say(self.text("stopped"))

    # -- pausing -----------------------------------------------------------------

    def _pause(self, turn: Turn, sender: Sender, args: str) -> None:
        if not args:
            turn.say(
                self.text("pause_ask"),
                tuple((Button(label, f"pause:{days}"),) for days, label in PAUSE_CHOICES),
            )
            return
        if args.isdigit():
            if not 1 <= int(args) <= MAX_PAUSE_DAYS:
                turn.say(self.text("pause_bad_days"))
                return
            self._pause_for(turn, int(args))
            return
        last_day = parse_day(args, turn.today)
        if last_day is None:
            turn.say(self.text("pause_bad_date"))
            return
        self._pause_for(turn, (last_day - turn.today).days + 1, until=last_day)

    def _pause_for(self, turn: Turn, days: int, until: date | None = None) -> None:
        """Pause for ``days`` days (0: until /resume); ``until`` is the last day off."""
        operative = _known(turn)
        operative.status = Status.PAUSED
        operative.paused_until = turn.today + timedelta(days=days) if days else None
        turn.uow.operatives.save(operative)
        assert operative.id is not None
        # Today's prompt may already be queued: a pause means nothing more today.
        turn.uow.outbox.cancel_pending(operative.id)
        self.log(turn, EventType.PAUSED, days=days)
        if operative.paused_until is None:
            turn.say(self.text("paused_indefinitely"))
        elif until is not None:
            turn.say(self.text("paused_until_date", date=_long_date(until)))
        else:
            turn.say(self.text("paused_until", date=_long_date(operative.paused_until)))

    def _resume(self, turn: Turn, sender: Sender, args: str) -> None:
        operative = _known(turn)
        if operative.status is not Status.PAUSED:
            turn.say(self.text("not_paused", **_when(operative)))
            return
        operative.status = Status.ACTIVE
        operative.paused_until = None
        turn.uow.operatives.save(operative)
        self.log(turn, EventType.RESUMED)
        turn.say(self.text("resumed", **_when(operative)))

    # -- settings ----------------------------------------------------------------

    def _settings(self, turn: Turn, sender: Sender, args: str) -> None:
        operative = _known(turn)
        turn.say(self.text("settings", **preferences.summary(operative)), preferences.MENU)

    # -- buttons and text --------------------------------------------------------

    def _press(self, turn: Turn, sender: Sender, data: str) -> None:
        kind, _, rest = data.partition(":")
        if kind == "stop":
            self._confirm_stop(turn, rest)
        elif kind == "pause" and rest.isdigit() and int(rest) <= MAX_PAUSE_DAYS:
            self._pause_for(turn, int(rest))
        elif kind == "set":
            preferences.press(self, turn, rest)
        elif kind == "ans":
            prompt_id, _, option = rest.rpartition(":")
            answering.tapped(self, turn, prompt_id, option)
        elif kind == "tip":
            answering.tip_chosen(self, turn, rest)
        elif kind == "coh" and rest.startswith("close:"):
            facilitation.close_cohort(self, turn, rest.removeprefix("close:"))
        elif kind == "fu":
            facilitation.follow_up_button(self, turn, rest)
        elif kind == "cm" and rest.startswith("list:"):
            facilitation.show_commitments(self, turn, rest.removeprefix("list:"))
        elif kind == "cm":
            sequence.button(self, turn, rest)
        elif data == "checkin:keep":
            self.log(turn, EventType.SETTINGS_CHANGED, setting="kept_daily")
            turn.say(self.text("check_in_kept"), replace=True)
        else:
            turn.say(self.text("button_expired"))

    def _free_text(self, turn: Turn, sender: Sender, text: str) -> None:
        operative = _known(turn)
        awaiting = operative.awaiting or ""
        if awaiting == "timezone":
            preferences.typed_timezone(self, turn, text)
        elif awaiting.startswith(facilitation.FOLLOW_UP_PREFIX):
            facilitation.draft(
                self, turn, awaiting.removeprefix(facilitation.FOLLOW_UP_PREFIX), text
            )
        elif awaiting.startswith(sequence.PREFIX):
            sequence.typed(self, turn, awaiting.removeprefix(sequence.PREFIX), text)
        else:
            answering.typed(self, turn, text)

    # -- prompts -----------------------------------------------------------------

    def record(self, turn: Turn) -> Record:
        """What this operative has been sent and how they answered, by local date."""
        operative = _known(turn)
        assert operative.id is not None
        return record_of(operative, turn.uow.events.of(operative.id))

    def _later(self, turn: Turn, sender: Sender, args: str) -> None:
        """Snooze today's prompt an hour: move it if it hasn't gone, else a nudge later."""
        operative = _known(turn)
        assert operative.id is not None
        now = self.clock()
        outbox = turn.uow.outbox
        prompt = outbox.find(Kind.PROMPT, operative.id, turn.today)
        waiting = prompt is not None and operative.awaiting == (
            f"{answering.ANSWER_PREFIX}{prompt.prompt_id}"
        )
        if prompt is None or not (prompt.status is Delivery.PENDING or waiting):
            turn.say(self.text("later_nothing"))
            return
        assert prompt.id is not None
        if prompt.status is Delivery.PENDING:
            moved = snoozed(operative, prompt.due_at, now)
            if moved is None:
                turn.say(self.text("later_too_late"))
                return
            outbox.reschedule(prompt.id, moved)
            turn.say(self.text("later_moved", time=_clock_time(operative, moved)))
            return
        reminder = outbox.find(Kind.REMINDER, operative.id, turn.today)
        at = snoozed(operative, now, now)
        if at is None or (reminder is not None and reminder.status is not Delivery.PENDING):
            turn.say(self.text("later_too_late"))
            return
        if reminder is not None and reminder.id is not None:
            outbox.reschedule(reminder.id, at)
        else:
            outbox.add(
                OutboxMessage(
                    kind=Kind.REMINDER,
                    operative_id=operative.id,
                    chat_id=operative.telegram_id,
                    local_date=turn.today,
                    text=self.text("reminder"),
                    due_at=at,
                    prompt_id=prompt.prompt_id,
                ),
                now,
            )
        turn.say(self.text("later_reminder", time=_clock_time(operative, at)))

    def _practice(self, turn: Turn, sender: Sender, args: str) -> None:
        operative = _known(turn)
        prompt = next_prompt(
            self.library, self.record(turn).history, turn.today, operative.telegram_id
        )
        if prompt is None:
            turn.say(self.text("practice_none"))
            return
        operative.awaiting = f"{answering.ANSWER_PREFIX}{prompt.id}"
        turn.uow.operatives.save(operative)
        self.log(turn, EventType.PROMPT_SENT, item=prompt.id, via="practice")
        turn.replies.append(answering.prompt_reply(self, prompt))

    # -- facilitators ------------------------------------------------------------

    def _gaps(self, turn: Turn, sender: Sender, args: str) -> None:
        operative = _known(turn)
        role = self.role_of(operative)
        if role not in (Role.FACILITATOR, Role.ADMIN):
            turn.say(self.text("not_allowed"))
            return
        cohorts = None
        if role is Role.FACILITATOR:
            cohorts = [c.id for c in turn.uow.cohorts.created_by(operative.telegram_id) if c.id]
        since = self.clock() - timedelta(days=GAP_DAYS)
        gaps = turn.uow.gaps.recent(since, cohorts)
        if not gaps:
            turn.say(self.text("gaps_none", days=GAP_DAYS))
            return
        lines = [self.text("gaps_header", days=GAP_DAYS)]
        lines += [f"• {gap.created_at:%d %b}: {escape(gap.text[:200])}" for gap in gaps[:30]]
        turn.say("\n".join(lines))


def _known(turn: Turn) -> Operative:
    if turn.operative is None:
        raise LookupError("this handler needs an enrolled operative")
    return turn.operative


def _clock_time(operative: Operative, moment: datetime) -> str:
    return f"{local_now(operative, moment):%H:%M}"


def _long_date(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B}"


def _when(operative: Operative) -> dict[str, str]:
    return {"time": f"{operative.prompt_time:%H:%M}", "days": operative.days_label()}
