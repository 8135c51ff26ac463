"""What the core needs from storage, as protocols. ``bot.storage`` provides them on SQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from bot.core.model import Cohort, ContentGap, EngagementEvent, Operative


class OperativeRepository(Protocol):
    def get(self, telegram_id: int) -> Operative | None: ...

    def add(self, operative: Operative) -> Operative: ...

    def save(self, operative: Operative) -> None: ...

    def erase(self, telegram_id: int) -> bool: ...


class CohortRepository(Protocol):
    def add(self, cohort: Cohort) -> Cohort: ...

    def by_code(self, invite_code: str) -> Cohort | None: ...

    def by_id(self, cohort_id: int) -> Cohort | None: ...

    def created_by(self, telegram_id: int) -> list[Cohort]: ...


class EventLog(Protocol):
    def record(self, event: EngagementEvent) -> None: ...

    def of(self, operative_id: int, type_: str | None = None) -> list[EngagementEvent]: ...


class ContentGaps(Protocol):
    def add(self, gap: ContentGap) -> None: ...

    def recent(self, since: datetime, cohort_ids: list[int] | None) -> list[ContentGap]:
        """Gaps since a time; only these cohorts' unless ``cohort_ids`` is None (all)."""
        ...


class UnitOfWork(Protocol):
    """One transaction: ``with uow_factory() as uow: ...; uow.commit()``."""

    @property
    def operatives(self) -> OperativeRepository: ...

    @property
    def cohorts(self) -> CohortRepository: ...

    @property
    def events(self) -> EventLog: ...

    @property
    def gaps(self) -> ContentGaps: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
Clock = Callable[[], datetime]
