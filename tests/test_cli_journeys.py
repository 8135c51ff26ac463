"""The command line's journeys, walked as an admin would walk them: each `coachbot …` is a
separate process, and what counts is what it prints and its exit code.

Where the day and hour matter (a Saturday, 10:00), the clock is pinned with
tests/pinned_clock.py; everything else is the real command.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fake_bot_api import FakeBotAPI
from tests.forked_cli import clean_environment, run_coachbot
from tests.support import postgres_available
from tests.terminal_session import TerminalSession

REPO = Path(__file__).resolve().parent.parent
CONTENT = REPO / "content"
#: Tuesday 1 December 2026, 10:00 in London (UTC in winter): a working day, after 08:00.
TUESDAY_10AM = "2026-12-01T10:00:00+00:00"
#: Saturday 5 December 2026, 10:00 in London.
SATURDAY_10AM = "2026-12-05T10:00:00+00:00"


#: This process's environment without any of the bot's settings, plus those given.
environment = clean_environment


def coachbot(
    *args: str,
    env: dict[str, str],
    stdin: str = "",
    at: str | None = None,
    cwd: Path = REPO,
) -> subprocess.CompletedProcess[str]:
    """``coachbot ARGS`` as its own process (forked: see tests/forked_cli.py)."""
    return run_coachbot(list(args), env, stdin, cwd, at)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    """The failure's only line on stderr (asserting there is exactly one)."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.fixture
def db(tmp_path: Path) -> dict[str, str]:
    """Settings for a SQLite database as `coachbot db upgrade` leaves it."""
    from bot.storage.database import make_engine
    from bot.storage.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'coachbot.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return environment(DATABASE_URL=url)


def invite_code(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout.split("invite code: ")[1].split()[0]


# -- expected failures: one line, naming the setting, exit 2 --------------------------


def test_an_unreachable_postgresql_is_one_line_naming_database_url_without_its_password() -> None:
    # Port 1 refuses connections: the server "isn't running".
    env = environment(DATABASE_URL="postgresql+psycopg://coach:s3cret-pw@127.0.0.1:1/coachbot")
    for command in (["report"], ["db", "upgrade"]):
        result = coachbot(*command, env=env)
        assert result.returncode == 2, (command, result.stderr)
        line = one_line(result)
        assert line.startswith("coachbot: DATABASE_URL: can't reach the database at ")
        assert "127.0.0.1:1" in line and "check that the server is running" in line
        assert "s3cret-pw" not in result.stdout + result.stderr


def test_a_postgresql_database_that_does_not_exist_says_to_create_it() -> None:
    if postgres_available() is not None:
        pytest.skip("needs the PostgreSQL server at 127.0.0.1:5432")
    env = environment(
        DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/coachbot_no_such_database"
    )
    result = coachbot("report", env=env)
    assert result.returncode == 2
    line = one_line(result)
    assert 'database "coachbot_no_such_database" does not exist' in line
    assert "create it on the server, then run `coachbot db upgrade`" in line


def test_pending_migrations_are_one_line_until_db_upgrade(tmp_path: Path) -> None:
    from bot.storage.database import make_engine
    from bot.storage.migrate import upgrade

    # A database left by an older coachbot, one migration behind.
    path = tmp_path / "old.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, "0004")
    engine.dispose()
    env = environment(DATABASE_URL=f"sqlite:///{path}")

    for command in (["report"], ["prompts", "send-now"]):
        result = coachbot(*command, env=env)
        assert result.returncode == 2, (command, result.stderr)
        assert one_line(result) == (
            f"coachbot: DATABASE_URL: the database at sqlite:///{path} needs its migrations: "
            "run `coachbot db upgrade`"
        )
    health = coachbot("health", env=env)
    assert health.returncode == 1  # Docker's HEALTHCHECK: 1 is unhealthy, 2 is reserved
    assert health.stderr.startswith("unhealthy: DATABASE_URL:")

    assert coachbot("db", "upgrade", env=env).returncode == 0
    assert coachbot("health", env=env).returncode == 0


def test_a_missing_content_folder_is_one_line_naming_coachbot_content_dir(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "contnet"
    env = environment(
        DATABASE_URL=f"sqlite:///{tmp_path / 'coachbot.db'}", COACHBOT_CONTENT_DIR=str(missing)
    )
    for command in (["chat"], ["ask", "tenant kicking off"]):
        result = coachbot(*command, env=env, stdin="/quit\n")
        assert result.returncode == 2, (command, result.stderr)
        assert one_line(result).endswith(
            f"coachbot: COACHBOT_CONTENT_DIR: there is no folder at {missing}: set it to the "
            "content folder (the one holding topics/ and texts.yaml), or unset it to use the "
            "content that came with the bot"
        )


def test_content_with_problems_is_one_line_pointing_to_content_check(
    db: dict[str, str], tmp_path: Path
) -> None:
    broken = tmp_path / "content"
    shutil.copytree(CONTENT, broken)
    path = broken / "topics" / "doorstep.yaml"
    path.write_text(path.read_text().replace("verdict: strong", "verdict: brilliant", 1))
    result = coachbot("chat", env={**db, "COACHBOT_CONTENT_DIR": str(broken)}, stdin="/quit\n")
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith(f"coachbot: COACHBOT_CONTENT_DIR: the content in {broken} has 1 ")
    assert f"(the first: {path}:" in line
    assert line.endswith("run `coachbot content check` to see them all")


def test_the_chat_says_which_content_it_uses_and_why(db: dict[str, str], tmp_path: Path) -> None:
    default = coachbot("chat", env=db, stdin="/quit\n")
    assert default.returncode == 0
    assert (
        f"coachbot: coaching content from {CONTENT} (the default, as COACHBOT_CONTENT_DIR "
        "is not set)"
    ) in default.stderr
    copy = tmp_path / "our-content"
    shutil.copytree(CONTENT, copy)
    chosen = coachbot("chat", env={**db, "COACHBOT_CONTENT_DIR": str(copy)}, stdin="/quit\n")
    assert f"coaching content from {copy} (COACHBOT_CONTENT_DIR)" in chosen.stderr


@pytest.fixture
def server() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as fake:
        yield fake


def test_a_token_telegram_refuses_is_one_line_and_never_printed(
    server: FakeBotAPI, db: dict[str, str]
) -> None:
    # The local Bot API answers 401 to this token, as Telegram does to a revoked one.
    token = "123456:revoked.token-secret"
    env = {**db, "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_URL": server.base_url}
    run = coachbot("run", env=env)
    assert run.returncode == 2
    output = run.stdout + run.stderr
    assert "revoked.token-secret" not in output and "Traceback" not in output
    refused = run.stderr.splitlines()[-1]
    assert refused.startswith("coachbot: ") and "TELEGRAM_BOT_TOKEN" in refused
    assert "refused" in refused and "@BotFather" in refused

    # `cohort create` asks Telegram for the bot's username: refused, it makes nothing.
    create = coachbot("cohort", "create", "Leeds repairs", "--qr", "slide.png", env=env)
    assert create.returncode == 2
    assert "TELEGRAM_BOT_TOKEN: Telegram refused this token" in one_line(create)
    assert "nothing was made" in create.stderr
    assert "revoked.token-secret" not in create.stdout + create.stderr
    assert coachbot("cohort", "list", env=db).stdout.startswith("no groups yet")


# -- a misspelt SQLite path -------------------------------------------------------------


def test_a_misspelt_sqlite_path_is_refused_not_made(db: dict[str, str], tmp_path: Path) -> None:
    misspelt = tmp_path / "coachbto.db"
    env = environment(DATABASE_URL=f"sqlite:///{misspelt}")
    for command in (
        ["report"],
        ["grant", "77", "manager"],
        ["erase", "77"],
        ["cohort", "create", "Leeds", "--bot-username", "doorstep_coach_bot"],
        ["cohort", "list"],
        ["prompts", "send-now"],
    ):
        result = coachbot(*command, env=env)
        assert result.returncode == 2, (command, result.stderr)
        assert one_line(result) == (
            f"coachbot: DATABASE_URL: there is no database at {misspelt}: check the path, "
            "or make a new one with `coachbot db upgrade`"
        )
        assert not misspelt.exists()
    health = coachbot("health", env=env)
    assert health.returncode == 1 and not misspelt.exists()

    made = coachbot("db", "upgrade", env=env)
    assert made.returncode == 0
    assert made.stdout.startswith(f"made a new database at {misspelt}\n")


def test_the_chat_may_make_a_database_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "new" / "chat.db"
    result = coachbot("chat", env=environment(DATABASE_URL=f"sqlite:///{path}"), stdin="/quit\n")
    assert result.returncode == 0
    assert f"coachbot: made a new database at {path}" in result.stderr
    again = coachbot("chat", env=environment(DATABASE_URL=f"sqlite:///{path}"), stdin="/quit\n")
    assert "made a new database" not in again.stderr


# -- cohorts -----------------------------------------------------------------------------


def test_cohort_create_without_a_username_makes_the_group_and_says_how_to_join(
    db: dict[str, str],
) -> None:
    result = coachbot("cohort", "create", "Hull voids", env=db)
    assert result.returncode == 0  # the group is made and usable by its code
    code = invite_code(result)
    assert "deep link" not in result.stdout
    assert one_line(result) == (
        "deep link: not made, as the bot's username is unknown (set COACHBOT_BOT_USERNAME or "
        "pass --bot-username). The group is made: operatives can join it by sending "
        f"/start {code} to the bot"
    )
    assert code in coachbot("cohort", "list", env=db).stdout


def test_cohort_create_refuses_what_it_cannot_finish_before_making_anything(
    db: dict[str, str], tmp_path: Path
) -> None:
    qr = tmp_path / "slide.png"
    no_name = coachbot("cohort", "create", "Leeds repairs", "--qr", str(qr), env=db)
    assert no_name.returncode == 2
    assert one_line(no_name) == (
        "coachbot: --qr needs the bot's username for the link: set COACHBOT_BOT_USERNAME or "
        "pass --bot-username (nothing was made)"
    )
    bad_name = coachbot("cohort", "create", "Leeds", "--bot-username", "doorstep bot", env=db)
    assert bad_name.returncode == 2
    assert "--bot-username: 'doorstep bot' is not a Telegram username" in one_line(bad_name)
    bad_date = coachbot("cohort", "create", "Leeds", "--workshop-date", "28th", env=db)
    assert bad_date.returncode == 2 and "--workshop-date" in one_line(bad_date)
    assert coachbot("cohort", "list", env=db).stdout.startswith("no groups yet")
    assert not qr.exists()

    # The username from the environment, with or without its @.
    named = coachbot(
        "cohort",
        "create",
        "Leeds repairs",
        "--qr",
        str(qr),
        env={**db, "COACHBOT_BOT_USERNAME": "@doorstep_coach_bot"},
    )
    code = invite_code(named)
    assert f"deep link: https://t.me/doorstep_coach_bot?start={code}" in named.stdout
    assert qr.read_bytes().startswith(b"\x89PNG")


def test_cohort_list_shows_each_group_with_its_dates_members_and_status(
    db: dict[str, str],
) -> None:
    leeds = invite_code(
        coachbot(
            "cohort",
            "create",
            "Leeds repairs",
            "--workshop-date",
            "2026-11-28",
            "--bot-username",
            "doorstep_coach_bot",
            env=db,
            at=TUESDAY_10AM,
        )
    )
    hull = invite_code(coachbot("cohort", "create", "Hull voids", env=db, at=TUESDAY_10AM))
    joined = coachbot("chat", "--user-id", "201", env=db, stdin=f"/start {leeds}\n/quit\n")
    assert "Leeds repairs" in joined.stdout
    _close(db, hull)

    listing = coachbot("cohort", "list", env=db)
    assert listing.returncode == 0
    lines = [line.split() for line in listing.stdout.splitlines()]
    assert lines[0] == ["code", "name", "workshop", "made", "members", "status"]
    assert lines[1] == [leeds, "Leeds", "repairs", "2026-11-28", "2026-12-01", "1", "open"]
    assert lines[2][:2] == [hull, "Hull"] and lines[2][3:6] == ["-", "2026-12-01", "0"]
    assert lines[2][6] == "closed"


def _close(env: dict[str, str], code: str) -> None:
    """Close a group as a facilitator's Close button does (the button is tested in e2e)."""
    from datetime import UTC, datetime

    from bot.storage.database import make_engine, make_session_factory
    from bot.storage.unit_of_work import SqlUnitOfWork

    engine = make_engine(env["DATABASE_URL"])
    with SqlUnitOfWork(make_session_factory(engine)) as uow:
        cohort = uow.cohorts.by_code(code)
        assert cohort is not None and cohort.id is not None
        uow.cohorts.close(cohort.id, datetime(2026, 12, 2, tzinfo=UTC))
        uow.commit()
    engine.dispose()


def test_help_documents_cohort_list_and_bot_username() -> None:
    env = environment()
    assert "list" in coachbot("cohort", "--help", env=env).stdout
    create_help = coachbot("cohort", "create", "--help", env=env).stdout
    assert "--bot-username NAME" in create_help and "COACHBOT_BOT_USERNAME" in create_help


# -- report ------------------------------------------------------------------------------


def test_report_xlsx_needs_a_file_and_names_the_o_option(
    db: dict[str, str], tmp_path: Path
) -> None:
    refused = coachbot("report", "--format", "xlsx", env=db)
    assert refused.returncode == 2 and refused.stdout == ""
    assert one_line(refused) == (
        "coachbot: --format xlsx writes a workbook, not text: name a file with -o FILE "
        "(like -o report.xlsx), or -o - for standard output"
    )
    out = tmp_path / "report.xlsx"
    written = coachbot("report", "--format", "xlsx", "-o", str(out), env=db)
    assert written.returncode == 0 and out.read_bytes().startswith(b"PK")
    piped = subprocess.run(
        [sys.executable, "-m", "bot.cli", "report", "--format", "xlsx", "-o", "-"],
        capture_output=True,
        env=db,
        cwd=REPO,
        timeout=120,
    )
    assert piped.returncode == 0 and piped.stdout.startswith(b"PK")


# -- prompts send-now ----------------------------------------------------------------------


def test_send_now_on_a_day_off_says_why_and_when_the_bot_will_send(db: dict[str, str]) -> None:
    coachbot("chat", "--user-id", "66", env=db, stdin="/start\n/quit\n", at=SATURDAY_10AM)
    result = coachbot("prompts", "send-now", env=db, at=SATURDAY_10AM)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "queued nothing",
        "today is a day off for 1 operative",
        "the bot sends the next prompt on Monday 7 December at 08:00 (Europe/London), at "
        "each operative's own time; nothing else is needed",
    ]


def test_send_now_on_a_working_day_queues_once_then_says_it_was_sent(
    db: dict[str, str],
) -> None:
    before = "2026-12-01T06:30:00+00:00"
    coachbot("chat", "--user-id", "66", env=db, stdin="/start\n/quit\n", at=before)
    first = coachbot("prompts", "send-now", env=db, at=before)
    assert first.stdout.splitlines() == [
        "queued today's prompt for 1 operative; the running bot (`coachbot run`) sends them "
        "within a minute",
        "it is before 07:00 for 1 operative: theirs wait until 07:00",
    ]
    again = coachbot("prompts", "send-now", env=db, at=TUESDAY_10AM)
    assert again.stdout.splitlines() == [
        "queued nothing",
        "1 operative had today's prompt already",
        "the bot sends the next prompt on Wednesday 2 December at 08:00 (Europe/London), at "
        "each operative's own time; nothing else is needed",
    ]
    empty = coachbot("cohort", "create", "Empty", env=db)
    lonely = coachbot("prompts", "send-now", "--cohort", invite_code(empty), env=db)
    assert lonely.stdout.strip() == "queued nothing: no one in that group has started the bot yet"


# -- the terminal chat -------------------------------------------------------------------


def test_the_chat_waits_for_start_and_start_welcomes(db: dict[str, str]) -> None:
    quiet = coachbot("chat", env=db, stdin="/quit\n")
    assert quiet.returncode == 0
    assert "Send /start to set up" in quiet.stdout
    assert "I'm Doorstep Coach" not in quiet.stdout and "already set up" not in quiet.stdout
    started = coachbot("chat", env=db, stdin="/start\n/quit\n")
    assert "I'm Doorstep Coach" in started.stdout
    assert "already set up" not in started.stdout


def test_the_whole_journey_in_the_terminal_daily_prompt_and_follow_up(
    db: dict[str, str],
) -> None:
    code = invite_code(coachbot("cohort", "create", "Leeds repairs", env=db, at=TUESDAY_10AM))
    operative = TerminalSession(["--user-id", "301"], db, REPO, at=TUESDAY_10AM)
    assert "Send /start to set up" in operative.opening
    joined = operative.type(f"/start {code}")
    assert "You're in the Leeds repairs group." in joined
    # 10:00 on a working day is past the 08:00 prompt time: today's scenario arrives.
    assert "[Sent to you at 10:00]" in joined
    answered = operative.type("1")
    assert answered.strip() and "[Sent to you" not in answered
    assert operative.type("").strip() == "Nothing new for now."  # the prompt isn't sent twice

    admin = TerminalSession(
        ["--user-id", "9"], {**db, "COACHBOT_ADMIN_IDS": "9"}, REPO, at=TUESDAY_10AM
    )
    admin.type("/start")
    asked = admin.type("/followup")
    assert "Leeds repairs" in asked
    preview = admin.type("Toolbox talk moved to Friday")
    assert "Toolbox talk moved to Friday" in preview
    admin.press(preview, "Send")

    arrived = operative.type("")
    assert "[Sent to you at 10:00]" in arrived and "Toolbox talk moved to Friday" in arrived
    report = admin.type("")
    assert "Your follow-up to Leeds repairs: delivered to 1" in report
    assert operative.quit()[0] == 0 and admin.quit()[0] == 0
