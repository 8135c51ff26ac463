"""The unit of work: one transaction around the repositories."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.storage.database import checkpoint
from bot.storage.erasure import SqlErasure
from bot.storage.repositories import (
    SqlCohorts,
    SqlCommitments,
    SqlContentGaps,
    SqlEventLog,
    SqlFollowUps,
    SqlOperatives,
    SqlOutbox,
)
from bot.storage.retention import SqlRetention
from bot.storage.summaries import KeptReports
from bot.storage.updates import SqlSeenUpdates


class SqlUnitOfWork:
    """``with SqlUnitOfWork(sessions) as uow: ...; uow.commit()``.

    Leaving the block without ``commit()`` rolls back.
    """

    operatives: SqlOperatives
    cohorts: SqlCohorts
    events: SqlEventLog
    gaps: SqlContentGaps
    outbox: SqlOutbox
    reports: KeptReports
    follow_ups: SqlFollowUps
    commitments: SqlCommitments
    erasure: SqlErasure
    retention: SqlRetention
    seen_updates: SqlSeenUpdates

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def __enter__(self) -> Self:
        self.session = self._sessions()
        self.operatives = SqlOperatives(self.session)
        self.cohorts = SqlCohorts(self.session)
        self.events = SqlEventLog(self.session)
        self.gaps = SqlContentGaps(self.session)
        self.outbox = SqlOutbox(self.session)
        self.reports = KeptReports(self.session)
        self.follow_ups = SqlFollowUps(self.session)
        self.commitments = SqlCommitments(self.session)
        self.erasure = SqlErasure(self.session)
        self.retention = SqlRetention(self.session)
        self.seen_updates = SqlSeenUpdates(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.session.rollback()
        self.session.close()

    def commit(self) -> None:
        self.session.commit()
        if self.erasure.erased_anyone:
            # Only now is the erasure durable; then the old pages leave the WAL too.
            engine = self.session.get_bind()
            assert isinstance(engine, Engine)
            checkpoint(engine)
            self.erasure.erased_anyone = False
