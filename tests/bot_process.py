"""`coachbot run` as a child process, for every test that starts it (crashes, outages,
polling and webhooks, metrics, secrets) and the reliability benchmark.

    bot = BotProcess(environment(server, database_url))
    bot.start(); bot.wait_until_connected(server)
    ...; bot.kill()                  # kill -9, as a crash
    bot.start(); ...; bot.stop()     # Ctrl+C
    bot.output                       # everything it printed, over every run
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from bot.core.model import Operative
from bot.storage.database import make_engine, make_session_factory
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.fake_bot_api import FakeBotAPI
from tests.support import without_bot_settings

REPO = Path(__file__).resolve().parent.parent
#: What every scenario prompt says, and nothing else the bot sends does.
PROMPT_MARK = "Tap an answer or type"
#: How long a freshly started ``coachbot run`` may take to come up: building the matcher
#: takes about 30 s on an idle 2-core machine, and CI runs three test workers beside it.
STARTUP_SECONDS = 180


def environment(server: FakeBotAPI | None, database_url: str, **extra: str) -> dict[str, str]:
    """The child's environment: this one without any bot settings (but the run's matcher
    cache), then the test's."""
    variables = without_bot_settings()
    if server is not None:
        variables.update(TELEGRAM_BOT_TOKEN=server.token, TELEGRAM_API_URL=server.base_url)
    variables.update(DATABASE_URL=database_url, **extra)
    return variables


def free_port() -> int:
    """A TCP port nothing listens on now, for a webhook or a proxy."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def midday_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now, so prompts are due whenever the test runs."""
    offset = 12 - now.astimezone(UTC).hour  # from -11 to +12 hours
    # The Etc zones' signs are the other way round (POSIX).
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def enrol(
    server: FakeBotAPI,
    database_url: str,
    ids: list[int],
    zone: str,
    cohort_id: int | None = None,
) -> None:
    """Operatives who pressed Start, working every day in ``zone`` with prompts at 19:00:
    around noon there, the bot's own planning sends them nothing, a send-now everything
    (or a send-now to ``cohort_id``, if they are put in one)."""
    engine = make_engine(database_url)
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        for user_id in ids:
            server.user(user_id)
            uow.operatives.add(
                Operative(
                    telegram_id=user_id,
                    display_name=f"Op {user_id}",
                    timezone=zone,
                    prompt_time=clock_time(19, 0),
                    working_days=frozenset(range(7)),
                    created_at=datetime.now(UTC) - timedelta(days=1),
                    cohort_id=cohort_id,
                )
            )
        uow.commit()
    engine.dispose()


def prompts_received(server: FakeBotAPI, ids: list[int]) -> Counter[int]:
    """How many prompts each of these operatives has been sent."""
    wanted = set(ids)
    return Counter(
        m.chat_id for m in server.messages() if m.chat_id in wanted and PROMPT_MARK in m.plain_text
    )


def unconfirmed(database_url: str) -> int:
    """Sends the bot counted as possibly duplicated."""
    engine = make_engine(database_url)
    try:
        with SqlUnitOfWork(make_session_factory(engine)) as uow:
            return uow.outbox.unconfirmed()
    finally:
        engine.dispose()


class BotProcess:
    def __init__(
        self, environment: dict[str, str], logs: Path, arguments: tuple[str, ...] = ()
    ) -> None:
        self.environment = environment
        #: Where each run's output is kept.
        self.logs = logs
        self.arguments = arguments
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._logs: list[Path] = []

    def start(self) -> None:
        """Start `coachbot run`; its output goes to a file, so a kill loses none of it."""
        log = self.logs / f"run-{self.starts}.log"
        self._logs.append(log)
        self.starts += 1
        with log.open("wb") as sink:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "run", *self.arguments],
                cwd=REPO,
                env=self.environment,
                stdout=sink,
                stderr=subprocess.STDOUT,
            )

    def wait_until_connected(self, timeout: float = 90.0) -> None:
        """Until this run has logged that it is connected to Telegram."""
        deadline = time.monotonic() + timeout
        while "connected as @" not in self.last_output:
            assert self.process is not None and self.process.poll() is None, self.last_output
            assert time.monotonic() < deadline, f"not connected in {timeout:.0f} s"
            time.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no clean-up of any kind."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 30.0) -> int:
        """Ctrl+C, and its exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def last_output(self) -> str:
        return self._logs[-1].read_text(errors="replace") if self._logs else ""

    @property
    def output(self) -> str:
        return "".join(log.read_text(errors="replace") for log in self._logs)

    def close(self) -> None:
        if self.running:
            self.stop()
