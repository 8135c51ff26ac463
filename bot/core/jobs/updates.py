"""Each Telegram update is handled once, however many times it arrives.

    coach.handle(event, update_id=update.update_id)   # the id recorded as it is handled
    seen = SeenUpdates(uow_factory, clock)
    if seen.first_time(update.update_id): handle(update)  # anything else: its own commit

Telegram posts an update to the webhook again when it gets no answer in time, and
behind a load balancer the repeat may land on another replica; after a crash, a poll
may fetch again what was fetched but not yet confirmed. The id is recorded in the
database that every replica shares, in the transaction that handles the update (or,
for an update the coach doesn't handle, its own transaction before): a repeat is
dropped even while the first copy is still being handled, as recording the same id
waits for the first copy's transaction, and then finds the id taken. If handling
fails, the record goes with the rest of that transaction: a repeat of it is handled,
which is better than never handling it at all.

Telegram keeps an update for at most 24 hours, so ids are kept a little longer than
that and then pruned, at most once an hour, by whichever replica is taking updates.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Final

from bot.core.model import Operative
from bot.core.ports import Clock, UnitOfWork, UnitOfWorkFactory

log = logging.getLogger(__name__)

KEEP_FOR: Final = timedelta(hours=25)
PRUNE_EVERY: Final = timedelta(hours=1)


def first_time(uow: UnitOfWork, update_id: int, now: datetime) -> bool:
    """Record ``update_id`` in ``uow``'s transaction; False (and a log line) for a repeat."""
    if uow.seen_updates.first_time(update_id, now):
        return True
    log.info("update %d came again; the repeat is dropped", update_id)
    return False


def first_time_and_lock(
    uow: UnitOfWork, update_id: int, now: datetime, telegram_id: int
) -> tuple[bool, Operative | None]:
    """``first_time``, and the operative locked (see ``OperativeRepository.lock``) in the
    same step: whether the update is new, and the operative."""
    fresh, operative = uow.seen_updates.first_time_and_lock(update_id, now, telegram_id)
    if not fresh:
        log.info("update %d came again; the repeat is dropped", update_id)
    return fresh, operative


class SeenUpdates:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self._next_prune: datetime | None = None

    def first_time(self, update_id: int) -> bool:
        """Record ``update_id``; False if any replica recorded it before."""
        with self.uow_factory() as uow:
            fresh = first_time(uow, update_id, self.clock())
            uow.commit()
        self.prune_when_due()
        return fresh

    def prune_when_due(self) -> None:
        """Prune, if the last time was an hour ago (or never): call it now and then."""
        now = self.clock()
        if self._next_prune is None or now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY
            self.prune(now)

    def prune(self, now: datetime) -> int:
        """Forget ids older than Telegram could send again; how many went."""
        try:
            with self.uow_factory() as uow:
                gone = uow.seen_updates.forget_before(now - KEEP_FOR)
                uow.commit()
        except Exception as error:  # the next hour's try will do; updates go on meanwhile
            log.warning("could not prune old update ids: %s", type(error).__name__)
            return 0
        return gone
