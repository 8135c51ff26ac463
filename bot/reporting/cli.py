"""`coachbot report`: the managers' engagement summary, as CSV, XLSX or JSON.

    coachbot report --cohort HULL1 --from 2026-10-01 --to 2026-10-31 --format xlsx --output oct.xlsx
    coachbot report --format json                  # all groups, the last 4 whole weeks
    coachbot report --format csv > report.csv

What a manager would see: figures for groups, never individuals, with the
privacy floor. Problems are one line on stderr: exit 2 for a bad date or format,
an XLSX without ``-o FILE`` or a database that is missing or out of date, 1 for a
group that doesn't exist. ``-o -`` sends even an XLSX to standard output, on purpose.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from bot.settings import Settings

DEFAULT_DAYS = 28


def add_report_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `coachbot report` on the top-level command parser."""
    report = commands.add_parser(
        "report",
        help="engagement summary for managers: csv, xlsx or json",
        description="Engagement summary for a group (or all groups) over a period, with "
        "figures for fewer than 5 operatives held back.",
    )
    report.add_argument(
        "--cohort", metavar="CODE", help="one group, by its invite code (default: all groups)"
    )
    report.add_argument(
        "--from",
        dest="first",
        metavar="DATE",
        help="first day, YYYY-MM-DD (default: the last 4 whole weeks)",
    )
    report.add_argument(
        "--to", dest="last", metavar="DATE", help="last day, YYYY-MM-DD (default: today)"
    )
    report.add_argument(
        "--format", default="csv", metavar="FORMAT", help="csv, xlsx or json (default: csv)"
    )
    report.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="write to FILE (default: standard output for csv and json; xlsx needs a FILE, "
        "or - for standard output)",
    )
    report.set_defaults(handler=run_report)


class UsageError(Exception):
    """A bad argument: one line, exit 2."""


def _day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"bad {option} date {text!r}: use YYYY-MM-DD, like 2026-10-31") from None


def _period_bounds(args: argparse.Namespace, today: date) -> tuple[date, date] | None:
    """The dates asked for, or None for the default period."""
    if args.first is None and args.last is None:
        return None
    last = _day(args.last, "--to") if args.last else today
    first = _day(args.first, "--from") if args.first else last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise UsageError(f"--from {first} is after --to {last}")
    return first, last


def run_report(args: argparse.Namespace, settings: Settings) -> int:
    from bot.cli_errors import open_runtime
    from bot.core.handlers.reports import GROUP_CODE
    from bot.core.reports.figures import build_report, document
    from bot.core.reports.periods import MAX_DAYS, checked_period, parse_period
    from bot.core.reports.ports import Scope
    from bot.reporting.export import FORMATS, write_csv, write_json, write_xlsx

    format_ = str(args.format).lower()
    zone = settings.coachbot_timezone
    today = datetime.now(ZoneInfo(zone)).date()
    try:
        if format_ not in FORMATS:
            raise UsageError(f"unknown format {args.format!r}: use csv, xlsx or json")
        if format_ == "xlsx" and args.output is None:
            # A workbook is binary: on a terminal it is gibberish, so it goes to a file.
            raise UsageError(
                "--format xlsx writes a workbook, not text: name a file with -o FILE "
                "(like -o report.xlsx), or -o - for standard output"
            )
        bounds = _period_bounds(args, today)
        period = parse_period("", today, zone) if bounds is None else checked_period(*bounds, zone)
        if period is None:
            raise UsageError(f"a report covers at most {MAX_DAYS} days")
        if args.cohort is not None and not GROUP_CODE.match(args.cohort):
            raise UsageError(f"bad group code {args.cohort!r}")
    except UsageError as error:
        print(f"coachbot: {error}", file=sys.stderr)
        return 2

    runtime = open_runtime(settings)
    coach = runtime.coach
    with coach.uow_factory() as uow:
        scope, group = Scope(), coach.text("report_all_groups")
        if args.cohort is not None:
            cohort = uow.cohorts.by_code(args.cohort)
            if cohort is None or cohort.id is None:
                print(f"coachbot: no group with the code {args.cohort!r}", file=sys.stderr)
                return 1
            scope, group = Scope(frozenset({cohort.id})), cohort.name
        report = build_report(uow.reports, scope, period, group)
        export = document(report, coach.text, coach.library.titles())
        to_stdout = args.output in (None, "-")
        try:
            if format_ == "xlsx":
                write_xlsx(export, sys.stdout.buffer if to_stdout else args.output)
            elif to_stdout:
                (write_csv if format_ == "csv" else write_json)(export, sys.stdout)
                sys.stdout.flush()
            else:
                with open(args.output, "w", encoding="utf-8", newline="") as out:
                    (write_csv if format_ == "csv" else write_json)(export, out)
        except BrokenPipeError:
            # `coachbot report | head`: the reader has gone, which is fine.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    runtime.engine.dispose()
    if not to_stdout:
        print(f"wrote {args.output}", file=sys.stderr)
    return 0
