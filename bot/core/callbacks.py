"""Every button payload and waiting state, as a typed value with one encoding.

A button's payload travels to Telegram as ``callback_data`` (1 to 64 bytes) and
comes back when it is pressed; anyone can forge it, and old messages keep old
buttons. So nothing else in the bot builds or parses these strings:

    button("Yes, stop", StopChoice(confirm=True))   # callback_data "stop:yes"
    decode("stop:yes")                             # StopChoice(confirm=True)
    decode("fu:send:99999999999999999999")         # Expired(): "that button has expired"

:func:`decode` never raises. A payload decodes only from its canonical form, so
``decode(p.encode()) == p`` and ``decode(d).encode() == d`` for every payload
``p`` and every data ``d`` that decodes. Numbers are ASCII digits without
leading zeros, within each field's bounds; ids are what the content allows.

A waiting state says what the operative's next typed message answers (stored in
``operatives.awaiting`` and in an outbox row's ``awaits``, at most 64 characters):

    AnswerTo("doorstep-id-first").encode()          # "answer:doorstep-id-first"
    waiting("followup:12")                         # FollowUpText(cohort_id=12)
    waiting("garbage")                             # None: nothing is awaited

The encodings are the ones the bot has always used, so buttons on messages
already sent, and rows already queued, keep working.

Why one long module: it is the only place that builds or parses callback data and
waiting states, so that a payload's encoding, its bounds and its decoding are read
(and tested) side by side; each payload is a few lines on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from bot.core.content.library import TRADES, Trade
from bot.core.messages import Button

#: Telegram's limit on callback_data, in UTF-8 bytes.
CALLBACK_DATA_BYTES: Final = 64
#: The ``awaiting`` and ``awaits`` columns hold this many characters.
WAITING_CHARS: Final = 64
#: Row ids fit PostgreSQL's INTEGER (and SQLite's, with room to spare).
MAX_ROW_ID: Final = 2**31 - 1
#: The longest pause a button offers or accepts, in days (0 means until /resume).
MAX_PAUSE_DAYS: Final = 90
#: Working days as a bitmask, Monday = bit 0.
ALL_DAYS_MASK: Final = 0b1111111
#: Quick replies and schedule choices are short lists.
MAX_CHOICE: Final = 9

#: Content ids (prompts, tips), as the content schema allows them.
_ITEM_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,39}", re.ASCII)
#: An IANA zone name as a button can carry it ("Europe/London").
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+/-]{0,49}", re.ASCII)
_NUMBER = re.compile(r"0|[1-9][0-9]{0,9}", re.ASCII)
_DAY = re.compile(r"[1-9][0-9]{3}[01][0-9][0-3][0-9]", re.ASCII)


def number(text: str, low: int, high: int) -> int | None:
    """``text`` as a whole number from ``low`` to ``high``, or None.

    Only canonical ASCII digits: not "²" or "٣" (which ``str.isdigit`` accepts),
    not "007" or "+7", and never more than ten digits.
    """
    if not _NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def _row_id(text: str) -> int | None:
    return number(text, 1, MAX_ROW_ID)


def _day(text: str) -> date | None:
    """A date written YYYYMMDD (canonical: eight ASCII digits), or None."""
    if not _DAY.fullmatch(text):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _item_id(text: str) -> str | None:
    return text if _ITEM_ID.fullmatch(text) else None


# -- button payloads -----------------------------------------------------------------


@dataclass(frozen=True)
class StopChoice:
    """The answer to "stop everything?"."""

    confirm: bool

    def encode(self) -> str:
        return f"stop:{_yes_no(self.confirm)}"


@dataclass(frozen=True)
class ForgetChoice:
    """The answer to "erase everything about you?" (/forgetme)."""

    confirm: bool

    def encode(self) -> str:
        return f"forget:{_yes_no(self.confirm)}"


@dataclass(frozen=True)
class PauseFor:
    """Pause for this many days; 0 means until /resume."""

    days: int

    def encode(self) -> str:
        return f"pause:{self.days}"


@dataclass(frozen=True)
class KeepDaily:
    """The check-in's "keep it daily"."""

    def encode(self) -> str:
        return "checkin:keep"


SettingsPage = Literal["time", "days", "tz", "trade", "done"]
_SETTINGS_PAGES: Final[tuple[SettingsPage, ...]] = ("time", "days", "tz", "trade", "done")
#: The trades an operative may pick (as the content names them), or "skip".
_TRADES: Final = frozenset(TRADES)


@dataclass(frozen=True)
class OpenSettings:
    """A page of /settings: the hours, the days, the time zones, or "done"."""

    page: SettingsPage

    def encode(self) -> str:
        return f"set:{self.page}"


@dataclass(frozen=True)
class PickHour:
    """An hour was picked; the minutes come next."""

    hour: int

    def encode(self) -> str:
        return f"set:h:{self.hour}"


@dataclass(frozen=True)
class SetPromptTime:
    hour: int
    minute: int

    def encode(self) -> str:
        return f"set:m:{self.hour}:{self.minute}"


@dataclass(frozen=True)
class ToggleDays:
    """The day picker, showing ``mask`` (a choice not yet saved)."""

    mask: int

    def encode(self) -> str:
        return f"set:d:{self.mask}"


@dataclass(frozen=True)
class SaveDays:
    """Save these working days (also the check-in's "3 a week")."""

    mask: int

    def encode(self) -> str:
        return f"set:dd:{self.mask}"


@dataclass(frozen=True)
class SetZone:
    zone: str

    def encode(self) -> str:
        return f"set:tz:{self.zone}"


@dataclass(frozen=True)
class TypeZone:
    """ "Somewhere else": the operative will type their time zone."""

    def encode(self) -> str:
        return "set:tz:other"


@dataclass(frozen=True)
class StopTyping:
    """Cancel under "type a time" or "type a time zone": nothing changes."""

    def encode(self) -> str:
        return "set:cancel"


@dataclass(frozen=True)
class SetTrade:
    """The operative's trade, so scenarios fit their work; None: they'd rather not say."""

    trade: Trade | None

    def encode(self) -> str:
        return f"set:tr:{self.trade or 'skip'}"


@dataclass(frozen=True)
class SetDailyPrompts:
    """Daily scenarios on or off (offered in /settings to facilitators, managers, admins)."""

    on: bool

    def encode(self) -> str:
        return f"set:pr:{'on' if self.on else 'off'}"


@dataclass(frozen=True)
class Answer:
    """A quick reply under a scenario prompt: option ``option`` of ``prompt_id``."""

    prompt_id: str
    option: int

    def encode(self) -> str:
        return f"ans:{self.prompt_id}:{self.option}"


@dataclass(frozen=True)
class ShowTip:
    """A "did you mean" choice."""

    tip_id: str

    def encode(self) -> str:
        return f"tip:{self.tip_id}"


@dataclass(frozen=True)
class CloseCohort:
    """ "Close this group": asks for confirmation first (see :class:`CohortAction`)."""

    cohort_id: int

    def encode(self) -> str:
        return f"coh:close:{self.cohort_id}"


CohortVerb = Literal["show", "link", "sum", "shut", "keep"]
_COHORT_VERBS: Final[tuple[CohortVerb, ...]] = ("show", "link", "sum", "shut", "keep")


@dataclass(frozen=True)
class CohortAction:
    """A group's card in /cohorts: show it, its link and QR code again, its summary;
    and the answers to "close it?": "shut" (yes) or "keep" (no: the card again)."""

    verb: CohortVerb
    cohort_id: int

    def encode(self) -> str:
        return f"coh:{self.verb}:{self.cohort_id}"


@dataclass(frozen=True)
class FollowUpCohort:
    """The cohort a follow-up goes to."""

    cohort_id: int

    def encode(self) -> str:
        return f"fu:pick:{self.cohort_id}"


FollowUpVerb = Literal["send", "sched", "cancel"]
_FOLLOW_UP_VERBS: Final[tuple[FollowUpVerb, ...]] = ("send", "sched", "cancel")


@dataclass(frozen=True)
class FollowUpAction:
    """Send, schedule (show the choices) or cancel a drafted follow-up."""

    verb: FollowUpVerb
    follow_up_id: int

    def encode(self) -> str:
        return f"fu:{self.verb}:{self.follow_up_id}"


@dataclass(frozen=True)
class ScheduleFollowUp:
    """Send a drafted follow-up at schedule choice ``choice``."""

    follow_up_id: int
    choice: int

    def encode(self) -> str:
        return f"fu:at:{self.follow_up_id}:{self.choice}"


@dataclass(frozen=True)
class ScheduleFollowUpOn:
    """Send a drafted follow-up at 08:00 (the author's time) on ``day``.

    The day travels in the button, so the button means what its label said whichever
    day it is pressed."""

    follow_up_id: int
    day: date

    def encode(self) -> str:
        return (
            f"fu:on:{self.follow_up_id}:{self.day.year:04d}{self.day.month:02d}{self.day.day:02d}"
        )


@dataclass(frozen=True)
class ListCommitments:
    cohort_id: int

    def encode(self) -> str:
        return f"cm:list:{self.cohort_id}"


@dataclass(frozen=True)
class ShareName:
    """Whether an operative's name may be shown beside their commitment."""

    share: bool

    def encode(self) -> str:
        return f"cm:share:{_yes_no(self.share)}"


CheckOutcome = Literal["kept", "partly", "not_yet"]
_OUTCOMES: Final[tuple[CheckOutcome, ...]] = ("kept", "partly", "not_yet")


@dataclass(frozen=True)
class CheckCommitment:
    """The day-7 check-in: did you keep your commitment?"""

    outcome: CheckOutcome

    def encode(self) -> str:
        return f"cm:out:{self.outcome}"


ReportKind = Literal["summary", "export"]
_REPORT_KINDS: Final[dict[str, ReportKind]] = {"s": "summary", "e": "export"}
#: A report button's days: "20261102-20261129" (both included).
_REPORT_DAYS = re.compile(r"(\d{4})(\d{2})(\d{2})-(\d{4})(\d{2})(\d{2})", re.ASCII)


@dataclass(frozen=True)
class ShowReport:
    """/summary or /export from a button: one group by its id (never its join code), or
    None for every group the person may see; for fixed days, or None for this week so
    far (offered when the default period has nothing to show yet)."""

    kind: ReportKind
    cohort_id: int | None
    days: tuple[date, date] | None

    def encode(self) -> str:
        letter = "s" if self.kind == "summary" else "e"
        group = "all" if self.cohort_id is None else str(self.cohort_id)
        days = "week" if self.days is None else f"{_ymd(self.days[0])}-{_ymd(self.days[1])}"
        return f"rep:{letter}:{group}:{days}"


def _ymd(day: date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


@dataclass(frozen=True)
class Expired:
    """Data that names no button the bot offers (now): "that button has expired"."""


Payload = (
    StopChoice
    | ForgetChoice
    | PauseFor
    | KeepDaily
    | OpenSettings
    | PickHour
    | SetPromptTime
    | ToggleDays
    | SaveDays
    | SetZone
    | TypeZone
    | StopTyping
    | SetTrade
    | SetDailyPrompts
    | Answer
    | ShowTip
    | CloseCohort
    | CohortAction
    | FollowUpCohort
    | FollowUpAction
    | ScheduleFollowUp
    | ScheduleFollowUpOn
    | ListCommitments
    | ShareName
    | CheckCommitment
    | ShowReport
)


def button(label: str, payload: Payload) -> Button:
    """An inline button that sends ``payload`` back when pressed."""
    return Button(label, payload.encode())


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _read_yes_no(text: str) -> bool | None:
    return {"yes": True, "no": False}.get(text)


def _stop(rest: list[str]) -> Payload | None:
    match rest:
        case [answer] if (confirm := _read_yes_no(answer)) is not None:
            return StopChoice(confirm)
    return None


def _forget(rest: list[str]) -> Payload | None:
    match rest:
        case [answer] if (confirm := _read_yes_no(answer)) is not None:
            return ForgetChoice(confirm)
    return None


def _pause(rest: list[str]) -> Payload | None:
    match rest:
        case [days] if (value := number(days, 0, MAX_PAUSE_DAYS)) is not None:
            return PauseFor(value)
    return None


def _check_in(rest: list[str]) -> Payload | None:
    return KeepDaily() if rest == ["keep"] else None


def _settings(rest: list[str]) -> Payload | None:
    match rest:
        case [page] if page in _SETTINGS_PAGES:
            return OpenSettings(_SETTINGS_PAGES[_SETTINGS_PAGES.index(page)])
        case ["h", hour] if (value := number(hour, 0, 23)) is not None:
            return PickHour(value)
        case ["m", hour, minute] if (h := number(hour, 0, 23)) is not None and (
            m := number(minute, 0, 59)
        ) is not None:
            return SetPromptTime(h, m)
        case ["d", mask] if (value := number(mask, 0, ALL_DAYS_MASK)) is not None:
            return ToggleDays(value)
        case ["dd", mask] if (value := number(mask, 0, ALL_DAYS_MASK)) is not None:
            return SaveDays(value)
        case ["tz", "other"]:
            return TypeZone()
        case ["cancel"]:
            return StopTyping()
        case ["pr", choice] if choice in ("on", "off"):
            return SetDailyPrompts(choice == "on")
        case ["tr", "skip"]:
            return SetTrade(None)
        case ["tr", trade] if trade in _TRADES:
            return SetTrade(next(t for t in TRADES if t == trade))
        case ["tz", zone] if _ZONE.fullmatch(zone):
            return SetZone(zone)
    return None


def _answer(rest: list[str]) -> Payload | None:
    match rest:
        case [prompt_id, option] if (
            _item_id(prompt_id) and (value := number(option, 0, MAX_CHOICE)) is not None
        ):
            return Answer(prompt_id, value)
    return None


def _tip(rest: list[str]) -> Payload | None:
    match rest:
        case [tip_id] if _item_id(tip_id):
            return ShowTip(tip_id)
    return None


def _cohort(rest: list[str]) -> Payload | None:
    match rest:
        case ["close", cohort] if (cohort_id := _row_id(cohort)) is not None:
            return CloseCohort(cohort_id)
        case [verb, cohort] if verb in _COHORT_VERBS and (cohort_id := _row_id(cohort)) is not None:
            return CohortAction(_COHORT_VERBS[_COHORT_VERBS.index(verb)], cohort_id)
    return None


def _follow_up(rest: list[str]) -> Payload | None:
    match rest:
        case ["pick", cohort] if (cohort_id := _row_id(cohort)) is not None:
            return FollowUpCohort(cohort_id)
        case [verb, draft] if verb in _FOLLOW_UP_VERBS and (draft_id := _row_id(draft)) is not None:
            return FollowUpAction(_FOLLOW_UP_VERBS[_FOLLOW_UP_VERBS.index(verb)], draft_id)
        case ["at", draft, choice] if (draft_id := _row_id(draft)) is not None and (
            value := number(choice, 0, MAX_CHOICE)
        ) is not None:
            return ScheduleFollowUp(draft_id, value)
        case ["on", draft, day] if (draft_id := _row_id(draft)) is not None and (
            when := _day(day)
        ) is not None:
            return ScheduleFollowUpOn(draft_id, when)
    return None


def _commitment(rest: list[str]) -> Payload | None:
    match rest:
        case ["list", cohort] if (cohort_id := _row_id(cohort)) is not None:
            return ListCommitments(cohort_id)
        case ["share", answer] if (share := _read_yes_no(answer)) is not None:
            return ShareName(share)
        case ["out", outcome] if outcome in _OUTCOMES:
            return CheckCommitment(_OUTCOMES[_OUTCOMES.index(outcome)])
    return None


def _report(rest: list[str]) -> Payload | None:
    match rest:
        case [letter, group, days] if letter in _REPORT_KINDS:
            cohort_id = None if group == "all" else _row_id(group)
            if cohort_id is None and group != "all":
                return None
            if days == "week":
                return ShowReport(_REPORT_KINDS[letter], cohort_id, None)
            match = _REPORT_DAYS.fullmatch(days)
            if match is None:
                return None
            try:
                first = date(int(match[1]), int(match[2]), int(match[3]))
                last = date(int(match[4]), int(match[5]), int(match[6]))
            except ValueError:  # 30 February, month 13, year 0
                return None
            return ShowReport(_REPORT_KINDS[letter], cohort_id, (first, last))
    return None


_READERS: Final[dict[str, Callable[[list[str]], Payload | None]]] = {
    "stop": _stop,
    "forget": _forget,
    "pause": _pause,
    "checkin": _check_in,
    "set": _settings,
    "ans": _answer,
    "tip": _tip,
    "coh": _cohort,
    "fu": _follow_up,
    "cm": _commitment,
    "rep": _report,
}


def decode(data: object) -> Payload | Expired:
    """The payload that ``data`` encodes, or :class:`Expired`. Never raises."""
    if not isinstance(data, str) or not data or not data.isascii():
        return Expired()
    if len(data) > CALLBACK_DATA_BYTES:
        return Expired()
    head, *rest = data.split(":")
    reader = _READERS.get(head)
    found = reader(rest) if reader is not None else None
    return Expired() if found is None else found


# -- waiting states ------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerTo:
    """A scenario prompt was put; the next message may answer it."""

    prompt_id: str

    def encode(self) -> str:
        return f"answer:{self.prompt_id}"


@dataclass(frozen=True)
class TypedZone:
    """The operative tapped "Somewhere else" and will type a time zone.

    ``resume`` is the scenario they were answering, if any: it waits again once the
    time zone is set or the typing is cancelled (and its buttons work meanwhile).
    """

    resume: AnswerTo | None = None

    def encode(self) -> str:
        return "timezone" + (f":{self.resume.encode()}" if self.resume else "")


@dataclass(frozen=True)
class TypedTime:
    """The prompt-time picker is showing: a typed time answers it ("7:30", "5pm")."""

    resume: AnswerTo | None = None

    def encode(self) -> str:
        return "time" + (f":{self.resume.encode()}" if self.resume else "")


@dataclass(frozen=True)
class FollowUpText:
    """A facilitator picked a cohort and will type the follow-up for it."""

    cohort_id: int

    def encode(self) -> str:
        return f"followup:{self.cohort_id}"


StepAsk = Literal["commitment", "note", "reflection"]
_STEP_ASKS: Final[tuple[StepAsk, ...]] = ("commitment", "note", "reflection")


@dataclass(frozen=True)
class StepReply:
    """A post-workshop step asked for words: a commitment, a note on it, a reflection."""

    ask: StepAsk

    def encode(self) -> str:
        return f"seq:{self.ask}"


Waiting = AnswerTo | TypedZone | TypedTime | FollowUpText | StepReply


def scenario_awaited(state: Waiting | None) -> AnswerTo | None:
    """The scenario prompt an answer is awaited for, even while a setting is being typed."""
    match state:
        case AnswerTo():
            return state
        case TypedZone(resume=resume) | TypedTime(resume=resume):
            return resume
    return None


def step_reply(ask: str) -> StepReply | None:
    """The waiting state for a sequence step that asks for words, if ``ask`` does."""
    return StepReply(_STEP_ASKS[_STEP_ASKS.index(ask)]) if ask in _STEP_ASKS else None


def waiting(stored: str | None) -> Waiting | None:
    """What a stored ``awaiting`` means; None for nothing (or anything unreadable)."""
    if not stored or not stored.isascii() or len(stored) > WAITING_CHARS:
        return None
    head, _, rest = stored.partition(":")
    if head in ("timezone", "time"):
        typed = TypedZone if head == "timezone" else TypedTime
        if stored == head:
            return typed()
        resume = waiting(rest)
        return typed(resume) if isinstance(resume, AnswerTo) else None
    if head == "answer" and _item_id(rest):
        return AnswerTo(rest)
    if head == "followup" and (cohort_id := _row_id(rest)) is not None:
        return FollowUpText(cohort_id)
    if head == "seq":
        return step_reply(rest)
    return None
