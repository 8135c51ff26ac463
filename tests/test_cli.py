"""The coachbot command, run as a user would run it."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from tests.bot_process import BotProcess, environment
from tests.conftest import copy_migrated
from tests.forked_cli import clean_environment, run_coachbot

REPO = Path(__file__).resolve().parent.parent
TOKEN = "123456:CLI-secret_token"


def coachbot(
    *args: str, env: dict[str, str] | None = None, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``coachbot ARGS`` as its own process (forked: see tests/forked_cli.py), with only
    the bot settings in ``env``."""
    return run_coachbot(list(args), clean_environment(**(env or {})), stdin, cwd or REPO)


@pytest.fixture
def db(tmp_path: Path, migrated_sqlite: Path) -> dict[str, str]:
    """A database as `coachbot db upgrade` leaves it (only it, `run` and `chat` make one):
    a copy of the run's migrated template (tests/conftest.py)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    copy_migrated(migrated_sqlite, url)
    return {"DATABASE_URL": url}


def _events_of_type(db: dict[str, str], type_: str) -> int:
    import sqlite3

    path = db["DATABASE_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        query = "SELECT count(*) FROM engagement_events WHERE type = ?"
        return int(connection.execute(query, (type_,)).fetchone()[0])


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
    assert "daily scenarios: off, unless they turn them on in /settings" in granted.stdout
    back = coachbot("grant", "77", "operative", env=db)
    assert "daily scenarios: on" in back.stdout
    assert coachbot("grant", "77", "king", env=db).returncode == 2
    # Granted from the command line as in the bot: each grant is on record.
    assert _events_of_type(db, "role_granted") == 2


def test_erase_removes_a_person(db: dict[str, str]) -> None:
    coachbot("chat", "--user-id", "55", env=db, stdin="/start\n/quit\n")
    # Enrolled, and, on a weekday after the default 08:00, sent the day's scenario too.
    stored = _events_of_type(db, "enrolled") + _events_of_type(db, "prompt_sent")
    assert _events_of_type(db, "enrolled") == 1
    erased = coachbot("erase", "55", env=db)
    assert erased.returncode == 0
    assert "erased everything stored for Telegram id 55" in erased.stdout
    assert f"events: {stored}," in erased.stdout
    assert _events_of_type(db, "enrolled") == 0
    assert coachbot("erase", "55", env=db).returncode == 1


def test_the_token_is_never_printed(db: dict[str, str], tmp_path: Path) -> None:
    variables = environment(None, db["DATABASE_URL"])
    variables.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL="http://127.0.0.1:9/bot")
    # Port 9 refuses connections: the bot says Telegram is unreachable and waits for it.
    bot = BotProcess(variables, tmp_path)
    bot.start()
    deadline = time.monotonic() + 120  # a hang fails the test, not the run
    try:
        while "unreachable" not in bot.output:
            assert bot.running, f"coachbot run stopped instead of waiting:\n{bot.output}"
            assert time.monotonic() < deadline, f"coachbot run never said so:\n{bot.output}"
            time.sleep(0.1)
        assert bot.stop(timeout=60) == 0  # stopped while waiting
    finally:
        bot.close()
    assert "CLI-secret_token" not in bot.output


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


@pytest.fixture(scope="module")
def annotated_content(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The content, with the shelves prompt's ingredients and red flags written in."""
    import shutil

    import yaml

    from tests.unit.test_judging import ANNOTATION, SHELVES

    content = tmp_path_factory.mktemp("annotated") / "content"
    shutil.copytree(REPO / "content", content)
    path = content / "topics" / "saying-no.yaml"
    topic = yaml.safe_load(path.read_text(encoding="utf-8"))
    for prompt in topic["prompts"]:
        if prompt["id"] == SHELVES:
            prompt.update(ANNOTATION)
    path.write_text(yaml.safe_dump(topic, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return {"COACHBOT_CONTENT_DIR": str(content)}


def test_judge_prints_the_verdict_what_was_found_and_missing_and_the_feedback(
    annotated_content: dict[str, str],
) -> None:
    result = coachbot(
        "judge",
        "no-shelves-while-here",
        "cant do it, im only booked for the radiator",
        env=annotated_content,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "verdict:     partial (from ingredients)",
        "found:       reason",
        "missing:     alternative, kind-no",
        "red flags:   -",
        "feedback:    You gave the reason. Next time add what he can do instead: "
        "the office can tell him his options.",
    ]
    flagged = coachbot(
        "judge",
        "no-shelves-while-here",
        "id never put them up, i'd whack them up for cash",
        "--json",
        env=annotated_content,
    )
    answer = json.loads(flagged.stdout)
    assert answer["verdict"] == "concern" and answer["red_flags"] == ["unbooked-work"]
    assert answer["feedback"].startswith("Work that isn't booked")


def test_judge_reads_json_lines_and_carries_on_past_a_bad_one(
    annotated_content: dict[str, str],
) -> None:
    lines = [
        '{"prompt": "no-shelves-while-here", "reply": "sorry, only booked for the rad, '
        'ring the office"}',
        "not json",
        '{"prompt": "no-such-prompt", "reply": "hello"}',
        '{"prompt": "no-shelves-while-here"}',
        '{"prompt": "no-shelves-while-here", "reply": "id never just put them up"}',
    ]
    result = coachbot("judge", env=annotated_content, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 5
    assert answers[0]["verdict"] == "strong"
    assert answers[0]["ingredients_found"] == ["reason", "alternative", "kind-no"]
    assert answers[0]["ingredients_missing"] == [] and answers[0]["red_flags"] == []
    assert "error" in answers[1] and "error" in answers[2] and "error" in answers[3]
    assert answers[4]["verdict"] != "concern"
    assert answers[4]["rejected_red_flags"] == ["unbooked-work"]


def test_judge_an_unknown_prompt_is_one_line_and_exit_2() -> None:
    result = coachbot("judge", "no-such-prompt", "hello")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "coachbot: no prompt with the id 'no-such-prompt'"
    ]
