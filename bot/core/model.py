"""The people and things the coach works with, as plain data."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any


class Role(enum.StrEnum):
    OPERATIVE = "operative"
    FACILITATOR = "facilitator"
    MANAGER = "manager"
    ADMIN = "admin"


class Status(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"
    UNREACHABLE = "unreachable"


WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKING_WEEK: frozenset[int] = frozenset(range(5))


def days_to_mask(days: frozenset[int]) -> int:
    """Weekdays (Monday 0) as a bit mask: Monday to Friday is 31."""
    return sum(1 << day for day in days)


def mask_to_days(mask: int) -> frozenset[int]:
    return frozenset(day for day in range(7) if mask & (1 << day))


DEFAULT_PROMPT_TIME = time(8, 0)


@dataclass
class Operative:
    """Someone who talks to the bot. Operative is the default role; the others add powers."""

    telegram_id: int
    display_name: str
    timezone: str
    role: Role = Role.OPERATIVE
    cohort_id: int | None = None
    prompt_time: time = DEFAULT_PROMPT_TIME
    #: Monday is 0, as in ``date.weekday()``.
    working_days: frozenset[int] = WORKING_WEEK
    status: Status = Status.ACTIVE
    paused_until: date | None = None
    #: What the next free-text message answers, when the bot asked for something.
    awaiting: str | None = None
    created_at: datetime | None = None
    #: Their trade (a content trade id: gas, joinery...), for scenarios that fit; None
    #: until they say, and then only scenarios written for every trade are sent.
    trade: str | None = None
    #: Whether they chose to get the daily scenarios; None until they choose, and then
    #: their role decides: on for operatives, off for facilitators, managers and admins.
    daily_prompts: bool | None = None
    id: int | None = None

    # -- state changes: each changes the record and returns what to log ----------

    @classmethod
    def enrol(
        cls,
        telegram_id: int,
        name: str,
        timezone: str,
        role: Role,
        cohort_id: int | None,
        now: datetime,
    ) -> tuple[Operative, list[Happened]]:
        """A new operative, and the event that records their joining."""
        operative = cls(telegram_id, name[:120], timezone, role, cohort_id, created_at=now)
        return operative, [(EventType.ENROLLED, {"cohort": cohort_id})]

    def rejoin(self, cohort_id: int | None) -> list[Happened]:
        """/start again: active from now, whatever they were; a new cohort if given."""
        was_active = self.status is Status.ACTIVE
        self.status = Status.ACTIVE
        self.paused_until = None
        self.awaiting = None
        if cohort_id is not None:
            self.cohort_id = cohort_id
        return [] if was_active else [(EventType.RESUMED, {})]

    def pause(self, today: date, days: int) -> list[Happened]:
        """Pause for ``days`` days from today (0: until they resume)."""
        self.status = Status.PAUSED
        self.paused_until = today + timedelta(days=days) if days else None
        return [(EventType.PAUSED, {"days": days})]

    def resume(self, *, auto: bool = False) -> list[Happened]:
        """Active again; ``auto`` when a pause simply ran out."""
        self.status = Status.ACTIVE
        self.paused_until = None
        return [(EventType.RESUMED, {"auto": True} if auto else {})]

    def stop(self) -> list[Happened]:
        self.status = Status.STOPPED
        self.awaiting = None
        return [(EventType.STOPPED, {})]

    def grant(self, role: Role) -> list[Happened]:
        """A new role (by an admin, in the bot or with ``coachbot grant``)."""
        self.role = role
        return [(EventType.ROLE_GRANTED, {"role": role.value})]

    def mark_unreachable(self) -> list[Happened]:
        """Telegram says they blocked the bot or left: stop sending (unless they'd stopped)."""
        if self.status is Status.STOPPED:
            return []
        self.status = Status.UNREACHABLE
        return [(EventType.UNREACHABLE, {})]

    def days_label(self) -> str:
        names = [WEEKDAYS[day].capitalize() for day in sorted(self.working_days)]
        if self.working_days == WORKING_WEEK:
            return "Mon to Fri"
        if self.working_days == frozenset(range(6)):
            return "Mon to Sat"
        if self.working_days == frozenset(range(7)):
            return "every day"
        return ", ".join(names) if names else "no days"


#: ``Cohort.created_by`` once the facilitator who set the group up has been erased.
FORMER_FACILITATOR = 0


@dataclass
class Cohort:
    name: str
    invite_code: str
    workshop_date: date | None = None
    #: The Telegram id of who set it up; None if made on the server (``coachbot cohort
    #: create``); :data:`FORMER_FACILITATOR` once that person has been erased.
    created_by: int | None = None
    closed_at: datetime | None = None
    created_at: datetime | None = None
    id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class EventType(enum.StrEnum):
    """What the engagement log records. Reports count these."""

    ENROLLED = "enrolled"
    PAUSED = "paused"
    RESUMED = "resumed"
    STOPPED = "stopped"
    SETTINGS_CHANGED = "settings_changed"
    PROMPT_SENT = "prompt_sent"
    ANSWERED = "answered"
    REMINDER_SENT = "reminder_sent"
    CHECK_IN_SENT = "check_in_sent"
    UNREACHABLE = "unreachable"
    SEQUENCE_SENT = "sequence_sent"
    FOLLOW_UP_SENT = "follow_up_sent"
    COMMITTED = "committed"
    COMMITMENT_CHECKED = "commitment_checked"
    REFLECTED = "reflected"
    REFUSED = "refused"
    ROLE_GRANTED = "role_granted"
    TIP_SHOWN = "tip_shown"
    UNSURE = "unsure"
    OFF_TOPIC = "off_topic"


@dataclass(frozen=True)
class ContentGap:
    """A message the coach couldn't answer, kept (without a name) to improve the content."""

    text: str
    cohort_id: int | None
    operative_id: int | None
    topic_guess: str | None
    created_at: datetime


@dataclass(frozen=True)
class EngagementEvent:
    """Something an operative did or was sent. The payload never holds their own words."""

    type: str
    operative_id: int | None
    occurred_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)


#: An engagement event still to be recorded: its type and payload.
Happened = tuple["EventType", dict[str, Any]]


def happened_to(
    operative_id: int | None, at: datetime, happened: list[Happened]
) -> list[EngagementEvent]:
    """The engagement events to record for what happened to one operative."""
    return [EngagementEvent(type_.value, operative_id, at, payload) for type_, payload in happened]


class Kind(enum.StrEnum):
    """What an outbox message is. One of each kind per operative per local date."""

    PROMPT = "prompt"
    REMINDER = "reminder"
    CHECK_IN = "check_in"
    FOLLOW_UP = "follow_up"
    SEQUENCE = "sequence"
    DIGEST = "digest"


class Delivery(enum.StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    CANCELLED = "cancelled"
    #: Written only by older versions, for a message caught mid-send by a crash. Such a
    #: message is now sent again and counted (see ``bot.core.jobs.delivery``).
    UNCERTAIN = "uncertain"


@dataclass
class OutboxMessage:
    """A message that must be sent: written to the database first, then delivered."""

    kind: Kind
    operative_id: int
    chat_id: int
    local_date: date
    text: str
    due_at: datetime
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    #: Makes a message unique beyond kind, operative and date (a follow-up's id).
    ref: str = ""
    prompt_id: str | None = None
    #: What the operative's next reply answers once this is delivered.
    awaits: str | None = None
    status: Delivery = Delivery.PENDING
    attempts: int = 0
    message_id: int | None = None
    sent_at: datetime | None = None
    error: str | None = None
    #: The recipient's time zone, when a worker has claimed the message.
    timezone: str | None = None
    id: int | None = None


class FollowUpStatus(enum.StrEnum):
    DRAFT = "draft"
    QUEUED = "queued"
    REPORTED = "reported"
    CANCELLED = "cancelled"


@dataclass
class FollowUp:
    """A facilitator's message to a cohort."""

    cohort_id: int
    author_id: int
    text: str
    created_at: datetime
    status: FollowUpStatus = FollowUpStatus.DRAFT
    send_at: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class Erased:
    """What erasing a person removed, to tell them (or the admin who asked)."""

    #: Prompts sent, answers, settings changes and the like.
    events: int = 0
    #: Questions they asked that the coach couldn't answer.
    questions: int = 0
    #: Their commitment, with any notes and reflection.
    commitments: int = 0
    #: Messages to them that were waiting to go, or kept after going.
    messages: int = 0
    #: Follow-ups they wrote, drafted, queued or sent, with every copy queued for others.
    follow_ups: int = 0
    #: Groups they set up: kept, now set up by a "former facilitator".
    cohorts: int = 0


def follow_up_ref(follow_up_id: int) -> str:
    """The outbox ``ref`` of a follow-up's copies, one per member."""
    return f"fu{follow_up_id}"


def follow_up_report_ref(follow_up_id: int) -> str:
    """The outbox ``ref`` of the delivery report sent to a follow-up's author."""
    return f"fu{follow_up_id}-report"


class Outcome(enum.StrEnum):
    KEPT = "kept"
    PARTLY = "partly"
    NOT_YET = "not_yet"


@dataclass
class Commitment:
    """ "One thing I'll do differently": private unless the operative shares their name."""

    operative_id: int
    cohort_id: int | None
    text: str
    created_at: datetime
    updated_at: datetime
    share_name: bool = False
    outcome: Outcome | None = None
    outcome_note: str | None = None
    reflection: str | None = None
    id: int | None = None
