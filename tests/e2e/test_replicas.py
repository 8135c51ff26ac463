"""Two `coachbot run --webhook` replicas on one PostgreSQL database, behind a round-robin
proxy, with the local Bot API server posting updates over many connections at once.

- Two updates from one person, posted at the same moment to the two replicas, both
  take effect: neither overwrites the other's change.
- An update that Telegram posts again (its answer was lost) is handled once, even when
  the repeat lands on the other replica.
- The sending replica, killed by kill -9 halfway through a send-now, is replaced by the
  other: nothing lost, and no more repeats than the messages that were in flight.

The full 1,000-operative kill is `python -m bench replicas`; here it is 300.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

import pytest

from bot.core.callbacks import Answer, AnswerTo, SetPromptTime
from bot.core.content.loader import load_library
from bot.core.model import Cohort, Delivery, EventType, Kind, Status
from bot.settings import Settings
from bot.wiring import Runtime, build_runtime
from tests.bot_process import enrol, midday_zone
from tests.conftest import CONTENT
from tests.fake_bot_api import FakeBotAPI
from tests.replicas import Replicas
from tests.support import scratch_postgres_database

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]

PAIRS = 200
REPEATED = 60
KILL_OPERATIVES = 300
LATECOMER = 64_999
#: Inside the prompt hours, and later today than it is around noon: nothing becomes due.
NEW_PROMPT_TIME = clock_time(18, 30)


@dataclass
class Cluster:
    server: FakeBotAPI
    replicas: Replicas
    runtime: Runtime
    zone: str

    @property
    def url(self) -> str:
        return self.replicas.database_url


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("replicas")
    with (
        scratch_postgres_database() as url,
        FakeBotAPI(max_calls=50_000) as server,
        Replicas(server, url, folder) as replicas,
    ):
        runtime = build_runtime(Settings(database_url=url), migrate=False)
        try:
            yield Cluster(server, replicas, runtime, midday_zone(datetime.now(UTC)))
        finally:
            runtime.engine.dispose()
    assert server.token.split(":", 1)[1] not in replicas.output


def wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def handled_all(cluster: Cluster, update_ids: list[int]) -> bool:
    """Every update posted and answered, and nothing waiting to be posted again."""
    posts = cluster.server.webhook_posts
    return all(posts[u] for u in update_ids) and not cluster.server.pending_updates


def test_two_updates_from_one_person_at_once_on_two_replicas_both_take_effect(
    cluster: Cluster,
) -> None:
    server, coach = cluster.server, cluster.runtime.coach
    ids = list(range(61_000, 61_000 + PAIRS))
    enrol(server, cluster.url, ids, cluster.zone)
    prompt = next(iter(load_library(CONTENT).prompts.values()))
    with coach.uow_factory() as uow:
        # Each of them has just been sent this scenario, and the bot waits for the answer.
        waiting = [uow.operatives.get(i) for i in ids]
        uow.operatives.set_awaiting_many(
            [(op.id, AnswerTo(prompt.id).encode()) for op in waiting if op and op.id]
        )
        uow.commit()
    answer = Answer(prompt.id, 0).encode()
    new_time = SetPromptTime(NEW_PROMPT_TIME.hour, NEW_PROMPT_TIME.minute).encode()
    pairs: list[tuple[int, int]] = []
    for number, user_id in enumerate(ids):
        user = server.user(user_id)
        # Half change a setting while answering; half answer while pausing for a week;
        # each way round. The two are posted at once, over two connections, and the
        # proxy passes one to each replica.
        if number % 4 == 0:
            pair = user.press_data(new_time, 1), user.press_data(answer, 1)
        elif number % 4 == 1:
            pair = user.press_data(answer, 1), user.send("/pause 7")
        elif number % 4 == 2:
            pair = user.press_data(answer, 1), user.press_data(new_time, 1)
        else:
            pair = user.send("/pause 7"), user.press_data(answer, 1)
        pairs.append((pair[0].update_id, pair[1].update_id))
        # Both replies before the next pair, so the replicas are never busy with another
        # person's update: each pair is handled on both at the same moment.
        for _ in pair:
            user.wait_for_sync(lambda message: True, timeout=30)

    routes = cluster.replicas.proxy.routes
    split = sum(routes[a][0] != routes[b][0] for a, b in pairs)
    assert split >= PAIRS * 9 // 10  # (a post refused, then passed on, may meet its pair)
    sorry = coach.text("something_wrong")
    assert not [m for i in ids for m in server.messages(i) if sorry in m.text]
    today = datetime.now(ZoneInfo(cluster.zone)).date()
    lost: list[str] = []
    with coach.uow_factory() as uow:
        for number, user_id in enumerate(ids):
            operative = uow.operatives.get(user_id)
            assert operative is not None and operative.id is not None
            answered = len(uow.events.of(operative.id, EventType.ANSWERED.value))
            if number % 2 == 0:
                kept = operative.prompt_time == NEW_PROMPT_TIME and operative.awaiting is None
            else:
                kept = (
                    operative.status is Status.PAUSED
                    and operative.paused_until == today + timedelta(days=7)
                    and operative.awaiting is None
                )
            if not (kept and answered == 1):
                lost.append(f"{user_id}: {operative}, {answered} answers")
    assert not lost, f"{len(lost)} of {PAIRS} pairs lost a change: {lost[:3]}"


def test_an_update_posted_again_is_handled_once_on_whichever_replica_it_lands(
    cluster: Cluster,
) -> None:
    server = cluster.server
    ids = list(range(63_000, 63_000 + REPEATED))
    enrol(server, cluster.url, ids, cluster.zone)
    server.set_webhook_faults(lost_answer_rate=0.5, seed=15)
    try:
        sent = [server.user(i).send("/help").update_id for i in ids]
        wait_until(lambda: handled_all(cluster, sent), 60, "every update to be handled")
        wait_until(lambda: all(server.messages(i) for i in ids), 60, "a reply to each")
    finally:
        server.set_webhook_faults(lost_answer_rate=0.0)
    time.sleep(1.0)  # a second reply, if any, would come now
    posts = server.webhook_posts
    routes = cluster.replicas.proxy.routes
    assert sum(posts[u] > 1 for u in sent) >= REPEATED // 4  # Telegram posted these again...
    assert any(len(set(routes[u])) > 1 for u in sent)  # ...some to the other replica
    assert Counter(len(server.messages(i)) for i in ids) == {1: REPEATED}  # one reply each
    assert "came again; the repeat is dropped" in cluster.replicas.output


def test_kill_9_of_the_sending_replica_mid_send_the_other_takes_over_and_loses_nothing(
    cluster: Cluster,
) -> None:
    server, runtime, replicas = cluster.server, cluster.runtime, cluster.replicas
    with runtime.coach.uow_factory() as uow:
        cohort = uow.cohorts.add(Cohort("Replica drill", "REPLICA01", created_at=datetime.now(UTC)))
        uow.commit()
    ids = list(range(64_000, 64_000 + KILL_OPERATIVES))
    enrol(server, cluster.url, ids, cluster.zone, cohort_id=cohort.id)
    assert cohort.id is not None
    run = replicas.send_now(
        runtime.planner, ids, cohort.id, kill_after=KILL_OPERATIVES // 2, timeout=90
    )
    assert set(run.received) == set(ids)  # nothing lost
    assert run.duplicates <= run.counted <= 3  # only what was in flight, each counted
    with runtime.coach.uow_factory() as uow:
        assert uow.outbox.counts(Kind.PROMPT) == {Delivery.SENT: KILL_OPERATIVES}
    assert replicas.sender() == 1 - run.sender
    assert run.takeover_seconds is not None
    print(f"takeover after kill -9 of the sender: {run.takeover_seconds:.1f} s")
    assert run.takeover_seconds < 30
    # Someone writes afterwards: the proxy passes it on to the replica still running.
    enrol(server, cluster.url, [LATECOMER], cluster.zone)
    for _ in range(2):  # one of them goes to the dead replica first
        server.user(LATECOMER).send("/help")
    wait_until(lambda: len(server.messages(LATECOMER)) == 2, 30, "answers from the survivor")
