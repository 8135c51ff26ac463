"""The conversation: an inbound event in, replies out.

    coach = Coach(uow_factory, library, clock, CoachConfig(default_timezone="Europe/London"))
    replies = coach.handle(Command(Sender(42, "Sam"), "start", "ABCD1234"))

Every adapter (Telegram, terminal, tests) drives this one class.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.callbacks import (
    MAX_PAUSE_DAYS,
    Answer,
    AnswerTo,
    CheckCommitment,
    CloseCohort,
    Expired,
    FollowUpAction,
    FollowUpCohort,
    FollowUpText,
    ForgetChoice,
    KeepDaily,
    ListCommitments,
    OpenSettings,
    PauseFor,
    Payload,
    PickHour,
    SaveDays,
    ScheduleFollowUp,
    SetPromptTime,
    SetTrade,
    SetZone,
    ShareName,
    ShowTip,
    StepReply,
    StopChoice,
    ToggleDays,
    TypedZone,
    TypeZone,
    button,
    decode,
    waiting,
)
from bot.core.content.html import escape
from bot.core.content.library import Library
from bot.core.handlers import answers as answering
from bot.core.handlers import facilitation, sequence
from bot.core.handlers import reports as summaries
from bot.core.handlers import settings as preferences
from bot.core.matching.matcher import Matcher
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
from bot.core.parsing import looks_numeric, parse_invite_code, whole_number
from bot.core.policy.dates import parse_day
from bot.core.policy.history import HISTORY_DAYS, RECORD_EVENTS, Record, record_of
from bot.core.policy.scheduling import local_now, snoozed
from bot.core.policy.selection import next_prompt
from bot.core.ports import Clock, UnitOfWork, UnitOfWorkFactory

PAUSE_CHOICES = ((1, "1 day"), (7, "1 week"), (14, "2 weeks"), (0, "Until I resume"))

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
#: Commands for anyone, started or stopped or never started: the rest need /start first.
OPEN_COMMANDS = frozenset({"start", "forgetme"})
#: Telegram commands are at most this long; an unknown one is quoted back no longer.
COMMAND_CHARS = 32
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
            "forgetme": Coach._forget_me,
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

    def recover(self, sender: Sender) -> list[Reply]:
        """What to say after handling an event failed (its unit of work rolled back).

        A waiting state for typed input (a time zone, a follow-up, a commitment) is
        ended on purpose, so the next message is read afresh rather than misread
        as that input again. A prompt waiting for its answer keeps waiting: the
        operative can simply answer again.
        """
        with self.uow_factory() as uow:
            operative = uow.operatives.get(sender.user_id)
            if (
                operative is not None
                and operative.awaiting is not None
                and not isinstance(waiting(operative.awaiting), AnswerTo)
            ):
                operative.awaiting = None
                uow.operatives.save(operative)
                uow.commit()
        return [Reply(self.text("something_wrong"))]

    def _today(self, operative: Operative | None) -> date:
        zone = ZoneInfo(operative.timezone if operative else self.config.default_timezone)
        return self.clock().astimezone(zone).date()

    def _dispatch(self, turn: Turn, event: Event) -> None:
        match event:
            case Command(sender=sender, name=name, args=args):
                handler = self._commands.get(name)
                if handler is None:
                    turn.say(self.text("unknown_command", command=escape(name[:COMMAND_CHARS])))
                elif name not in OPEN_COMMANDS and not self._ready(turn):
                    return
                else:
                    handler(self, turn, sender, args.strip())
            case ButtonPress(sender=sender, data=data):
                payload = decode(data)
                if isinstance(payload, ForgetChoice):
                    self._confirm_forget(turn, sender, payload.confirm)
                elif self._ready(turn):
                    self._press(turn, sender, payload)
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
        if operative.trade is None and not operative.awaiting:
            # Optional, and asked once at the start: scenarios then fit their trade.
            turn.say(self.text("ask_trade"), preferences.trade_buttons(self))

    def _cohort_for(self, turn: Turn, code: str) -> tuple[int | None, str | None]:
        """The cohort an invite code names, and a note to add if it doesn't work."""
        if not code:
            return None, None
        invite_code = parse_invite_code(code)
        cohort = turn.uow.cohorts.by_code(invite_code) if invite_code else None
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
            (
                (
                    button("Yes, stop", StopChoice(confirm=True)),
                    button("No, keep going", StopChoice(confirm=False)),
                ),
            ),
        )

    def _confirm_stop(self, turn: Turn, confirm: bool) -> None:
        operative = _known(turn)
        if not confirm:
            turn.say(self.text("stop_cancelled"))
            return
        operative.status = Status.STOPPED
        operative.awaiting = None
        turn.uow.operatives.save(operative)
        assert operative.id is not None
        turn.uow.outbox.cancel_pending(operative.id)
        self.log(turn, EventType.STOPPED)
        turn.say(self.text("stopped"))

    # -- erasure -----------------------------------------------------------------

    def _forget_me(self, turn: Turn, sender: Sender, args: str) -> None:
        turn.say(
            self.text("forget_confirm"),
            (
                (
                    button("Yes, erase it all", ForgetChoice(confirm=True)),
                    button("No, keep it", ForgetChoice(confirm=False)),
                ),
            ),
        )

    def _confirm_forget(self, turn: Turn, sender: Sender, confirm: bool) -> None:
        """Erase everything about the sender, as ``coachbot erase`` does, and say what went."""
        if not confirm:
            turn.say(self.text("forget_cancelled"), replace=True)
            return
        erased = turn.uow.erasure.erase(sender.user_id)
        turn.operative = None
        if erased is None:
            turn.say(self.text("forget_nothing"), replace=True)
            return
        lines = [self.text("forget_done"), self.text("forget_done_profile")]
        for count, key in (
            (erased.events, "forget_done_events"),
            (erased.questions, "forget_done_questions"),
            (erased.commitments, "forget_done_commitment"),
            (erased.messages, "forget_done_messages"),
            (erased.follow_ups, "forget_done_follow_ups"),
            (erased.cohorts, "forget_done_cohorts"),
        ):
            if count:
                lines.append(self.text(key, count=count))
        lines.append(self.text("forget_done_end"))
        turn.say("\n".join(lines), replace=True)

    # -- pausing -----------------------------------------------------------------

    def _pause(self, turn: Turn, sender: Sender, args: str) -> None:
        if not args:
            turn.say(
                self.text("pause_ask"),
                tuple((button(label, PauseFor(days)),) for days, label in PAUSE_CHOICES),
            )
            return
        days = whole_number(args, 1, MAX_PAUSE_DAYS)
        if days is not None:
            self._pause_for(turn, days)
            return
        if looks_numeric(args):
            turn.say(self.text("pause_bad_days"))
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
        turn.say(self.text("settings", **preferences.summary(self, operative)), preferences.MENU)

    # -- buttons and text --------------------------------------------------------

    def _press(self, turn: Turn, sender: Sender, payload: Payload | Expired) -> None:
        match payload:
            case StopChoice(confirm=confirm):
                self._confirm_stop(turn, confirm)
            case PauseFor(days=days):
                self._pause_for(turn, days)
            case KeepDaily():
                self.log(turn, EventType.SETTINGS_CHANGED, setting="kept_daily")
                turn.say(self.text("check_in_kept"), replace=True)
            case (
                OpenSettings()
                | PickHour()
                | SetPromptTime()
                | ToggleDays()
                | SaveDays()
                | SetZone()
                | TypeZone()
                | SetTrade()
            ) as choice:
                preferences.press(self, turn, choice)
            case Answer(prompt_id=prompt_id, option=option):
                answering.tapped(self, turn, prompt_id, option)
            case ShowTip(tip_id=tip_id):
                answering.tip_chosen(self, turn, tip_id)
            case CloseCohort(cohort_id=cohort_id):
                facilitation.close_cohort(self, turn, cohort_id)
            case FollowUpCohort(cohort_id=cohort_id):
                facilitation.pick_cohort(self, turn, cohort_id)
            case FollowUpAction() | ScheduleFollowUp() as action:
                facilitation.follow_up_button(self, turn, action)
            case ListCommitments(cohort_id=cohort_id):
                facilitation.show_commitments(self, turn, cohort_id)
            case ShareName() | CheckCommitment() as choice:
                sequence.button_pressed(self, turn, choice)
            case _:
                turn.say(self.text("button_expired"))

    def _free_text(self, turn: Turn, sender: Sender, text: str) -> None:
        operative = _known(turn)
        match waiting(operative.awaiting):
            case TypedZone():
                preferences.typed_timezone(self, turn, text)
            case FollowUpText(cohort_id=cohort_id):
                facilitation.draft(self, turn, cohort_id, text)
            case StepReply(ask=ask):
                sequence.typed(self, turn, ask, text)
            case _:
                answering.typed(self, turn, text)

    # -- prompts -----------------------------------------------------------------

    def record(self, turn: Turn) -> Record:
        """What this operative has been sent and how they answered, by local date: the
        planner's bounded look back, so /practice and daily prompts choose alike."""
        operative = _known(turn)
        assert operative.id is not None
        since = self.clock() - timedelta(days=HISTORY_DAYS)
        events = turn.uow.events.of_many([operative.id], RECORD_EVENTS, since)
        return record_of(operative, events.get(operative.id, []))

    def _later(self, turn: Turn, sender: Sender, args: str) -> None:
        """Snooze today's prompt an hour: move it if it hasn't gone, else a nudge later."""
        operative = _known(turn)
        assert operative.id is not None
        now = self.clock()
        outbox = turn.uow.outbox
        prompt = outbox.find(Kind.PROMPT, operative.id, turn.today)
        unanswered = (
            prompt is not None
            and prompt.prompt_id is not None
            and waiting(operative.awaiting) == AnswerTo(prompt.prompt_id)
        )
        if prompt is None or not (prompt.status is Delivery.PENDING or unanswered):
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
            self.library,
            self.record(turn).history,
            turn.today,
            operative.telegram_id,
            operative.trade,
        )
        if prompt is None:
            turn.say(self.text("practice_none"))
            return
        operative.awaiting = AnswerTo(prompt.id).encode()
        turn.uow.operatives.save(operative)
        self.log(turn, EventType.PROMPT_SENT, item=prompt.id, via="practice")
        turn.replies.append(answering.prompt_reply(self, prompt, operative.telegram_id, turn.today))

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
        # 30 lines of 100 characters stay well inside Telegram's 4,096.
        lines += [f"• {gap.created_at:%d %b}: {escape(gap.text[:100])}" for gap in gaps[:30]]
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
