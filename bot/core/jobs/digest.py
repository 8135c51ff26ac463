"""The weekly digest for managers, queued through the outbox.

Every planning pass calls :func:`queue_weekly_digests`. For each manager (role
manager, active) for whom it is Monday between 08:00 and 20:00 in their own time
zone, it queues one text message summarising last week, Monday to Sunday, for
all groups. The outbox's unique (kind, operative, local date, ref) makes it once
per Monday, however many passes or replicas there are; a manager who already
has this Monday's digest is skipped before anything is computed.

Admins are not sent it: they run the bot; a person who wants the digest as well
can be given the manager role. The digest is text only (HTML-escaped), and the
privacy floor applies to it as to /summary.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.core.model import Kind, OutboxMessage
from bot.core.policy.scheduling import QUIET_FROM, at_local
from bot.core.reports.figures import build_report, digest_text
from bot.core.reports.ports import Period, Scope

if TYPE_CHECKING:
    from bot.core.deps import Deps
    from bot.core.ports import UnitOfWork

#: When the digest goes: Mondays from this local time (until quiet hours begin).
DIGEST_TIME = time(8, 0)
DIGEST_REF = "weekly"


def queue_weekly_digests(deps: Deps, uow: UnitOfWork, now: datetime) -> int:
    """Queue each manager's Monday 08:00 digest; the number queued by this pass."""
    queued = 0
    texts: dict[tuple[str, str], str] = {}
    for recipient in uow.reports.digest_recipients():
        local = now.astimezone(ZoneInfo(recipient.timezone))
        if local.weekday() != 0 or not DIGEST_TIME <= local.time() < QUIET_FROM:
            continue
        monday = local.date()
        if uow.outbox.find(Kind.DIGEST, recipient.operative_id, monday, DIGEST_REF) is not None:
            continue
        key = (recipient.timezone, monday.isoformat())
        if key not in texts:
            period = Period(
                monday - timedelta(days=7), monday - timedelta(days=1), recipient.timezone
            )
            report = build_report(uow.reports, Scope(), period, deps.text("report_all_groups"))
            texts[key] = digest_text(report, deps.text, deps.library.titles())
        message = OutboxMessage(
            kind=Kind.DIGEST,
            operative_id=recipient.operative_id,
            chat_id=recipient.telegram_id,
            local_date=monday,
            text=texts[key],
            due_at=at_local(monday, DIGEST_TIME, recipient.timezone),
            ref=DIGEST_REF,
        )
        queued += uow.outbox.add(message, now)
    return queued
