"""Erasing a person: every row that names them or holds their words goes, or loses them.

What is removed, for anyone (operative, facilitator, manager, admin):

- their operative row (Telegram id, name, settings, what the bot was waiting for);
- their engagement events and the prompt-reply rows and report rollups built from
  them (their reply delays leave everyone's counts);
- the questions they asked that went to the content-gap list;
- their commitment, with its notes and reflection;
- every outbox row addressed to them, sent or not;
- every follow-up they wrote: drafts, queued ones (cancelled: their words are not
  sent on their behalf once they have asked to be forgotten) and sent ones,
  together with every copy queued to or kept for the group's members.

What stays: the groups they set up, with the author set to
:data:`~bot.core.model.FORMER_FACILITATOR`, as the members still belong to them.

On SQLite the unit of work then checkpoints the write-ahead log (see
:func:`bot.storage.database.checkpoint`); deleted content is zeroed in place
(``secure_delete``), so neither file holds the person afterwards.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Delete, Update, delete, or_, select, update
from sqlalchemy.orm import Session

from bot.core.model import (
    FORMER_FACILITATOR,
    Erased,
    Kind,
    follow_up_ref,
    follow_up_report_ref,
)
from bot.storage import rollups
from bot.storage.models import (
    CohortRow,
    CommitmentRow,
    ContentGapRow,
    EventRow,
    FollowUpRow,
    OperativeRow,
    OutboxRow,
    PromptReplyRow,
)


class SqlErasure:
    def __init__(self, session: Session) -> None:
        self._session = session
        #: Whether this unit of work erased anyone (the WAL is checkpointed on commit).
        self.erased_anyone = False

    def erase(self, telegram_id: int) -> Erased | None:
        """Erase everything stored about this person; None if nothing was."""
        session = self._session
        operative_id = session.scalars(
            select(OperativeRow.id).where(OperativeRow.telegram_id == telegram_id)
        ).one_or_none()
        follow_up_ids = list(
            session.scalars(select(FollowUpRow.id).where(FollowUpRow.author_id == telegram_id))
        )
        cohorts = _affected(
            session,
            update(CohortRow)
            .where(CohortRow.created_by == telegram_id)
            .values(created_by=FORMER_FACILITATOR),
        )
        if operative_id is None and not follow_up_ids and not cohorts:
            return None
        follow_up_refs = [
            ref
            for number in follow_up_ids
            for ref in (follow_up_ref(number), follow_up_report_ref(number))
        ]
        copies = OutboxRow.kind == Kind.FOLLOW_UP.value
        messages = _affected(
            session,
            delete(OutboxRow).where(
                or_(
                    OutboxRow.operative_id == operative_id,
                    copies & OutboxRow.ref.in_(follow_up_refs),
                )
            ),
        )
        follow_ups = _affected(
            session, delete(FollowUpRow).where(FollowUpRow.id.in_(follow_up_ids))
        )
        events = questions = commitments = 0
        if operative_id is not None:
            events = _affected(
                session, delete(EventRow).where(EventRow.operative_id == operative_id)
            )
            # Their rollups go with their operative row; their reply delays are
            # counted with everyone's, so they are taken out of the counts first.
            rollups.forget_delays(session, operative_id)
            session.execute(
                delete(PromptReplyRow).where(PromptReplyRow.operative_id == operative_id)
            )
            questions = _affected(
                session, delete(ContentGapRow).where(ContentGapRow.operative_id == operative_id)
            )
            commitments = _affected(
                session, delete(CommitmentRow).where(CommitmentRow.operative_id == operative_id)
            )
            session.execute(delete(OperativeRow).where(OperativeRow.id == operative_id))
        self.erased_anyone = True
        return Erased(events, questions, commitments, messages, follow_ups, cohorts)


def _affected(session: Session, statement: Delete | Update) -> int:
    """How many rows a DELETE or UPDATE touched."""
    return cast(CursorResult[Any], session.execute(statement)).rowcount
