"""Each Telegram update is handled once, however many times it arrives.

    seen = SeenUpdates(uow_factory, clock)
    if seen.first_time(update.update_id): handle(update)

Telegram posts an update to the webhook again when it gets no answer in time, and
behind a load balancer the repeat may land on another replica; after a crash, a poll
may fetch again what was fetched but not yet confirmed. The id is recorded in the
database that every replica shares, in its own transaction before the update is
handled: a repeat is dropped even while the first copy is still being handled.

Telegram keeps an update for at most 24 hours, so ids are kept a little longer than
that and then pruned, at most once an hour, by whichever replica is taking updates.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Final

from bot.core.ports import Clock, UnitOfWorkFactory

log = logging.getLogger(__name__)

KEEP_FOR: Final = timedelta(hours=25)
PRUNE_EVERY: Final = timedelta(hours=1)


class SeenUpdates:
    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self._next_prune: datetime | None = None

    def first_time(self, update_id: int) -> bool:
        """Record ``update_id``; False if any replica recorded it before."""
        now = self.clock()
        with self.uow_factory() as uow:
            fresh = uow.seen_updates.first_time(update_id, now)
            uow.commit()
        if self._next_prune is None or now >= self._next_prune:
            self._next_prune = now + PRUNE_EVERY
            self.prune(now)
        return fresh

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
