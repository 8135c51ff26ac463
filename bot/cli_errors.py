"""The command line's expected failures: one line naming the setting and what to do,
and exit code 2, never a traceback.

    runtime = open_runtime(settings)          # refuses a missing or outdated database
    line = explain(error, settings)           # a known exception as that one line, or None

Only `coachbot db upgrade`, `run` and `chat` may make a database (``may_create``); every
other command refuses a missing one, so a misspelt SQLite path is caught instead of
quietly giving an empty database and empty reports.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from bot.core.content.loader import ContentError
    from bot.settings import Settings
    from bot.wiring import Runtime

#: The exit code of every failure the person running the command can put right.
EXIT_USAGE = 2
#: Driver messages can run to several lines; one short line is all we show.
_REASON_LENGTH = 160


class CommandLineError(Exception):
    """Something the person running the command can put right; ``str()`` is the one line."""


def _first_line(error: BaseException) -> str:
    """The first line of a driver's message, without SQLAlchemy's wrapping."""
    original = getattr(error, "orig", None) or error
    text = str(original).strip().splitlines()
    return (text[0] if text else type(original).__name__)[:_REASON_LENGTH]


def _unreachable(shown: str, error: BaseException) -> str:
    reason = _first_line(error)
    if "does not exist" in reason:
        return (
            f"DATABASE_URL: {reason.removeprefix('connection failed: ')} ({shown}): "
            "create it on the server, then run `coachbot db upgrade`"
        )
    return (
        f"DATABASE_URL: can't reach the database at {shown} ({reason}): "
        "check that the server is running and that DATABASE_URL is right"
    )


def check_database(settings: Settings, *, may_create: bool = False) -> bool:
    """Raise CommandLineError unless the database can be used as it is; True if there was
    no database yet (only allowed with ``may_create``, and then made by this check)."""
    from sqlalchemy.exc import ArgumentError, DBAPIError

    from bot.storage.database import make_engine, shown_url, sqlite_file
    from bot.storage.migrate import current_revision, head_revision, is_known_revision

    url = settings.database_url
    try:
        shown, path = shown_url(url), sqlite_file(url)
    except ArgumentError:
        raise CommandLineError(
            "DATABASE_URL: not a database URL; use one like sqlite:///data/coachbot.db "
            "or postgresql+psycopg://user:password@host:5432/coachbot"
        ) from None
    new = path is not None and not path.exists()
    if path is not None and new and not may_create:
        raise CommandLineError(
            f"DATABASE_URL: there is no database at {path.resolve()}: check the path, "
            "or make a new one with `coachbot db upgrade`"
        )
    try:
        engine = make_engine(url)
    except OSError as error:
        raise CommandLineError(
            f"DATABASE_URL: can't make the folder for {shown} ({error.strerror}): "
            "check the path and its permissions"
        ) from None
    try:
        revision = current_revision(engine)
    except DBAPIError as error:
        raise CommandLineError(_unreachable(shown, error)) from None
    finally:
        engine.dispose()
    if revision is not None and not is_known_revision(revision):
        raise CommandLineError(
            f"DATABASE_URL: the database at {shown} is at revision {revision}, newer than "
            "this coachbot knows: install the newer coachbot that made it"
        )
    if not may_create and revision != head_revision():
        state = "is empty" if revision is None else "needs its migrations"
        raise CommandLineError(
            f"DATABASE_URL: the database at {shown} {state}: run `coachbot db upgrade`"
        )
    return new


def say_on_stderr(line: str) -> None:
    print(f"coachbot: {line}", file=sys.stderr)


def open_runtime(
    settings: Settings,
    *,
    may_create: bool = False,
    say: Callable[[str], None] = say_on_stderr,
    bot_username: str | None = None,
) -> Runtime:
    """The runtime, on a database that passed :func:`check_database`. With ``may_create``
    a missing database is made (and said so, through ``say``) and migrations are applied."""
    from bot.storage.database import shown_url, sqlite_file
    from bot.wiring import build_runtime

    if not settings.coachbot_content_dir.is_dir():
        # Before any database is made for a bot that couldn't start anyway.
        raise CommandLineError(_content_line(None, settings))
    if check_database(settings, may_create=may_create):
        path = sqlite_file(settings.database_url)
        where = path.resolve() if path else shown_url(settings.database_url)
        say(f"made a new database at {where}")
    return build_runtime(settings, migrate=may_create, bot_username=bot_username)


def content_source(settings: Settings) -> str:
    """Where the coaching content comes from, for one line at start-up."""
    root = settings.coachbot_content_dir.resolve()
    if "coachbot_content_dir" in settings.model_fields_set:
        return f"coaching content from {root} (COACHBOT_CONTENT_DIR)"
    return f"coaching content from {root} (the default, as COACHBOT_CONTENT_DIR is not set)"


def _content_line(error: ContentError | None, settings: Settings) -> str:
    root = settings.coachbot_content_dir
    if not root.is_dir():
        if "coachbot_content_dir" in settings.model_fields_set:
            return (
                f"COACHBOT_CONTENT_DIR: there is no folder at {root.resolve()}: set it to "
                "the content folder (the one holding topics/ and texts.yaml), or unset it "
                "to use the content that came with the bot"
            )
        return (
            "COACHBOT_CONTENT_DIR: not set, and there is no content/ folder here or beside "
            "the bot: set it to the content folder (the one holding topics/ and texts.yaml)"
        )
    problems = error.problems if error is not None else []
    count = len(problems)
    first = problems[0] if problems else "unknown"
    return (
        f"COACHBOT_CONTENT_DIR: the content in {root.resolve()} has {count} "
        f"problem{'s' if count != 1 else ''} (the first: {first}): "
        "run `coachbot content check` to see them all"
    )


def _telegram_line(error: BaseException, settings: Settings) -> str | None:
    from bot.telegram.errors import api_unreachable, token_refused

    if token_refused(error):
        return (
            "TELEGRAM_BOT_TOKEN: Telegram refused this token: copy it again from @BotFather "
            "(/mybots, then API Token)"
            + (
                f", and check TELEGRAM_API_URL ({settings.api_url})"
                if settings.api_url != "https://api.telegram.org/bot"
                else ""
            )
        )
    if api_unreachable(error):
        return (
            f"TELEGRAM_API_URL: can't reach the Bot API at {settings.api_url} "
            f"({type(error).__name__}): check the network, or TELEGRAM_API_URL"
        )
    return None


def explain(error: BaseException, settings: Settings) -> str | None:
    """One line for an exception the person running the command can put right, or None
    for a real fault (which keeps its traceback)."""
    from bot.core.content.loader import ContentError

    if isinstance(error, CommandLineError):
        return str(error)
    if isinstance(error, ContentError):
        return _content_line(error, settings)
    from bot.telegram.errors import is_telegram_error

    if is_telegram_error(error):
        return _telegram_line(error, settings)
    return None


def redacted(line: str, settings: Settings) -> str:
    """``line`` without the bot token, wherever it might have come from."""
    token = settings.telegram_bot_token
    return line.replace(token.get_secret_value(), "[token]") if token is not None else line
