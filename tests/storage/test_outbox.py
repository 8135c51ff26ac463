"""The outbox on SQLite and PostgreSQL: one prompt per operative per day, claims, fencing,
sweeping up after a sender that died."""

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
        assert uow.outbox.mark_sending([claimed.id], "a") == {claimed.id}
        assert uow.outbox.retry(claimed.id, NOW + timedelta(seconds=30), "502", "a")
        uow.commit()
    with uows() as uow:
        assert uow.outbox.claim(NOW + timedelta(seconds=29), 10, "a", timedelta(minutes=2)) == []
        (again,) = uow.outbox.claim(NOW + timedelta(seconds=30), 10, "a", timedelta(minutes=2))
    assert again.attempts == 1 and again.error == "502"


def test_a_sweep_requeues_stale_claims_and_resends_what_was_mid_send_counted(
    engine: Engine,
) -> None:
    uows, ids = setup(engine)
    with uows() as uow:
        for operative_id in ids:
            uow.outbox.add(prompt(operative_id), NOW)
        uow.commit()
    with uows() as uow:
        claimed = uow.outbox.claim(NOW, 10, "dead", timedelta(seconds=30))
        going, sent, _ = (m.id for m in claimed)
        assert going is not None and sent is not None
        assert uow.outbox.mark_sending([going, sent], "dead") == {going, sent}
        assert uow.outbox.mark_sent([(sent, 7)], NOW, "dead") == {sent}
        uow.commit()
    with uows() as uow:
        assert uow.outbox.sweep(NOW + timedelta(seconds=29)) == (0, 0)  # lease still running
        assert uow.outbox.sweep(NOW + timedelta(seconds=31)) == (1, 1)
        uow.commit()
    with uows() as uow:
        assert uow.outbox.counts() == {Delivery.SENT: 1, Delivery.PENDING: 2}
        assert uow.outbox.unconfirmed() == 1  # the one caught mid-send may arrive twice
        again = uow.outbox.claim(NOW + timedelta(seconds=31), 10, "next", timedelta(seconds=30))
    assert {m.id for m in again} == {going, claimed[2].id}


def test_a_live_senders_heartbeat_keeps_its_claims(engine: Engine) -> None:
    uows, ids = setup(engine)
    with uows() as uow:
        for operative_id in ids:
            uow.outbox.add(prompt(operative_id), NOW)
        uow.commit()
    with uows() as uow:
        mine = uow.outbox.claim(NOW, 2, "alive", timedelta(seconds=30))
        theirs = uow.outbox.claim(NOW, 1, "dead", timedelta(seconds=30))
        assert uow.outbox.renew(["alive"], NOW + timedelta(seconds=50)) == 2
        uow.commit()
    with uows() as uow:
        assert uow.outbox.sweep(NOW + timedelta(seconds=40)) == (1, 0)  # only the dead one's
        uow.commit()
    with uows() as uow:
        assert uow.outbox.mark_sending([m.id for m in mine if m.id], "alive") == {
            m.id for m in mine
        }
        assert len(theirs) == 1


def test_a_claim_taken_over_can_no_longer_be_written_by_its_old_holder(engine: Engine) -> None:
    uows, (first, second, _) = setup(engine)
    with uows() as uow:
        uow.outbox.add(prompt(first), NOW)
        uow.outbox.add(prompt(second), NOW)
        uow.commit()
    with uows() as uow:
        slow = uow.outbox.claim(NOW, 2, "slow", timedelta(seconds=30))
        row, other = (m.id for m in slow)
        assert row is not None and other is not None
        assert uow.outbox.mark_sending([row], "slow") == {row}
        uow.commit()
    # The slow sender stalls past its lease; another becomes the sender and takes over.
    with uows() as uow:
        assert uow.outbox.sweep(NOW + timedelta(minutes=1), everything=True) == (1, 1)
        taken = uow.outbox.claim(NOW + timedelta(minutes=1), 2, "new", timedelta(seconds=30))
        assert {m.id for m in taken} == {row, other}
        assert uow.outbox.mark_sending([row], "new") == {row}
        uow.commit()
    with uows() as uow:
        # Everything the slow sender still tries changes nothing.
        assert uow.outbox.mark_sending([other], "slow") == set()
        assert uow.outbox.mark_sent([(row, 9)], NOW, "slow") == set()
        assert not uow.outbox.retry(row, NOW, "502", "slow")
        assert not uow.outbox.set_status(row, Delivery.FAILED, "slow")
        assert uow.outbox.release([other], "slow") == 0
        uow.commit()
    with uows() as uow:
        assert uow.outbox.counts() == {Delivery.SENDING: 1, Delivery.CLAIMED: 1}
        assert uow.outbox.mark_sent([(row, 9)], NOW, "new") == {row}
        assert uow.outbox.release([other], "new") == 1
        uow.commit()
        assert uow.outbox.counts() == {Delivery.SENT: 1, Delivery.PENDING: 1}


def test_a_lost_answer_is_counted_when_the_message_is_retried(engine: Engine) -> None:
    uows, (first, *_) = setup(engine)
    with uows() as uow:
        uow.outbox.add(prompt(first), NOW)
        (claimed,) = uow.outbox.claim(NOW, 1, "a", timedelta(seconds=30))
        assert claimed.id is not None
        uow.outbox.mark_sending([claimed.id], "a")
        assert uow.outbox.retry(claimed.id, NOW, "NetworkError", "a", unconfirmed=True)
        uow.commit()
        assert uow.outbox.unconfirmed() == 1
        assert uow.outbox.unconfirmed(Kind.REMINDER) == 0


def test_cancel_pending_spares_what_was_sent(engine: Engine) -> None:
    uows, (first, *_) = setup(engine)
    with uows() as uow:
        uow.outbox.add(prompt(first), NOW)
        uow.outbox.add(prompt(first, kind=Kind.REMINDER), NOW)
        (sent, *_) = uow.outbox.claim(NOW, 1, "a", timedelta(minutes=2))
        assert sent.id is not None
        assert uow.outbox.set_status(sent.id, Delivery.SENT, "a")
        assert uow.outbox.cancel_pending(first) == 1
        uow.commit()
        assert uow.outbox.counts() == {Delivery.SENT: 1, Delivery.CANCELLED: 1}
