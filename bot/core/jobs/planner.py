"""Daily prompts: who is due what, written to the outbox before anything is sent.

    planner = DailyPrompts(uow_factory, deps)
    planner.plan()           # every minute or so: today's prompts, reminders, check-ins
    planner.send_now("HULL") # a facilitator's "send now" for one cohort

The outbox's unique constraint (kind, operative, local date) makes planning
safe to repeat, on one replica or several: a prompt is queued once a day at most.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.core.callbacks import AnswerTo, KeepDaily, PauseFor, SaveDays, scenario_awaited, waiting
from bot.core.deps import Deps
from bot.core.handlers import answers as answering
from bot.core.handlers import sequence
from bot.core.handlers.follow_ups import report_follow_ups
from bot.core.jobs.digest import queue_weekly_digests
from bot.core.messages import Button
from bot.core.model import (
    Kind,
    Operative,
    OutboxMessage,
    Status,
    happened_to,
)
from bot.core.policy.history import HISTORY_DAYS, RECORD_EVENTS, Record, record_of
from bot.core.policy.scheduling import (
    MISSES_BEFORE_CHECK_IN,
    is_working_day,
    local_now,
    next_prompt_time,
    prompt_due,
    reminder_time,
    send_now_time,
    why_not_now,
)
from bot.core.policy.selection import next_prompt
from bot.core.policy.streaks import PromptDay, misses_in_a_row
from bot.core.ports import UnitOfWork, UnitOfWorkFactory

#: Mon, Wed and Fri, as a working-days bit mask.
THREE_A_WEEK = (1 << 0) | (1 << 2) | (1 << 4)
#: The check-in's "take a break" pauses for this many days.
CHECK_IN_PAUSE_DAYS = 14


@dataclass
class Plan:
    """What one planning pass queued."""

    prompts: int = 0
    reminders: int = 0
    check_ins: int = 0
    resumed: int = 0
    digests: int = 0
    steps: int = 0
    follow_up_reports: int = 0
    #: For "send now": how many operatives it looked at,
    considered: int = 0
    #: how many of the prompts queued wait for 07:00 (it was earlier than that),
    waiting_for_seven: int = 0
    #: who got nothing, by why (a NotNow, or ALREADY_SENT),
    left_out: dict[str, int] = field(default_factory=dict)
    #: and the first time the bot sends one of those a prompt, in their time zone.
    next_prompt: datetime | None = None


#: Why "send now" left someone out who could have had a prompt today: they had it.
ALREADY_SENT = "already sent"


def _buttons(rows: Iterable[Iterable[Button]]) -> list[list[tuple[str, str]]]:
    return [[(button.label, button.data) for button in row] for row in rows]


def _pause_over(operative: Operative, today: date) -> bool:
    """Paused until a day that has come."""
    return (
        operative.status is Status.PAUSED
        and operative.paused_until is not None
        and operative.paused_until <= today
    )


class DailyPrompts:
    def __init__(self, uow_factory: UnitOfWorkFactory, deps: Deps) -> None:
        self.uow_factory = uow_factory
        self.deps = deps

    # -- reading the past --------------------------------------------------------

    def _records(
        self, uow: UnitOfWork, operatives: Sequence[Operative], now: datetime
    ) -> dict[int, Record]:
        ids = [op.id for op in operatives if op.id is not None]
        events = uow.events.of_many(ids, RECORD_EVENTS, now - timedelta(days=HISTORY_DAYS))
        return {
            op.id: record_of(op, events.get(op.id, [])) for op in operatives if op.id is not None
        }

    # -- planning ----------------------------------------------------------------

    def plan(self) -> Plan:
        """Queue what is due now. Safe to run as often as you like."""
        now = self.deps.clock()
        plan = Plan()
        with self.uow_factory() as uow:
            operatives = uow.operatives.with_status([Status.ACTIVE, Status.PAUSED])
            plan.resumed = self._end_pauses(uow, operatives, now)
            due = [
                (op, day)
                for op in operatives
                if self.deps.gets_daily_prompts(op) and (day := prompt_due(op, now)) is not None
            ]
            days = {day for _, day in due}
            # A sequence step stands in for that day's prompt: one message a day.
            already = uow.outbox.queued(Kind.PROMPT, days) | uow.outbox.queued(Kind.SEQUENCE, days)
            due = [(op, day) for op, day in due if (op.id, day) not in already]
            steps_done: dict[int, set[str]] = {}
            for operative_id, ref in uow.outbox.refs_queued(
                Kind.SEQUENCE, [op.id for op, _ in due if op.id]
            ):
                steps_done.setdefault(operative_id, set()).add(ref)
            workshops = self._workshops(uow, [op for op, _ in due])
            records = self._records(uow, [op for op, _ in due], now)
            prompt_days = uow.events.latest_prompt_days({op.id: d for op, d in due if op.id})
            for operative, day in due:
                assert operative.id is not None
                workshop = workshops.get(operative.cohort_id or 0)
                if workshop is not None and self._queue_step(
                    uow, operative, day, now, workshop, steps_done.get(operative.id, set())
                ):
                    plan.steps += 1
                    continue
                record = records[operative.id]
                last = prompt_days.get(operative.id)
                self._queue_for_today(uow, operative, day, now, now, record, last, plan)
            plan.reminders = self._queue_reminders(uow, operatives, now)
            plan.follow_up_reports = report_follow_ups(self.deps, uow, now)
            plan.digests = queue_weekly_digests(self.deps, uow, now)
            uow.commit()
        return plan

    def send_now(self, cohort_id: int | None = None) -> Plan:
        """Queue today's prompt for every operative who hasn't had one today, now (or
        at 07:00 if it is earlier than that), on their working days only."""
        now = self.deps.clock()
        plan = Plan()
        with self.uow_factory() as uow:
            operatives = uow.operatives.with_status([Status.ACTIVE, Status.PAUSED], cohort_id)
            plan.resumed = self._end_pauses(uow, operatives, now)
            # Facilitators, managers and admins get scenarios only if they chose them.
            operatives = [op for op in operatives if self.deps.gets_daily_prompts(op)]
            plan.considered = len(operatives)
            ready = [
                (op, local_now(op, now).date(), at)
                for op in operatives
                if (at := send_now_time(op, now)) is not None
            ]
            already = uow.outbox.queued(Kind.PROMPT, {day for _, day, _ in ready})
            left_out: list[tuple[Operative, str]] = []
            for operative in operatives:
                why: str | None = why_not_now(operative, now)
                if why is None and (operative.id, local_now(operative, now).date()) in already:
                    why = ALREADY_SENT
                if why is not None:
                    left_out.append((operative, why))
                    plan.left_out[why] = plan.left_out.get(why, 0) + 1
            plan.next_prompt = min(
                (t for op, _ in left_out if (t := next_prompt_time(op, now)) is not None),
                default=None,
            )
            ready = [(op, day, at) for op, day, at in ready if (op.id, day) not in already]
            records = self._records(uow, [op for op, _, _ in ready], now)
            prompt_days = uow.events.latest_prompt_days({op.id: d for op, d, _ in ready if op.id})
            for operative, day, at in ready:
                assert operative.id is not None
                queued = plan.prompts + plan.check_ins
                record, last = records[operative.id], prompt_days.get(operative.id)
                self._queue_for_today(uow, operative, day, at, now, record, last, plan)
                if at > now and plan.prompts + plan.check_ins > queued:
                    plan.waiting_for_seven += 1
            uow.commit()
        return plan

    @staticmethod
    def _workshops(uow: UnitOfWork, operatives: Sequence[Operative]) -> dict[int, date]:
        """Workshop date by cohort id, for the cohorts of these operatives that have one."""
        found: dict[int, date] = {}
        for cohort_id in {op.cohort_id for op in operatives if op.cohort_id is not None}:
            cohort = uow.cohorts.by_id(cohort_id)
            if cohort is not None and cohort.workshop_date is not None:
                found[cohort_id] = cohort.workshop_date
        return found

    def _queue_step(
        self,
        uow: UnitOfWork,
        operative: Operative,
        day: date,
        now: datetime,
        workshop: date,
        done: set[str],
    ) -> bool:
        """Queue today's post-workshop step, if one is due; True if it was."""
        step = sequence.due_step(self.deps.library.sequence, workshop, day, done)
        if step is None:
            return False
        message = sequence.step_message(self.deps, uow, operative, step, day, now)
        return message is not None and uow.outbox.add(message, now)

    def _end_pauses(self, uow: UnitOfWork, operatives: Sequence[Operative], now: datetime) -> int:
        ended = 0
        for operative in operatives:
            today = local_now(operative, now).date()
            if not _pause_over(operative, today):
                continue
            # Read again, locked: it may have changed since the plan began (a reply
            # handled meanwhile on another replica), and that change must stay.
            current = uow.operatives.lock(operative.telegram_id)
            if current is not None and _pause_over(current, today):
                happened = current.resume(auto=True)
                operative.resume(auto=True)  # the plan goes on with them active
                uow.operatives.save(current)
                uow.events.record_many(happened_to(operative.id, now, happened))
                ended += 1
        return ended

    def _queue_for_today(
        self,
        uow: UnitOfWork,
        operative: Operative,
        day: date,
        at: datetime,
        now: datetime,
        record: Record,
        last: PromptDay | None,
        plan: Plan,
    ) -> None:
        assert operative.id is not None
        if (
            misses_in_a_row([last] if last else [], day) >= MISSES_BEFORE_CHECK_IN
            and not record.checked_in_since_answer
        ):
            # Rather than a fourth unanswered prompt, ask once if fewer would suit.
            if uow.outbox.add(self._check_in(operative, day, at), now):
                plan.check_ins += 1
            return
        prompt = next_prompt(
            self.deps.library, record.history, day, operative.telegram_id, operative.trade
        )
        if prompt is None:
            return
        reply = answering.prompt_reply(self.deps, prompt, operative.telegram_id, day)
        message = OutboxMessage(
            kind=Kind.PROMPT,
            operative_id=operative.id,
            chat_id=operative.telegram_id,
            local_date=day,
            text=reply.text,
            buttons=_buttons(reply.buttons),
            due_at=at,
            prompt_id=prompt.id,
            awaits=AnswerTo(prompt.id).encode(),
        )
        if uow.outbox.add(message, now):
            plan.prompts += 1

    def _check_in(self, operative: Operative, day: date, at: datetime) -> OutboxMessage:
        assert operative.id is not None
        text = self.deps.text
        return OutboxMessage(
            kind=Kind.CHECK_IN,
            operative_id=operative.id,
            chat_id=operative.telegram_id,
            local_date=day,
            text=text("check_in"),
            buttons=[
                [(text("check_in_fewer"), SaveDays(THREE_A_WEEK).encode())],
                [(text("check_in_keep"), KeepDaily().encode())],
                [(text("check_in_pause"), PauseFor(CHECK_IN_PAUSE_DAYS).encode())],
            ],
            due_at=at,
        )

    def _queue_reminders(
        self, uow: UnitOfWork, operatives: Sequence[Operative], now: datetime
    ) -> int:
        """One gentle reminder, the same day, for a prompt still unanswered."""
        by_id = {op.id: op for op in operatives if op.status is Status.ACTIVE and op.id}
        today_of = {op_id: local_now(op, now).date() for op_id, op in by_id.items()}
        sent = uow.outbox.sent_prompts(by_id, min(today_of.values(), default=now.date()))
        unanswered = [
            (by_id[op_id], message)
            for op_id, messages in sent.items()
            for message in messages
            if message.local_date == today_of[op_id]
            and message.prompt_id is not None
            and scenario_awaited(waiting(by_id[op_id].awaiting)) == AnswerTo(message.prompt_id)
            and message.sent_at is not None
            and (remind_at := reminder_time(by_id[op_id], message.sent_at)) is not None
            and remind_at <= now
            and is_working_day(by_id[op_id], message.local_date)
        ]
        reminded = uow.outbox.queued(Kind.REMINDER, {m.local_date for _, m in unanswered})
        queued = 0
        for operative, message in unanswered:
            if (operative.id, message.local_date) in reminded:
                continue
            assert operative.id is not None
            reminder = OutboxMessage(
                kind=Kind.REMINDER,
                operative_id=operative.id,
                chat_id=operative.telegram_id,
                local_date=message.local_date,
                text=self.deps.text("reminder"),
                due_at=now,
                prompt_id=message.prompt_id,
            )
            queued += uow.outbox.add(reminder, now)
        return queued
