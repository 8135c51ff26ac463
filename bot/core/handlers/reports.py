"""Managers' commands: /summary and /export.

    /summary                 all the groups you can see, the last 4 weeks
    /summary HULL1           one group (by its invite code)
    /summary HULL1 last-month
    /export [code] [period]  the same as a spreadsheet (XLSX)

Who sees what:
- managers and admins: any group, or everyone together;
- facilitators: only the groups they created (several together, or one), and in
  /export also a row per person of those groups (never anything they typed);
- operatives: the "not allowed" text.
A code that doesn't exist, or names someone else's group, gets the same answer,
so codes can't be probed. The privacy floor is applied in :mod:`bot.core.reports.figures`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.core.content.html import escape
from bot.core.deps import Deps, Turn
from bot.core.handlers.routes import Routes
from bot.core.messages import Attachment, Reply
from bot.core.model import Role
from bot.core.reports.figures import (
    build_report,
    chart_data,
    document,
    parse_period,
    period_label,
    summary_text,
)
from bot.core.reports.ports import Period, Scope

GROUP_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_LOOKS_LIKE_PERIOD = re.compile(r"^(\d+w|\d{4}-\d{2}.*|(this|last)-(week|month))$", re.IGNORECASE)


@dataclass(frozen=True)
class Request:
    """What a /summary or /export asks for, once the sender may see it."""

    group: str
    scope: Scope
    period: Period
    #: Whether individual rows may be shown (a facilitator, their own groups).
    individuals: bool
    #: For file names: the group's code, or "all".
    code: str


def resolve(turn: Turn, deps: Deps, args: str) -> Request | None:
    """Check the sender's role and read ``[code] [period]``; say why not if not."""
    operative = turn.operative
    assert operative is not None
    role = deps.role_of(operative)
    if role not in (Role.MANAGER, Role.ADMIN, Role.FACILITATOR):
        turn.say(deps.text("not_allowed"))
        return None
    words = args.split()
    if len(words) > 2:
        turn.say(deps.text("report_usage"))
        return None
    code = period_text = ""
    if len(words) == 2:
        code, period_text = words
    elif len(words) == 1:
        if _LOOKS_LIKE_PERIOD.match(words[0]):
            period_text = words[0]
        else:
            code = words[0]
    period = parse_period(period_text, turn.today, operative.timezone)
    if period is None:
        turn.say(deps.text("report_bad_period", value=escape(period_text[:40])))
        return None
    facilitator = role is Role.FACILITATOR
    if code and code.lower() != "all":
        cohort = turn.uow.cohorts.by_code(code) if GROUP_CODE.match(code) else None
        if (
            cohort is None
            or cohort.id is None
            or (facilitator and cohort.created_by != operative.telegram_id)
        ):
            turn.say(deps.text("report_unknown_group", code=escape(code[:64])))
            return None
        return Request(cohort.name, Scope(frozenset({cohort.id})), period, facilitator, code)
    if not facilitator:
        return Request(deps.text("report_all_groups"), Scope(), period, False, "all")
    cohorts = [c for c in turn.uow.cohorts.created_by(operative.telegram_id) if c.id is not None]
    if not cohorts:
        turn.say(deps.text("report_no_groups"))
        return None
    if len(cohorts) == 1:
        only = cohorts[0]
        assert only.id is not None
        return Request(only.name, Scope(frozenset({only.id})), period, True, only.invite_code)
    ids = frozenset(c.id for c in cohorts if c.id is not None)
    return Request(deps.text("report_your_groups"), Scope(ids), period, True, "mine")


def summary_command(turn: Turn, deps: Deps, args: str) -> None:
    """/summary [cohort] [period]: a short text, then one chart."""
    request = resolve(turn, deps, args)
    if request is None:
        return
    report = build_report(turn.uow.reports, request.scope, request.period, request.group)
    names = deps.library.titles()
    turn.say(summary_text(report, deps.text, names))
    if report.withheld:
        return
    png = deps.renderers.chart(chart_data(report, deps.text, names))
    turn.replies.append(
        Reply(
            deps.text("report_chart_caption"),
            image=Attachment(_file_name(request, "png"), png),
        )
    )


def export_command(turn: Turn, deps: Deps, args: str) -> None:
    """/export [cohort] [period]: the spreadsheet, as a document."""
    request = resolve(turn, deps, args)
    if request is None:
        return
    report = build_report(turn.uow.reports, request.scope, request.period, request.group)
    if report.withheld:
        turn.say(summary_text(report, deps.text, deps.library.titles()))
        return
    individuals = (
        turn.uow.reports.people(request.scope, request.period)
        if request.individuals and report.has_people
        else None
    )
    workbook = deps.renderers.workbook(
        document(report, deps.text, deps.library.titles(), individuals)
    )
    caption = "report_export_caption_people" if individuals is not None else "report_export_caption"
    turn.replies.append(
        Reply(
            deps.text(caption, group=escape(request.group), period=period_label(request.period)),
            document=Attachment(_file_name(request, "xlsx"), workbook),
        )
    )


def _file_name(request: Request, extension: str) -> str:
    return file_name(request.code, request.period.first, request.period.last, extension)


def file_name(code: str, first: date, last: date, extension: str) -> str:
    """ "doorstep-coach-HULL1-2026-11-02-to-2026-11-29.xlsx": safe on any system."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "", code)[:40] or "all"
    return f"doorstep-coach-{safe}-{first.isoformat()}-to-{last.isoformat()}.{extension}"


ROUTES = Routes(commands={"summary": summary_command, "export": export_command})
