"""The ``coachbot`` command.

coachbot run                 # the bot on Telegram (long polling)
coachbot chat                # the same coach in this terminal
coachbot content check       # validate content/
coachbot db upgrade          # apply database migrations
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bot.reporting.cli import add_report_command
from bot.settings import Settings, load_settings_or_exit

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
    if args.webhook and not (settings.coachbot_webhook_url and settings.coachbot_webhook_secret):
        print(
            "coachbot: bad setting: COACHBOT_WEBHOOK_URL and COACHBOT_WEBHOOK_SECRET "
            "are both needed for --webhook",
            file=sys.stderr,
        )
        return 2
    token = settings.telegram_bot_token.get_secret_value()
    logs.configure(token)

    import asyncio

    from bot.telegram.app import build_application, outbox_sender
    from bot.telegram.health import ApiHealth
    from bot.telegram.startup import TokenRefused, wait_for_telegram
    from bot.wiring import build_runtime

    runtime = build_runtime(settings)
    health = ApiHealth()
    try:
        if not asyncio.run(wait_for_telegram(token, settings.api_url, health)):
            return 0  # stopped while waiting for Telegram
    except TokenRefused:
        print(
            "coachbot: Telegram refused TELEGRAM_BOT_TOKEN (getMe said 401/404): "
            "check the token from @BotFather, and TELEGRAM_API_URL if you set it",
            file=sys.stderr,
        )
        return 2
    sender = outbox_sender(runtime.deliveries, runtime.planner.plan, runtime.sender_lock.held)
    application = build_application(
        runtime.coach, token, settings.api_url, settings.file_url, sender, health=health
    )
    if args.webhook:
        assert settings.coachbot_webhook_url and settings.coachbot_webhook_secret
        application.run_webhook(
            bootstrap_retries=-1,  # Telegram answered a moment ago: ride out a blip
            listen="0.0.0.0",
            port=args.port,
            url_path="telegram",
            secret_token=settings.coachbot_webhook_secret.get_secret_value(),
            webhook_url=f"{settings.coachbot_webhook_url.rstrip('/')}/telegram",
        )
    else:
        application.run_polling(bootstrap_retries=-1)
    return 0


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
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = load_settings_or_exit()
    handler: Runner = args.handler
    return handler(args, settings)


if __name__ == "__main__":
    raise SystemExit(main())
