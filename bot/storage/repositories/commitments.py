"""Operatives' commitments from the post-workshop sequence."""

from __future__ import annotations

from sqlalchemy import (
    select,
)

from bot.core.model import (
    Commitment,
    Outcome,
)
from bot.storage.models import (
    CommitmentRow,
    OperativeRow,
)
from bot.storage.repositories.base import Repository


def _commitment(row: CommitmentRow) -> Commitment:
    return Commitment(
        id=row.id,
        operative_id=row.operative_id,
        cohort_id=row.cohort_id,
        text=row.text,
        share_name=row.share_name,
        outcome=Outcome(row.outcome) if row.outcome else None,
        outcome_note=row.outcome_note,
        reflection=row.reflection,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlCommitments(Repository):
    def of(self, operative_id: int) -> Commitment | None:
        row = self._session.scalars(
            select(CommitmentRow).where(CommitmentRow.operative_id == operative_id)
        ).one_or_none()
        return _commitment(row) if row else None

    def save(self, commitment: Commitment) -> Commitment:
        row = self._session.scalars(
            select(CommitmentRow).where(CommitmentRow.operative_id == commitment.operative_id)
        ).one_or_none()
        if row is None:
            row = CommitmentRow(
                operative_id=commitment.operative_id, created_at=commitment.created_at
            )
            self._session.add(row)
        row.cohort_id = commitment.cohort_id
        row.text = commitment.text
        row.share_name = commitment.share_name
        row.outcome = commitment.outcome.value if commitment.outcome else None
        row.outcome_note = commitment.outcome_note
        row.reflection = commitment.reflection
        row.updated_at = commitment.updated_at
        self._session.flush()
        commitment.id = row.id
        return commitment

    def in_cohort(self, cohort_id: int) -> list[tuple[Commitment, str]]:
        rows = self._session.execute(
            select(CommitmentRow, OperativeRow.display_name)
            .join(OperativeRow, OperativeRow.id == CommitmentRow.operative_id)
            .where(CommitmentRow.cohort_id == cohort_id)
            .order_by(CommitmentRow.created_at)
        )
        return [(_commitment(row), name) for row, name in rows]
