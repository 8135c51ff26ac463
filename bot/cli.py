"""The ``coachbot`` command.

coachbot run                 # the bot on Telegram (long polling)
coachbot chat                # the same coach in this terminal
coachbot content check       # validate content/
coachbot db upgrade          # apply database migrations
coachbot status              # one screen for operations
coachbot backup FILE         # a consistent copy of a live SQLite database
coachbot retention           # apply COACHBOT_RETENTION_MONTHS now
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.reporting.cli import add_report_command
from bot.settings import Settings, load_settings_or_exit

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.metrics import Metrics

Runner = Callable[[argparse.Namespace, Settings], int]


def _run(args: argparse.Namespace, settings: Settings) -> int:
    from bot import logs

    if settings.telegram_bot_token is None:
        if args.chat_if_no_token:
            print("No TELEGRAM_BOT_TOKEN set, so here is the terminal chat instead.")
            return _chat(args, settings)
        print(
            "coachbot: bad setting: TELEGRAM_BOT_TOKEN: required to run on Telegram "
            "(or use `coachbot chat`)",
            file=sys.stderr,
        )
        return 2
    token = settings.telegram_bot_token.get_secret_value()
    logs.configure(token, json_lines=settings.coachbot_log_format == "json")

    from bot.telegram.app import build_application, outbox_sender
    from bot.upkeep import Upkeep
    from bot.wiring import build_runtime

    runtime = build_runtime(settings)
    metrics = _start_metrics(settings, runtime.engine)
    deliveries = runtime.deliveries
    may_send = runtime.sender_lock.held
    on_planned = None
    if metrics is not None:
        from bot.metrics import MeteredDeliveries

        deliveries = MeteredDeliveries(deliveries.uow_factory, deliveries.clock, metrics=metrics)
        may_send = _reporting_lock(may_send, metrics.sender_lock.set)
        on_planned = metrics.planner_ran
    upkeep = Upkeep(
        runtime.planner.plan, runtime.retention, runtime.coach.clock, on_planned=on_planned
    )
    sender = outbox_sender(deliveries, upkeep, may_send)
    application = build_application(
        runtime.coach, token, settings.api_url, settings.file_url, sender
    )
    if metrics is not None:
        from bot.telegram.timing import time_updates

        time_updates(application, metrics.handler_seconds.observe)
    if args.webhook:
        if not (settings.coachbot_webhook_url and settings.coachbot_webhook_secret):
            print(
                "coachbot: bad setting: COACHBOT_WEBHOOK_URL and COACHBOT_WEBHOOK_SECRET "
                "are both needed for --webhook",
                file=sys.stderr,
            )
            return 2
        application.run_webhook(
            listen="0.0.0.0",
            port=args.port,
            url_path="telegram",
            secret_token=settings.coachbot_webhook_secret.get_secret_value(),
            webhook_url=f"{settings.coachbot_webhook_url.rstrip('/')}/telegram",
        )
    else:
        application.run_polling()
    return 0


def _start_metrics(settings: Settings, engine: Engine) -> Metrics | None:
    """The Prometheus endpoint, if COACHBOT_METRICS_PORT asks for one."""
    if settings.coachbot_metrics_port is None:
        return None
    import logging

    from bot.metrics import Metrics

    metrics = Metrics()
    metrics.watch_outbox(engine)
    try:
        metrics.serve(settings.coachbot_metrics_port)
    except OSError as error:
        print(
            f"coachbot: bad setting: COACHBOT_METRICS_PORT: can't listen on "
            f"{settings.coachbot_metrics_port} ({error.strerror or error})",
            file=sys.stderr,
        )
        raise SystemExit(2) from None
    logging.getLogger("bot.metrics").info(
        "metrics on port %d at /metrics", settings.coachbot_metrics_port
    )
    return metrics


def _reporting_lock(
    held: Callable[[], bool], report: Callable[[float], None]
) -> Callable[[], bool]:
    """``held``, telling ``report`` the answer each time (1 or 0)."""

    def may_send() -> bool:
        answer = held()
        report(1.0 if answer else 0.0)
        return answer

    return may_send


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.messages import Sender
    from bot.terminal import chat
    from bot.wiring import build_runtime

    runtime = build_runtime(settings)
    chat(runtime.coach, Sender(args.user_id, getpass.getuser().capitalize()))
    return 0


def _content_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.content import ContentError, load_library

    root = Path(args.dir) if args.dir else settings.coachbot_content_dir
    try:
        library = load_library(root)
    except ContentError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s) in {root}", file=sys.stderr)
        return 1
    print(
        f"{root}: OK: {len(library.topics)} topics, {len(library.prompts)} prompts, "
        f"{len(library.tips)} tips, {len(library.texts)} texts"
    )
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from bot.core.content import ContentError, load_library
    from bot.core.matching import Matcher

    try:
        library = load_library(settings.coachbot_content_dir)
    except ContentError as error:
        print(
            f"coachbot: the content has problems; run `coachbot content check`\n{error}",
            file=sys.stderr,
        )
        return 1
    matcher = Matcher(library)

    def answer(text: str) -> str:
        route = matcher.route(text)
        return json.dumps(
            {
                "topic": route.topic,
                "item": route.tip,
                "score": round(route.score, 4),
                "confidence": route.confidence.value,
                "choices": [{"topic": topic, "item": tip} for topic, tip in route.choices],
            },
            ensure_ascii=False,
        )

    if args.text:
        print(answer(" ".join(args.text)))
        return 0
    for line in sys.stdin:
        print(answer(line.rstrip("\n")), flush=True)
    return 0


def _cohort_create(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import date

    from bot.core.facilitation import create_cohort
    from bot.core.invites import deep_link, qr_png
    from bot.wiring import build_runtime, utc_now

    workshop = None
    if args.workshop_date:
        try:
            workshop = date.fromisoformat(args.workshop_date)
        except ValueError:
            print("coachbot: --workshop-date must look like 2026-11-28", file=sys.stderr)
            return 2
    username = args.bot_username or settings.coachbot_bot_username or _bot_username(settings)
    runtime = build_runtime(settings)
    with runtime.coach.uow_factory() as uow:
        cohort = create_cohort(uow, args.name[:120], workshop, None, utc_now())
        uow.commit()
    print(f"cohort: {cohort.name}")
    print(f"invite code: {cohort.invite_code}")
    if not username:
        print(
            "deep link: unknown; set COACHBOT_BOT_USERNAME or TELEGRAM_BOT_TOKEN, "
            "or pass --bot-username",
            file=sys.stderr,
        )
        return 0 if not args.qr else 1
    link = deep_link(username, cohort.invite_code)
    print(f"deep link: {link}")
    if args.qr:
        Path(args.qr).write_bytes(qr_png(link))
        print(f"QR code: {args.qr}")
    return 0


def _bot_username(settings: Settings) -> str | None:
    """Ask Telegram (getMe) for the bot's username, if there is a token; None if not."""
    import httpx

    if settings.telegram_bot_token is None:
        return None
    url = f"{settings.api_url}{settings.telegram_bot_token.get_secret_value()}/getMe"
    try:
        answer = httpx.get(url, timeout=10).json()
    except (httpx.HTTPError, ValueError):
        return None
    result = answer.get("result") if isinstance(answer, dict) else None
    return result.get("username") if isinstance(result, dict) else None


def _send_now(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import build_runtime

    runtime = build_runtime(settings)
    cohort_id = None
    if args.cohort:
        with runtime.coach.uow_factory() as uow:
            cohort = uow.cohorts.by_code(args.cohort)
        if cohort is None:
            print(f"coachbot: no cohort with the code {args.cohort!r}", file=sys.stderr)
            return 1
        cohort_id = cohort.id
    plan = runtime.planner.send_now(cohort_id)
    print(
        f"queued {plan.prompts} prompt(s) and {plan.check_ins} check-in(s); "
        "the running bot sends them within a minute"
    )
    return 0


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.database import make_engine
    from bot.storage.migrate import current_revision, upgrade

    engine = make_engine(settings.database_url)
    upgrade(engine)
    print(f"database is at revision {current_revision(engine)}")
    return 0


def _health(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy import text

    from bot.storage.database import make_engine
    from bot.storage.migrate import current_revision, head_revision

    engine = make_engine(settings.database_url)
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    if current_revision(engine) != head_revision():
        print("unhealthy: database schema is not up to date", file=sys.stderr)
        return 1
    print("healthy")
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from bot.status import status_screen
    from bot.storage.database import make_engine
    from bot.wiring import utc_now

    try:
        screen, healthy = status_screen(
            make_engine(settings.database_url), settings.database_url, utc_now()
        )
    except SQLAlchemyError as error:
        # The driver's own first line says why (host, refused...), never the password.
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        print(f"coachbot: can't read the database: {reason}", file=sys.stderr)
        return 1
    print(screen)
    return 0 if healthy else 1


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.backup import BackupError, backup_sqlite, pg_dump_line, sqlite_path

    try:
        source = sqlite_path(settings.database_url)
        if source is None:
            print(
                "coachbot: `coachbot backup` copies SQLite databases. For PostgreSQL use its "
                "own tool, pg_dump (the password from PGPASSWORD or ~/.pgpass):\n"
                f"  {pg_dump_line(settings.database_url, args.file)}\n"
                "and to restore: pg_restore --clean --if-exists --dbname=... FILE",
                file=sys.stderr,
            )
            return 1
        done = backup_sqlite(source, Path(args.file))
    except BackupError as error:
        print(f"coachbot: no backup made: {error}", file=sys.stderr)
        return 1
    rows = sum(done.tables.values())
    print(
        f"backed up {source} to {done.path}: {done.size / 1_000_000:.1f} MB, "
        f"{len(done.tables)} tables, {rows:,} rows, integrity ok"
    )
    return 0


def _retention(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import build_runtime

    done = build_runtime(settings).retention.run()
    print(done.line())
    return 0


def _grant(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.model import Role
    from bot.wiring import build_runtime

    role = Role(args.role)
    with build_runtime(settings).coach.uow_factory() as uow:
        operative = uow.operatives.get(args.user_id)
        if operative is None:
            print(
                f"coachbot: no one with Telegram id {args.user_id} has started the bot yet",
                file=sys.stderr,
            )
            return 1
        operative.role = role
        uow.operatives.save(operative)
        uow.commit()
    print(f"{args.user_id} is now {role.value}")
    return 0


def _erase(args: argparse.Namespace, settings: Settings) -> int:
    from bot.wiring import build_runtime

    with build_runtime(settings).coach.uow_factory() as uow:
        erased = uow.operatives.erase(args.user_id)
        uow.commit()
    if not erased:
        print(f"coachbot: nothing stored for Telegram id {args.user_id}", file=sys.stderr)
        return 1
    print(f"erased everything stored for Telegram id {args.user_id}")
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="coachbot",
        description="Doorstep Coach: daily customer-care coaching for repairs operatives.",
    )
    commands = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the bot on Telegram (long polling)")
    run.add_argument("--webhook", action="store_true", help="receive updates by webhook")
    run.add_argument("--port", type=int, default=8443, help="webhook port (default 8443)")
    run.add_argument(
        "--chat-if-no-token",
        action="store_true",
        help="without TELEGRAM_BOT_TOKEN, open the terminal chat instead of failing",
    )
    run.set_defaults(handler=_run, user_id=1)

    chat = commands.add_parser("chat", help="talk to the coach in this terminal")
    chat.add_argument("--user-id", type=int, default=1, help="who you are (default 1)")
    chat.set_defaults(handler=_chat)

    content = commands.add_parser("content", help="work with the coaching content")
    content_commands = content.add_subparsers(dest="content_command", required=True)
    check = content_commands.add_parser("check", help="validate content/")
    check.add_argument("--dir", help="content folder (default: COACHBOT_CONTENT_DIR)")
    check.set_defaults(handler=_content_check)

    ask = commands.add_parser(
        "ask", help="route a message like the bot would (one JSON object per message)"
    )
    ask.add_argument("text", nargs="*", metavar="TEXT", help="the message; omit to read stdin")
    ask.add_argument(
        "--json", action="store_true", help="print JSON (the only format; kept for scripts)"
    )
    ask.set_defaults(handler=_ask)

    cohort = commands.add_parser("cohort", help="workshop cohorts")
    cohort_commands = cohort.add_subparsers(dest="cohort_command", required=True)
    create = cohort_commands.add_parser(
        "create", help="make a cohort; prints its invite code and deep link"
    )
    create.add_argument("name", metavar="NAME")
    create.add_argument(
        "--workshop-date", metavar="YYYY-MM-DD", help="starts the day 1/7/30 sequence"
    )
    create.add_argument("--qr", metavar="FILE", help="write the deep link as a QR code PNG")
    create.add_argument("--bot-username", help="the bot's @username (default: ask Telegram)")
    create.set_defaults(handler=_cohort_create)

    prompts = commands.add_parser("prompts", help="daily prompts")
    prompts_commands = prompts.add_subparsers(dest="prompts_command", required=True)
    send_now = prompts_commands.add_parser(
        "send-now", help="queue today's prompt now for everyone due one (working days only)"
    )
    send_now.add_argument("--cohort", metavar="CODE", help="only this cohort's operatives")
    send_now.set_defaults(handler=_send_now)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply migrations").set_defaults(handler=_db_upgrade)

    grant = commands.add_parser("grant", help="give someone a role")
    grant.add_argument("user_id", type=int, metavar="USER_ID")
    grant.add_argument("role", choices=["operative", "facilitator", "manager", "admin"])
    grant.set_defaults(handler=_grant)

    erase = commands.add_parser("erase", help="delete everything stored about one person")
    erase.add_argument("user_id", type=int, metavar="USER_ID")
    erase.set_defaults(handler=_erase)

    add_report_command(commands)

    commands.add_parser("health", help="check the database (for HEALTHCHECK)").set_defaults(
        handler=_health
    )
    commands.add_parser(
        "status", help="one screen for operations: outbox, last send, sender, migrations"
    ).set_defaults(handler=_status)
    backup = commands.add_parser(
        "backup", help="a consistent copy of the live SQLite database (pg_dump for PostgreSQL)"
    )
    backup.add_argument("file", metavar="FILE", help="where to write the copy (a new file)")
    backup.set_defaults(handler=_backup)
    commands.add_parser(
        "retention",
        help="summarise and delete records older than COACHBOT_RETENTION_MONTHS now "
        "(the bot does it once a day)",
    ).set_defaults(handler=_retention)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = load_settings_or_exit()
    handler: Runner = args.handler
    return handler(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
