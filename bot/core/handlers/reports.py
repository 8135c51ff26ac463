"""Managers' commands: /summary and /export.

    /summary                 all the groups you can see, the last 4 whole weeks,
                             with a button for each group
    /summary last month      the same for a period (see bot.core.reports.periods)
    /summary HULL1 december  one group, by its invite code (facilitators know theirs)
    /export [code] [period]  the same as a spreadsheet (XLSX)

Who sees what:
- managers and admins: any group, or everyone together. Invite codes are join
  secrets, so managers are never shown one: they pick a group from buttons that
  carry its id (bot.core.callbacks.ShowReport), and files are named after groups;
- facilitators: only the groups they created (several together, or one), and in
  /export also a row per person of those groups (never anything they typed);
- operatives: the "not allowed" text.
A code that doesn't exist, or names someone else's group, gets the same answer,
so codes can't be probed. The privacy floor is applied in :mod:`bot.core.reports.figures`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.core.callbacks import ReportKind, ShowReport, button
from bot.core.content.html import escape
from bot.core.deps import Deps, Turn
from bot.core.handlers.routes import Routes
from bot.core.messages import Attachment, Button, Reply
from bot.core.model import Cohort, Role
from bot.core.reports.figures import (
    PRIVACY_FLOOR,
    Report,
    build_report,
    chart_data,
    document,
    summary_text,
)
from bot.core.reports.periods import checked_period, parse_period, period_label
from bot.core.reports.ports import Period, PersonFigures, Scope

GROUP_CODE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: A word meant as a date or a number of weeks ("0000-01", "31/2", "0w"), not a code.
_DATED = re.compile(r"^(\d+[-/.]|\d+w$)", re.IGNORECASE)
#: The picker shows this many groups at most: the open ones first, newest first.
MAX_PICKER_GROUPS = 20
#: A button label's longest group name.
LABEL_CHARS = 40


@dataclass(frozen=True)
class Request:
    """What a /summary or /export asks for, once the sender may see it."""

    group: str
    scope: Scope
    period: Period
    #: Whether individual rows may be shown (a facilitator, their own groups).
    individuals: bool
    #: For file names: the group's name made safe, "all" or "mine".
    slug: str
    #: The one group asked for; None for several.
    cohort_id: int | None = None
    #: Nothing was typed for the period, so it is the default one.
    default_period: bool = False


def resolve(turn: Turn, deps: Deps, args: str) -> Request | None:
    """Check the sender's role and read ``[code] [period]``; say why not if not."""
    if not _may_see_reports(turn, deps):
        return None
    operative = turn.operative
    assert operative is not None
    zone = operative.timezone
    # The whole text first: periods have spaces ("last week"), and are no group codes.
    period = parse_period(args, turn.today, zone)
    if period is not None:
        return _request(turn, deps, None, period, default_period=not args.strip())
    code, _, rest = args.strip().partition(" ")
    every = code.lower() == "all"
    cohort = None if every else _visible_by_code(turn, deps, code)
    found = every or cohort is not None
    period = parse_period(rest, turn.today, zone)
    if found and period is None:  # "HULL1 fortnight"
        turn.say(deps.text("report_bad_period", value=escape(rest.strip()[:60])))
        return None
    if not found:
        if period is None or _DATED.match(code):  # "last weeek", "2026-13"
            turn.say(deps.text("report_bad_period", value=escape(args.strip()[:60])))
        else:  # "NOPE", "NOPE last week"
            turn.say(deps.text("report_unknown_group", code=escape(code[:64])))
        return None
    assert period is not None
    return _request(turn, deps, cohort, period, default_period=not rest.strip())


def _may_see_reports(turn: Turn, deps: Deps) -> bool:
    operative = turn.operative
    assert operative is not None
    if deps.role_of(operative) not in (Role.MANAGER, Role.ADMIN, Role.FACILITATOR):
        turn.say(deps.text("not_allowed"))
        return False
    return True


def _is_facilitator(turn: Turn, deps: Deps) -> bool:
    assert turn.operative is not None
    return deps.role_of(turn.operative) is Role.FACILITATOR


def _visible_by_code(turn: Turn, deps: Deps, code: str) -> Cohort | None:
    """The group a typed code names, if the sender may see it."""
    cohort = turn.uow.cohorts.by_code(code) if GROUP_CODE.match(code) else None
    return cohort if cohort is not None and _visible(turn, deps, cohort) else None


def _visible(turn: Turn, deps: Deps, cohort: Cohort) -> bool:
    assert turn.operative is not None
    if cohort.id is None:
        return False
    return not _is_facilitator(turn, deps) or cohort.created_by == turn.operative.telegram_id


def _request(
    turn: Turn,
    deps: Deps,
    cohort: Cohort | None,
    period: Period,
    *,
    default_period: bool,
) -> Request | None:
    """The request for one group, or (``None``) every group the sender may see."""
    facilitator = _is_facilitator(turn, deps)
    if isinstance(cohort, Cohort):
        assert cohort.id is not None
        return Request(
            cohort.name,
            Scope(frozenset({cohort.id})),
            period,
            facilitator,
            _slug(cohort),
            cohort.id,
            default_period,
        )
    if not facilitator:
        group = deps.text("report_all_groups")
        return Request(group, Scope(), period, False, "all", None, default_period)
    operative = turn.operative
    assert operative is not None
    cohorts = [c for c in turn.uow.cohorts.created_by(operative.telegram_id) if c.id is not None]
    if not cohorts:
        turn.say(deps.text("report_no_groups"))
        return None
    if len(cohorts) == 1:
        return _request(turn, deps, cohorts[0], period, default_period=default_period)
    ids = frozenset(c.id for c in cohorts if c.id is not None)
    group = deps.text("report_your_groups")
    return Request(group, Scope(ids), period, True, "mine", None, default_period)


def _slug(cohort: Cohort) -> str:
    """ "Hull North" -> "hull-north": a file name never carries a join code."""
    plain = unicodedata.normalize("NFKD", cohort.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:40].strip("-")
    return slug or f"group-{cohort.id}"


def summary_command(turn: Turn, deps: Deps, args: str) -> None:
    """/summary [cohort] [period]: a short text, then one chart."""
    request = resolve(turn, deps, args)
    if request is not None:
        _summary(turn, deps, request)


def export_command(turn: Turn, deps: Deps, args: str) -> None:
    """/export [cohort] [period]: the spreadsheet, as a document."""
    request = resolve(turn, deps, args)
    if request is not None:
        _export(turn, deps, request)


def report_button(turn: Turn, deps: Deps, pressed: ShowReport) -> None:
    """A group from the picker, or "this week so far": the same as typing it."""
    if not _may_see_reports(turn, deps):
        return
    assert turn.operative is not None
    zone = turn.operative.timezone
    cohort = None
    if pressed.cohort_id is not None:
        cohort = turn.uow.cohorts.by_id(pressed.cohort_id)
        if cohort is None or not _visible(turn, deps, cohort):
            turn.say(deps.text("button_expired"))
            return
    if pressed.days is None:
        period = parse_period("this week", turn.today, zone)
    else:
        period = checked_period(*pressed.days, zone)
    if period is None:
        turn.say(deps.text("button_expired"))
        return
    # A group picked under a report of the default period is still that period.
    default = parse_period("", turn.today, zone)
    request = _request(turn, deps, cohort, period, default_period=period == default)
    if request is None:
        return
    if pressed.kind == "summary":
        _summary(turn, deps, request)
    else:
        _export(turn, deps, request)


def _summary(turn: Turn, deps: Deps, request: Request) -> None:
    report = build_report(turn.uow.reports, request.scope, request.period, request.group)
    names = deps.library.titles()
    turn.say(summary_text(report, deps.text, names))
    if not (report.withheld or report.empty):
        png = deps.renderers.chart(chart_data(report, deps.text, names))
        turn.replies.append(
            Reply(
                deps.text("report_chart_caption"),
                image=Attachment(_file_name(request, "png"), png),
            )
        )
    _offer_choices(turn, deps, request, report, "summary")


def _export(turn: Turn, deps: Deps, request: Request) -> None:
    """The workbook, always with the same sheets and columns: a group too small to show
    has every figure held back and marked, rather than no workbook."""
    report = build_report(turn.uow.reports, request.scope, request.period, request.group)
    individuals: Iterable[PersonFigures] | None = None
    if request.individuals and report.has_people:
        # A group too small to show keeps the People sheet, empty: nothing is shown
        # about anyone in it, to a facilitator either.
        people = turn.uow.reports.people(request.scope, request.period)
        individuals = () if report.withheld else people
    workbook = deps.renderers.workbook(
        document(report, deps.text, deps.library.titles(), individuals)
    )
    group, period = escape(request.group), period_label(request.period)
    if report.withheld:
        caption = deps.text(
            "report_export_caption_held_back", group=group, period=period, floor=PRIVACY_FLOOR
        )
    elif report.empty:
        caption = summary_text(report, deps.text, {})
    else:
        key = "report_export_caption_people" if individuals is not None else "report_export_caption"
        caption = deps.text(key, group=group, period=period)
    turn.replies.append(Reply(caption, document=Attachment(_file_name(request, "xlsx"), workbook)))
    _offer_choices(turn, deps, request, report, "export")


def _offer_choices(
    turn: Turn, deps: Deps, request: Request, report: Report, kind: ReportKind
) -> None:
    """What to offer after a report, as buttons: this week so far, when the default
    period has nothing to show but people have joined since; and for several groups,
    each one on its own."""
    lines: list[str] = []
    rows: list[tuple[Button, ...]] = []
    if request.default_period and (report.empty or report.withheld):
        this_week = parse_period("this week", turn.today, request.period.timezone)
        assert this_week is not None
        now = turn.uow.reports.figures(request.scope, this_week).membership.enrolled
        if now > report.figures.membership.enrolled:
            lines.append(deps.text("report_try_this_week"))
            rows.append(
                (
                    button(
                        deps.text("report_button_this_week"),
                        ShowReport(kind, request.cohort_id, None),
                    ),
                )
            )
    if request.cohort_id is None:
        picker = _picker(turn, deps, request.period, kind)
        if picker:
            lines.append(deps.text("report_pick_group"))
            rows.extend(picker)
    if rows:
        turn.say("\n".join(lines), tuple(rows))


def _picker(turn: Turn, deps: Deps, period: Period, kind: ReportKind) -> list[tuple[Button, ...]]:
    """A button per group the sender may see, named (never by code): open groups first,
    newest first; two groups of the same name are told apart by their dates."""
    cohorts = [c for c in turn.uow.cohorts.all() if _visible(turn, deps, c)]
    cohorts.sort(key=lambda c: (not c.is_open, -(c.id or 0)))
    cohorts = cohorts[:MAX_PICKER_GROUPS]
    names = [c.name for c in cohorts]
    labels = [
        c.name[:LABEL_CHARS] + (f" ({_date_of(c)})" if names.count(c.name) > 1 else "")
        for c in cohorts
    ]
    days = (period.first, period.last)
    rows: list[tuple[Button, ...]] = []
    for cohort, label in zip(cohorts, labels, strict=True):
        assert cohort.id is not None
        if labels.count(label) > 1:  # the same name on the same day: their order tells
            label += f" #{cohort.id}"
        rows.append((button(label, ShowReport(kind, cohort.id, days)),))
    return rows


def _date_of(cohort: Cohort) -> str:
    day = cohort.workshop_date or (cohort.created_at.date() if cohort.created_at else None)
    return f"{day.day} {day:%b %Y}" if day else f"#{cohort.id}"


def _file_name(request: Request, extension: str) -> str:
    return file_name(request.slug, request.period.first, request.period.last, extension)


def file_name(name: str, first: date, last: date, extension: str) -> str:
    """ "doorstep-coach-hull-north-2026-11-02-to-2026-11-29.xlsx": safe on any system."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "", name)[:40] or "all"
    return f"doorstep-coach-{safe}-{first.isoformat()}-to-{last.isoformat()}.{extension}"


ROUTES = Routes(
    commands={"summary": summary_command, "export": export_command},
    buttons={ShowReport: report_button},
)
