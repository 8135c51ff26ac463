"""The coachbot command, run as a user would run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TOKEN = "123456:CLI-secret_token"


def coachbot(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "COACHBOT_", "DATABASE_URL"))
    }
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd or REPO,
        timeout=120,
    )


@pytest.fixture
def db(tmp_path: Path) -> dict[str, str]:
    """A database as `coachbot db upgrade` leaves it: only it, `run` and `chat` make one."""
    from bot.storage.database import make_engine
    from bot.storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return {"DATABASE_URL": url}


def test_help_lists_the_commands() -> None:
    result = coachbot("--help")
    assert result.returncode == 0
    for command in ("run", "chat", "content", "db", "grant", "erase", "health"):
        assert command in result.stdout


def test_bad_setting_exits_2_with_one_line() -> None:
    result = coachbot("db", "upgrade", env={"COACHBOT_TIMEZONE": "Nowhere/Land"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "coachbot: bad setting: COACHBOT_TIMEZONE: 'Nowhere/Land' is not a time zone such as "
        "Europe/London"
    ]


def test_run_without_token_says_so_and_exits_2(db: dict[str, str]) -> None:
    result = coachbot("run", env=db)
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN" in result.stderr


def test_run_without_token_can_fall_back_to_the_terminal_chat(db: dict[str, str]) -> None:
    result = coachbot("run", "--chat-if-no-token", env=db, stdin="/start\n/help\n/quit\n")
    assert result.returncode == 0
    assert result.stdout.splitlines()[0] == (
        "No TELEGRAM_BOT_TOKEN set, so here is the terminal chat instead."
    )
    assert "Each working day" in result.stdout


def test_chat_shows_buttons_as_numbered_choices(db: dict[str, str]) -> None:
    result = coachbot("chat", env=db, stdin="/start\n/stop\n1\n")
    assert "  1. Yes, stop" in result.stdout
    assert "stopped everything" in result.stdout


def test_db_upgrade_and_health(db: dict[str, str]) -> None:
    assert "database is at revision" in coachbot("db", "upgrade", env=db).stdout
    health = coachbot("health", env=db)
    assert health.returncode == 0 and "healthy" in health.stdout


def test_grant_needs_a_started_user_then_gives_the_role(db: dict[str, str]) -> None:
    missing = coachbot("grant", "77", "manager", env=db)
    assert missing.returncode == 1 and "has started the bot" in missing.stderr
    coachbot("chat", "--user-id", "77", env=db, stdin="/start\n/quit\n")
    granted = coachbot("grant", "77", "manager", env=db)
    assert granted.returncode == 0 and "77 is now manager" in granted.stdout
    assert coachbot("grant", "77", "king", env=db).returncode == 2


def test_erase_removes_a_person(db: dict[str, str]) -> None:
    coachbot("chat", "--user-id", "55", env=db, stdin="/start\n/quit\n")
    assert coachbot("erase", "55", env=db).returncode == 0
    assert coachbot("erase", "55", env=db).returncode == 1


def test_the_token_is_never_printed(db: dict[str, str]) -> None:
    env = {**db, "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_URL": "http://127.0.0.1:9/bot"}
    # Port 9 refuses connections: the bot fails to connect and reports it.
    result = coachbot("run", env=env)
    assert result.returncode != 0
    assert "CLI-secret_token" not in result.stdout + result.stderr


def test_cohort_create_prints_the_code_and_link_and_writes_a_qr_that_scans(
    db: dict[str, str], tmp_path: Path
) -> None:
    import io

    import zxingcpp
    from PIL import Image

    qr = tmp_path / "slide.png"
    result = coachbot(
        "cohort",
        "create",
        "Leeds repairs",
        "--workshop-date",
        "2026-11-28",
        "--qr",
        str(qr),
        "--bot-username",
        "doorstep_coach_bot",
        env=db,
    )
    assert result.returncode == 0, result.stderr
    code = result.stdout.split("invite code: ")[1].split()[0]
    link = f"https://t.me/doorstep_coach_bot?start={code}"
    assert f"deep link: {link}" in result.stdout
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.read_bytes())))
    assert [r.text for r in decoded] == [link]
    bad = coachbot("cohort", "create", "X", "--workshop-date", "28th", env=db)
    assert bad.returncode == 2 and "--workshop-date" in bad.stderr


def test_prompts_send_now_queues_and_says_so(db: dict[str, str]) -> None:
    coachbot("chat", "--user-id", "66", env=db, stdin="/start\n/quit\n")
    result = coachbot("prompts", "send-now", env=db)
    # What it queues depends on the day and hour: tests/test_cli_journeys.py pins them.
    assert result.returncode == 0 and result.stdout.startswith("queued")
    unknown = coachbot("prompts", "send-now", "--cohort", "NOPE", env=db)
    assert unknown.returncode == 1 and "no cohort with the code 'NOPE'" in unknown.stderr
