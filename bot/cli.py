"""The ``coachbot`` command.

coachbot run [--webhook] [--port N] [--chat-if-no-token]
                             # the bot on Telegram (long polling, or a webhook)
coachbot chat [--user-id N]  # the same coach in this terminal, daily prompts included
coachbot content check [--dir DIR]
                             # validate the content; exit 1 with file:line: field: problem
coachbot ask [TEXT]          # route a message like the bot would: one JSON line each
coachbot judge ID ["reply"]  # how the coach would mark a reply to a prompt [--json]
coachbot cohort create NAME [--workshop-date D] [--qr FILE] [--bot-username NAME]
                             # a workshop group: its invite code and deep link
coachbot cohort list         # every group: code, name, dates, members, open or closed
coachbot prompts send-now [--cohort CODE]
                             # queue today's prompt now for everyone due one
coachbot report [--cohort CODE] [--from D] [--to D] [--format csv|xlsx|json] [-o FILE]
                             # the managers' engagement summary
coachbot grant USER_ID ROLE  # give a role: operative, facilitator, manager or admin
coachbot erase USER_ID       # delete everything stored about one person
coachbot db upgrade          # make the database or apply its migrations
coachbot health              # database reachable and up to date (exit 1 if not)
coachbot status              # one screen for operations: migrations, sender, last send, queue
coachbot backup FILE         # a consistent copy of a live SQLite database
coachbot retention           # apply COACHBOT_RETENTION_MONTHS now (the bot does it daily)

An expected failure (a bad setting, a database that can't be reached, is missing or
needs migrations, a content folder that isn't there, a token Telegram refuses) is one
line on stderr naming the setting and what to do, with exit code 2. Only `db upgrade`,
`run` and `chat` make a database that isn't there yet.

Why one long module: it is argparse's table of commands and each command's short
body, read top to bottom; the expected failures are in :mod:`bot.cli_errors` and
the report command in :mod:`bot.reporting.cli`.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli_errors import (
    EXIT_USAGE,
    CommandLineError,
    check_database,
    content_source,
    explain,
    open_runtime,
    redacted,
    say_on_stderr,
)
from bot.reporting.cli import add_report_command
from bot.settings import Settings, load_settings_or_exit

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.core.jobs.planner import Plan
    from bot.metrics import Metrics
    from bot.telegram.app import Application
    from bot.telegram.limiter import SendLimiter

Runner = Callable[[argparse.Namespace, Settings], int]
TOKEN_REFUSED = "Telegram refused the bot token"


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
    from bot.telegram.errors import TOKEN_REFUSED as token_errors

    token = settings.telegram_bot_token.get_secret_value()
    webhook_secret = settings.coachbot_webhook_secret
    json_lines = settings.coachbot_log_format == "json"
    logs.configure(
        *logs.secrets_of(token, webhook_secret.get_secret_value() if webhook_secret else None),
        reported_elsewhere=token_errors,
        json_lines=json_lines,
    )
    # With JSON logs, start-up notes are log lines too, so every line is one object.
    say = logging.getLogger("bot.cli").info if json_lines else say_on_stderr

    import asyncio

    from bot.telegram.app import build_application, outbox_sender
    from bot.telegram.health import ApiHealth
    from bot.telegram.startup import TokenRefused, wait_for_telegram
    from bot.upkeep import Upkeep

    health = ApiHealth()
    try:
        # Waits out an outage (one line a minute); a refused token ends it here.
        bot_username = asyncio.run(wait_for_telegram(token, settings.api_url, health))
        if bot_username is None:
            return 0  # stopped while waiting for Telegram
    except TokenRefused:
        print(
            f"coachbot: TELEGRAM_BOT_TOKEN: {TOKEN_REFUSED} (getMe said 401/404): check it "
            "against the one @BotFather gave you, and TELEGRAM_API_URL if you set it",
            file=sys.stderr,
        )
        return 2
    runtime = open_runtime(settings, may_create=True, say=say, bot_username=bot_username)
    say(content_source(settings))
    _ = runtime.coach.matcher  # built now, so the first message is answered at once
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
        runtime.coach,
        token,
        settings.api_url,
        settings.file_url,
        sender,
        limiter=_limiter(settings),
        health=health,
        concurrent_updates=settings.coachbot_concurrent_updates,
        core_threads=_core_threads(runtime.engine),
        answer_when_handled=args.webhook,
    )
    if metrics is not None:
        from bot.telegram.timing import time_updates

        time_updates(application, metrics.handler_seconds.observe)
    try:
        return _serve(args, settings, application)
    except token_errors:
        # PTB's message quotes the token: say what happened in our own words instead.
        print(
            f"coachbot: TELEGRAM_BOT_TOKEN: {TOKEN_REFUSED} (401 Unauthorized): check it "
            "against the one @BotFather gave you",
            file=sys.stderr,
        )
        return 2


#: Threads the core runs on with PostgreSQL: a unit of work there waits on the network,
#: and others can run meanwhile (one person's still one at a time).
POSTGRES_CORE_THREADS = 4


def _core_threads(engine: Engine) -> int:
    """One on SQLite, which takes one writer at a time anyway: more would only wait for
    its lock (and sleep in its busy handler); a few on PostgreSQL."""
    return 1 if engine.dialect.name == "sqlite" else POSTGRES_CORE_THREADS


def _limiter(settings: Settings) -> SendLimiter:
    """Telegram's limits, or none for a Bot API server without them (COACHBOT_SEND_LIMITS=off)."""
    from bot.telegram.limiter import SendLimiter, unlimited

    return unlimited() if settings.coachbot_send_limits == "off" else SendLimiter()


def _serve(args: argparse.Namespace, settings: Settings, application: Application) -> int:  # type: ignore[type-arg]
    """Poll, or listen for the webhook, until stopped."""
    if args.webhook:
        import asyncio

        from bot.telegram.webhook import serve_webhook

        assert settings.coachbot_webhook_url and settings.coachbot_webhook_secret
        # Our own aiohttp server, not PTB's tornado one (see bot.telegram.webhook); it
        # rides out a blip at start, as PTB's bootstrap_retries=-1 did.
        asyncio.run(
            serve_webhook(
                application,
                listen="0.0.0.0",
                port=args.port,
                url_path="telegram",
                secret_token=settings.coachbot_webhook_secret.get_secret_value(),
                webhook_url=f"{settings.coachbot_webhook_url.rstrip('/')}/telegram",
            )
        )
    else:
        application.run_polling(bootstrap_retries=-1)
    return 0


def _start_metrics(settings: Settings, engine: Engine) -> Metrics | None:
    """The Prometheus endpoint, if COACHBOT_METRICS_PORT asks for one."""
    if settings.coachbot_metrics_port is None:
        return None
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
    from bot.terminal import chat, outbox_inbox

    runtime = open_runtime(settings, may_create=True)
    print(f"coachbot: {content_source(settings)}", file=sys.stderr)
    inbox = outbox_inbox(runtime.coach, runtime.planner, runtime.deliveries, args.user_id)
    chat(runtime.coach, Sender(args.user_id, getpass.getuser().capitalize()), inbox=inbox)
    return 0


def _content_check(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.content.loader import (
        MAX_STRONG_LONGEST_SHARE,
        ContentError,
        load_library,
        strong_is_longest,
        style_check,
    )
    from bot.core.content.style import MAX_MEAN_READING_AGE

    root = Path(args.dir) if args.dir else settings.coachbot_content_dir
    try:
        library = load_library(root, settings.coachbot_landlord_name)
    except ContentError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"{len(error.problems)} problem(s) in {root}", file=sys.stderr)
        return 1
    failed = False
    longest = len(strong_is_longest(library))
    share = longest / len(library.prompts)
    if share > MAX_STRONG_LONGEST_SHARE:
        print(
            f"{root}: the strong quick reply is the longest in {longest} of "
            f"{len(library.prompts)} prompts ({share:.0%}); keep it at or below "
            f"{MAX_STRONG_LONGEST_SHARE:.0%}, so the longest option isn't a give-away",
            file=sys.stderr,
        )
        failed = True
    style, mean_age = style_check(root)
    for problem in style:
        print(problem, file=sys.stderr)
    if style or mean_age > MAX_MEAN_READING_AGE:
        print(
            f"{len(style)} style problem(s) in {root}; mean reading age {mean_age:g} "
            f"(keep it at or under {MAX_MEAN_READING_AGE:g})",
            file=sys.stderr,
        )
        failed = True
    if failed:
        return 1
    print(
        f"{root}: OK: {len(library.topics)} topics, {len(library.prompts)} prompts, "
        f"{len(library.tips)} tips, {len(library.texts)} texts; the strong quick reply "
        f"is the longest in {longest} ({share:.0%}); mean reading age {mean_age:g}"
    )
    return 0


def _ask(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from bot.core.content.loader import load_library
    from bot.matcher_cache import settings_matcher

    # Content that won't load is explained in one line by main().
    library = load_library(settings.coachbot_content_dir, settings.coachbot_landlord_name)
    matcher = settings_matcher(library, settings)

    def answer(text: str) -> str:
        route = matcher.route(text)
        return json.dumps(
            {
                "topic": route.topic,
                "item": route.tip,
                "score": round(route.score, 4),
                "confidence": route.confidence.value,
                "urgent": route.urgent is not None,
                "urgent_kind": route.urgent,
                "chat": route.chat,
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


def _judge(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from bot.core.content.loader import ContentError, load_library
    from bot.core.matching.judging import Judgement
    from bot.matcher_cache import settings_matcher

    try:
        library = load_library(settings.coachbot_content_dir, settings.coachbot_landlord_name)
    except ContentError as error:
        print(
            f"coachbot: the content has problems; run `coachbot content check`\n{error}",
            file=sys.stderr,
        )
        return 1
    matcher = settings_matcher(library, settings)

    def marked(prompt_id: str, reply: str) -> dict[str, object]:
        judgement: Judgement = matcher.judge(library.prompts[prompt_id], reply)
        return {
            "prompt": prompt_id,
            "verdict": judgement.verdict,
            "basis": judgement.basis.value,
            "ingredients_found": list(judgement.ingredients_found),
            "ingredients_missing": list(judgement.ingredients_missing),
            "red_flags": list(judgement.red_flags),
            "rejected_red_flags": list(judgement.rejected_red_flags),
            "option": judgement.option,
            "score": round(judgement.score, 4),
            "feedback": judgement.feedback,
        }

    if args.prompt is not None and args.prompt not in library.prompts:
        print(f"coachbot: no prompt with the id {args.prompt!r}", file=sys.stderr)
        return 2
    if args.text:
        answer = marked(args.prompt, " ".join(args.text))
        print(json.dumps(answer, ensure_ascii=False) if args.json else _judged_text(answer))
        return 0
    for line in sys.stdin:
        if not line.strip():
            continue
        request = _judge_request(line, args.prompt)
        if isinstance(request, str):
            print(json.dumps({"error": request}, ensure_ascii=False), flush=True)
        elif request[0] not in library.prompts:
            unknown = {"error": f"no prompt with the id {request[0]!r}", "prompt": request[0]}
            print(json.dumps(unknown, ensure_ascii=False), flush=True)
        else:
            print(json.dumps(marked(*request), ensure_ascii=False), flush=True)
    return 0


def _judge_request(line: str, default_prompt: str | None) -> tuple[str, str] | str:
    """(prompt id, reply) from one line of `coachbot judge` input, or what is wrong with it."""
    import json

    try:
        request = json.loads(line)
    except ValueError:
        return 'not JSON: expected {"prompt": ID, "reply": TEXT}'
    if not isinstance(request, dict):
        return 'expected an object: {"prompt": ID, "reply": TEXT}'
    prompt, reply = request.get("prompt", default_prompt), request.get("reply")
    if not isinstance(prompt, str) or not isinstance(reply, str):
        return '"prompt" and "reply" must both be text'
    return prompt, reply


def _judged_text(answer: dict[str, object]) -> str:
    """A judgement for a person to read."""

    def listed(key: str) -> str:
        value = answer[key]
        return ", ".join(str(item) for item in value) if isinstance(value, list) and value else "-"

    verdict = answer["verdict"] or "none (the coach would ask for another go)"
    lines = [
        f"verdict:     {verdict} (from {answer['basis']})",
        f"found:       {listed('ingredients_found')}",
        f"missing:     {listed('ingredients_missing')}",
        f"red flags:   {listed('red_flags')}",
    ]
    if answer["rejected_red_flags"]:
        lines.append(f"turned down: {listed('rejected_red_flags')}")
    lines.append(f"feedback:    {answer['feedback'] or '-'}")
    return "\n".join(lines)


def _cohort_create(args: argparse.Namespace, settings: Settings) -> int:
    """Refuses, before making anything, what it can't finish (a bad date, a QR code
    without the bot's username); a group made without a link is still usable by its
    code, so that case makes it, says so, and exits 0."""
    from datetime import date

    from bot.core.handlers.facilitation import create_cohort
    from bot.core.policy.invites import deep_link, qr_png
    from bot.wiring import utc_now

    workshop = None
    if args.workshop_date:
        try:
            workshop = date.fromisoformat(args.workshop_date)
        except ValueError:
            raise CommandLineError("--workshop-date must look like 2026-11-28") from None
    check_database(settings)
    username = _bot_username_given(args, settings) or _bot_username(settings)
    if args.qr and not username:
        raise CommandLineError(
            "--qr needs the bot's username for the link: set COACHBOT_BOT_USERNAME or pass "
            "--bot-username (nothing was made)"
        )
    runtime = open_runtime(settings)
    with runtime.uow_factory() as uow:
        cohort = create_cohort(uow, args.name[:120], workshop, None, utc_now())
        uow.commit()
    print(f"cohort: {cohort.name}")
    print(f"invite code: {cohort.invite_code}")
    if not username:
        print(
            "deep link: not made, as the bot's username is unknown (set COACHBOT_BOT_USERNAME "
            "or pass --bot-username). The group is made: operatives can join it by sending "
            f"/start {cohort.invite_code} to the bot",
            file=sys.stderr,
        )
        return 0
    link = deep_link(username, cohort.invite_code)
    print(f"deep link: {link}")
    if args.qr:
        Path(args.qr).write_bytes(qr_png(link))
        print(f"QR code: {args.qr}")
    return 0


#: Telegram usernames: 5 to 32 letters, digits and underscores.
_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")


def _bot_username_given(args: argparse.Namespace, settings: Settings) -> str | None:
    """--bot-username, else COACHBOT_BOT_USERNAME, without any leading @; None if neither."""
    for name, value in (
        ("--bot-username", args.bot_username),
        ("COACHBOT_BOT_USERNAME", settings.coachbot_bot_username),
    ):
        if value:
            username = str(value).strip().removeprefix("@")
            if not _USERNAME.match(username):
                raise CommandLineError(
                    f"{name}: {value!r} is not a Telegram username (like doorstep_coach_bot)"
                )
            return username
    return None


def _bot_username(settings: Settings) -> str | None:
    """The bot's username as Telegram gives it, if there is a token; None if there is
    none or Telegram can't be reached."""
    me = _get_me(settings)
    username = me.get("username") if me else None
    return username if isinstance(username, str) else None


def _get_me(settings: Settings) -> dict[str, object] | None:
    """Telegram's getMe for TELEGRAM_BOT_TOKEN: None without a token or an answer.
    A token Telegram refuses is a CommandLineError, and nothing has been made."""
    import httpx

    if settings.telegram_bot_token is None:
        return None
    url = f"{settings.api_url}{settings.telegram_bot_token.get_secret_value()}/getMe"
    try:
        response = httpx.get(url, timeout=10)
        answer = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    if response.status_code in (401, 404):
        raise CommandLineError(
            "TELEGRAM_BOT_TOKEN: Telegram refused this token: copy it again from @BotFather "
            "(/mybots, then API Token), and check TELEGRAM_API_URL if you set it; nothing "
            "was made"
        )
    result = answer.get("result") if isinstance(answer, dict) else None
    return result if isinstance(result, dict) else None


def _cohort_list(args: argparse.Namespace, settings: Settings) -> int:
    runtime = open_runtime(settings)
    with runtime.uow_factory() as uow:
        cohorts = uow.cohorts.all()
        members = uow.cohorts.member_counts(c.id for c in cohorts if c.id is not None)
    if not cohorts:
        print('no groups yet: make one with `coachbot cohort create "NAME"`')
        return 0
    rows = [("code", "name", "workshop", "made", "members", "status")]
    for cohort in cohorts:
        rows.append(
            (
                cohort.invite_code,
                cohort.name,
                f"{cohort.workshop_date:%Y-%m-%d}" if cohort.workshop_date else "-",
                f"{cohort.created_at:%Y-%m-%d}" if cohort.created_at else "-",
                str(members.get(cohort.id or 0, 0)),
                "open" if cohort.is_open else f"closed {cohort.closed_at:%Y-%m-%d}",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        cells = [
            cell.rjust(width) if column == 4 else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
    return 0


def _send_now(args: argparse.Namespace, settings: Settings) -> int:
    runtime = open_runtime(settings)
    cohort_id = None
    if args.cohort:
        with runtime.uow_factory() as uow:
            cohort = uow.cohorts.by_code(args.cohort)
        if cohort is None:
            print(f"coachbot: no cohort with the code {args.cohort!r}", file=sys.stderr)
            return 1
        cohort_id = cohort.id
    for line in send_now_lines(runtime.planner.send_now(cohort_id), bool(args.cohort)):
        print(line)
    return 0


def _people(count: int) -> str:
    return f"{count} operative{'s' if count != 1 else ''}"


def send_now_lines(plan: Plan, one_group: bool) -> list[str]:
    """What `prompts send-now` did, why anyone was left out, and when the bot sends next."""
    from bot.core.jobs.planner import ALREADY_SENT
    from bot.core.policy.scheduling import NotNow

    queued = plan.prompts + plan.check_ins
    if not plan.considered:
        where = "in that group " if one_group else ""
        return [f"queued nothing: no one {where}has started the bot yet"]
    lines = []
    if queued:
        what = f"queued today's prompt for {_people(plan.prompts)}"
        if plan.check_ins:
            what += f", and a check-in for {plan.check_ins} (after three unanswered prompts)"
        lines.append(f"{what}; the running bot (`coachbot run`) sends them within a minute")
        if plan.waiting_for_seven:
            lines.append(
                f"it is before 07:00 for {_people(plan.waiting_for_seven)}: theirs wait until 07:00"
            )
    else:
        lines.append("queued nothing")
    reasons = {
        NotNow.DAY_OFF: "today is a day off for {}",
        NotNow.PAUSED: "{} paused",
        NotNow.EVENING: "it is after 20:00 for {}, too late to send",
        ALREADY_SENT: "{} had today's prompt already",
    }
    for why, template in reasons.items():
        count = plan.left_out.get(why, 0)
        if count:
            who = _people(count) + (" is" if why is NotNow.PAUSED and count == 1 else "")
            who += " are" if why is NotNow.PAUSED and count != 1 else ""
            lines.append(template.format(who))
    if plan.left_out:
        if plan.next_prompt is not None:
            moment = plan.next_prompt
            lines.append(
                f"the bot sends the next prompt on {moment:%A} {moment.day} {moment:%B at %H:%M} "
                f"({moment.tzinfo}), at each operative's own time; nothing else is needed"
            )
        else:
            lines.append("none of them has a prompt due in the next two weeks")
    return lines


def _db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from bot.storage.database import make_engine, sqlite_file
    from bot.storage.migrate import current_revision, upgrade

    if check_database(settings, may_create=True):
        path = sqlite_file(settings.database_url)
        print(f"made a new database at {path.resolve() if path else '?'}")
    engine = make_engine(settings.database_url)
    upgrade(engine)
    print(f"database is at revision {current_revision(engine)}")
    engine.dispose()
    return 0


def _health(args: argparse.Namespace, settings: Settings) -> int:
    # Exit 1, not 2: Docker's HEALTHCHECK reserves 2.
    try:
        check_database(settings)
    except CommandLineError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    print("healthy")
    return 0


def _status(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.exc import DBAPIError

    from bot.status import status_screen
    from bot.storage.database import make_engine, shown_url, sqlite_file
    from bot.wiring import utc_now

    # Unlike the other commands, status reads a database whatever its revision (it
    # says which migrations are pending), but it never makes one.
    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():
        raise CommandLineError(
            f"DATABASE_URL: there is no database at {path.resolve()}: check the path, "
            "or make a new one with `coachbot db upgrade`"
        )
    engine = make_engine(settings.database_url)
    try:
        screen, healthy = status_screen(engine, settings.database_url, utc_now())
    except DBAPIError as error:
        reason = str(error.orig or error).strip().splitlines()[0][:160]
        raise CommandLineError(
            f"DATABASE_URL: can't reach the database at {shown_url(settings.database_url)} "
            f"({reason}): check that the server is running and that DATABASE_URL is right"
        ) from None
    finally:
        engine.dispose()
    print(screen)
    return 0 if healthy else 1


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    from sqlalchemy.engine import make_url

    from bot.storage.backup import BackupError, backup_sqlite, pg_dump_line
    from bot.storage.database import sqlite_file

    if make_url(settings.database_url).get_backend_name() != "sqlite":
        print(
            "coachbot: `coachbot backup` copies SQLite databases. For PostgreSQL use its "
            "own tool, pg_dump (the password from PGPASSWORD or ~/.pgpass):\n"
            f"  {pg_dump_line(settings.database_url, args.file)}\n"
            "and to restore: pg_restore --clean --if-exists --dbname=... FILE",
            file=sys.stderr,
        )
        return EXIT_USAGE
    source = sqlite_file(settings.database_url)
    if source is None:
        raise CommandLineError("DATABASE_URL: an in-memory database can't be backed up")
    try:
        done = backup_sqlite(source, Path(args.file))
    except BackupError as error:
        raise CommandLineError(f"no backup made: {error}") from None
    rows = sum(done.tables.values())
    print(
        f"backed up {source} to {done.path}: {done.size / 1_000_000:.1f} MB, "
        f"{len(done.tables)} tables, {rows:,} rows, integrity ok"
    )
    return 0


def _retention(args: argparse.Namespace, settings: Settings) -> int:
    done = open_runtime(settings).retention.run()
    print(done.line())
    return 0


def _grant(args: argparse.Namespace, settings: Settings) -> int:
    from bot.core.model import Role, happened_to
    from bot.wiring import utc_now

    role = Role(args.role)
    runtime = open_runtime(settings)
    with runtime.uow_factory() as uow:
        operative = uow.operatives.get(args.user_id)
        if operative is None:
            print(
                f"coachbot: no one with Telegram id {args.user_id} has started the bot yet",
                file=sys.stderr,
            )
            return 1
        happened = operative.grant(role)
        uow.operatives.save(operative)
        uow.events.record_many(happened_to(operative.id, utc_now(), happened))
        uow.commit()
    print(f"{args.user_id} is now {role.value}")
    if runtime.coach.deps.gets_daily_prompts(operative):
        print("daily scenarios: on")
    else:
        print("daily scenarios: off, unless they turn them on in /settings")
    return 0


def _erase(args: argparse.Namespace, settings: Settings) -> int:
    with open_runtime(settings).uow_factory() as uow:
        erased = uow.erasure.erase(args.user_id)
        uow.commit()
    if erased is None:
        print(f"coachbot: nothing stored for Telegram id {args.user_id}", file=sys.stderr)
        return 1
    print(f"erased everything stored for Telegram id {args.user_id}:")
    print(
        f"  events: {erased.events}, questions: {erased.questions}, "
        f"commitments: {erased.commitments}, outbox messages: {erased.messages}, "
        f"follow-ups: {erased.follow_ups}, groups now by a former facilitator: {erased.cohorts}"
    )
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

    judge = commands.add_parser(
        "judge", help="mark a reply to a scenario prompt like the bot would"
    )
    judge.add_argument(
        "prompt", nargs="?", metavar="PROMPT_ID", help="the prompt; stdin lines may name their own"
    )
    judge.add_argument(
        "text",
        nargs="*",
        metavar="TEXT",
        help='the reply; omit to read {"prompt": ID, "reply": TEXT} lines from stdin',
    )
    judge.add_argument("--json", action="store_true", help="print one JSON object")
    judge.set_defaults(handler=_judge)

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
    create.add_argument(
        "--bot-username",
        metavar="NAME",
        help="the bot's @username, for the link (default: COACHBOT_BOT_USERNAME, "
        "else asked of Telegram with TELEGRAM_BOT_TOKEN)",
    )
    create.set_defaults(handler=_cohort_create)
    cohort_commands.add_parser(
        "list", help="every group: code, name, workshop date, members, open or closed"
    ).set_defaults(handler=_cohort_list)

    prompts = commands.add_parser("prompts", help="daily prompts")
    prompts_commands = prompts.add_subparsers(dest="prompts_command", required=True)
    send_now = prompts_commands.add_parser(
        "send-now", help="queue today's prompt now for everyone due one (working days only)"
    )
    send_now.add_argument("--cohort", metavar="CODE", help="only this cohort's operatives")
    send_now.set_defaults(handler=_send_now)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser(
        "upgrade", help="make the database if there is none, and apply migrations"
    ).set_defaults(handler=_db_upgrade)

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
    try:
        return handler(args, settings)
    except Exception as error:
        line = explain(error, settings)
        if line is None:
            raise
        print(f"coachbot: {redacted(line, settings)}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
