"""The outbox on SQLite and PostgreSQL: one prompt per operative per day, claims, recovery."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import partial

from sqlalchemy import Engine

from bot.core.model import Delivery, Kind, Operative, OutboxMessage
from bot.storage.database import make_session_factory
from bot.storage.unit_of_work import SqlUnitOfWork

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
DAY = date(2026, 12, 1)


def setup(engine: Engine, people: int = 3) -> tuple[partial[SqlUnitOfWork], list[int]]:
    uows = partial(SqlUnitOfWork, make_session_factory(engine))
    ids = []
    with uows() as uow:
        for number in range(people):
            operative = uow.operatives.add(
                Operative(
                    telegram_id=500 + number,
                    display_name="A",
                    timezone="Europe/London",
                    created_at=NOW,
                )
            )
            assert operative.id is not None
            ids.append(operative.id)
        uow.commit()
    return uows, ids


def prompt(operative_id: int, day: date = DAY, kind: Kind = Kind.PROMPT) -> OutboxMessage:
    return OutboxMessage(
        kind=kind,
        operative_id=operative_id,
        chat_id=500,
        local_date=day,
        text="<b>Scenario</b>",
        due_at=NOW,
        buttons=[[("Yes", "ans:x:0")], [("No", "ans:x:1")]],
        prompt_id="x",
    )


def test_one_prompt_per_operative_per_local_date(engine: Engine) -> None:
    uows, (first, second, _) = setup(engine)
    with uows() as uow:
        assert uow.outbox.add(prompt(first), NOW)
        assert not uow.outbox.add(prompt(first), NOW)  # the twin is refused, nothing breaks
        assert uow.outbox.add(prompt(first, DAY + timedelta(days=1)), NOW)
        assert uow.outbox.add(prompt(first, kind=Kind.REMINDER), NOW)
        assert uow.outbox.add(prompt(second), NOW)
        uow.commit()
    with uows() as uow:
        assert not uow.outbox.add(prompt(first), NOW)  # also across transactions
        assert uow.outbox.queued(Kind.PROMPT, [DAY]) == {(first, DAY), (second, DAY)}
        found = uow.outbox.find(Kind.PROMPT, first, DAY)
    assert found is not None and found.buttons == [[("Yes", "ans:x:0")], [("No", "ans:x:1")]]


def test_claims_do_not_overlap_between_workers(engine: Engine) -> None:
    uows, ids = setup(engine)
    with uows() as uow:
        for operative_id in ids:
            uow.outbox.add(prompt(operative_id), NOW)
        uow.commit()
    with uows() as first_worker, uows() as second_worker:
        mine = first_worker.outbox.claim(NOW, 2, "a", timedelta(minutes=2))
        first_worker.commit()
        theirs = second_worker.outbox.claim(NOW, 5, "b", timedelta(minutes=2))
        second_worker.commit()
    assert len(mine) == 2 and len(theirs) == 1
    assert {m.id for m in mine}.isdisjoint({m.id for m in theirs})


def test_future_messages_wait_and_retries_come_back_later(engine: Engine) -> None:
    uows, (first, *_) = setup(engine)
    with uows() as uow:
        uow.outbox.add(prompt(first), NOW)
        uow.commit()
    with uows() as uow:
        assert uow.outbox.claim(NOW - timedelta(seconds=1), 10, "a", timedelta(minutes=2)) == []
        (claimed,) = uow.outbox.claim(NOW, 10, "a", timedelta(minutes=2))
        assert claimed.id is not None
        uow.outbox.mark_sending([claimed.id])
        uow.outbox.retry(claimed.id, NOW + timedelta(seconds=30), "502")
        uow.commit()
    with uows() as uow:
        assert uow.outbox.claim(NOW + timedelta(seconds=29), 10, "a", timedelta(minutes=2)) == []
        (again,) = uow.outbox.claim(NOW + timedelta(seconds=30), 10, "a", timedelta(minutes=2))
    assert again.attempts == 1 and again.error == "502"


def test_recovery_requeues_claims_and_never_resends_in_flight_messages(engine: Engine) -> None:
    uows, ids = setup(engine)
    with uows() as uow:
        for operative_id in ids:
            uow.outbox.add(prompt(operative_id), NOW)
        uow.commit()
    with uows() as uow:
        claimed = uow.outbox.claim(NOW, 10, "dead", timedelta(minutes=2))
        assert claimed[0].id is not None and claimed[1].id is not None
        uow.outbox.set_status(claimed[0].id, Delivery.SENDING)
        uow.outbox.set_status(claimed[1].id, Delivery.SENT, message_id=7, sent_at=NOW)
        uow.commit()
    with uows() as uow:
        assert uow.outbox.recover(NOW + timedelta(minutes=1)) == (0, 0)  # lease still running
        assert uow.outbox.recover(NOW + timedelta(minutes=3)) == (1, 1)
        uow.commit()
        assert uow.outbox.counts() == {
            Delivery.UNCERTAIN: 1,
            Delivery.SENT: 1,
            Delivery.PENDING: 1,
        }


def test_cancel_pending_spares_what_was_sent(engine: Engine) -> None:
    uows, (first, *_) = setup(engine)
    with uows() as uow:
        uow.outbox.add(prompt(first), NOW)
        uow.outbox.add(prompt(first, kind=Kind.REMINDER), NOW)
        (sent, *_) = uow.outbox.claim(NOW, 1, "a", timedelta(minutes=2))
        assert sent.id is not None
        uow.outbox.set_status(sent.id, Delivery.SENT)
        assert uow.outbox.cancel_pending(first) == 1
        uow.commit()
        assert uow.outbox.counts() == {Delivery.SENT: 1, Delivery.CANCELLED: 1}
