"""Engagement reports as plain data: periods, the privacy floor, and the words.

    period = parse_period("4w", today=date(2026, 12, 2), timezone="Europe/London")  # periods.py
    report = build_report(uow.reports, Scope(), period, "All groups")
    text = summary_text(report, deps.text, titles)

The privacy floor lives here and only here: every figure about operatives is
paired with how many operatives it is about, and when that is 1 to 4 (fewer than
:data:`PRIVACY_FLOOR`) the figure is replaced by :data:`FEWER` ("fewer than 5").
A figure about nobody is a true zero and is shown as one: the floor protects
small groups of people, and there is no one to protect in an empty one. If the
whole group has 1 to 4 operatives, nothing is shown at all. Nothing an operative
typed ever reaches a report: storage only hands over counts.

Why one long module: the privacy floor and the code that turns each figure into
text, rows and chart data stay together, so no figure can reach a manager without
passing :func:`floored`; periods are in :mod:`bot.core.reports.periods`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Final, Literal

from bot.core.content.html import escape
from bot.core.reports.periods import period_label, week_label
from bot.core.reports.ports import (
    STREAK_BANDS,
    Activity,
    Figures,
    Period,
    PersonFigures,
    ReportQueries,
    Scope,
    TopicFigures,
)

#: No figure is shown about fewer operatives than this (but a figure about none is).
PRIVACY_FLOOR: Final = 5

Texts = Callable[..., str]


class Suppressed:
    """A figure held back by the privacy floor."""

    def __repr__(self) -> str:
        return "FEWER"


FEWER: Final = Suppressed()
CellKind = Literal["text", "date", "count", "percent", "minutes", "points"]
Value = str | int | float | date | Suppressed | None


# -- the privacy floor ---------------------------------------------------------


def held_back(operatives: int) -> bool:
    """Whether a figure about this many operatives is held back: 1 to 4 are, none isn't."""
    return 0 < operatives < PRIVACY_FLOOR


def floored(value: Value, operatives: int) -> Value:
    """``value``, or :data:`FEWER` if it is about 1 to 4 operatives. About nobody, a
    figure should be zero; if it isn't (it counts someone the base doesn't), it is
    held back too rather than trusted."""
    if held_back(operatives):
        return FEWER
    if operatives == 0 and isinstance(value, int | float) and value:
        return FEWER
    return value


def people(count: int) -> Value:
    """A number of operatives: shown if none, or from five up."""
    return floored(count, count)


def rate(part: int, whole: int, operatives: int) -> Value:
    """A share (0 to 1, four places), or None when there is nothing to divide by."""
    if held_back(operatives):
        return FEWER
    return round(part / whole, 4) if whole else None


def change_points(before: Activity, now: Activity) -> Value:
    """Change in the share of prompts answered from one week to the next, in points."""
    if held_back(before.prompted) or held_back(now.prompted):
        return FEWER
    if not (before.prompts and now.prompts):
        return None
    return round(100 * (now.replies / now.prompts - before.replies / before.prompts), 1)


# -- the report ----------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """Figures for one group and period, and the week before the period's last week
    (for the week-on-week trend)."""

    group: str
    period: Period
    figures: Figures
    week_before: Activity
    #: All groups, or several: "these groups" rather than "this group".
    several: bool = False

    @property
    def withheld(self) -> bool:
        """The whole group is too small to show anything (but not empty)."""
        return held_back(self.figures.membership.enrolled)

    @property
    def empty(self) -> bool:
        """No operative had joined by the end of the period: nothing to show, nor hide."""
        return self.figures.membership.enrolled == 0

    @property
    def has_people(self) -> bool:
        """Rows per person exist for the whole period (retention deletes them with the
        records they come from)."""
        kept_from = self.figures.kept_from
        return kept_from is None or self.period.first >= kept_from

    @property
    def last_week(self) -> Activity:
        return self.figures.weekly.weeks[-1][1]

    def trend_points(self) -> Value:
        """Change in the reply rate, last week on the week before, in percentage points."""
        return change_points(self.week_before, self.last_week)

    def topics(self) -> list[TopicFigures]:
        """Weak topics first (the lowest share of strong answers, partial counting
        half); topics with too few operatives to rank go last, by name."""
        shown = [t for t in self.figures.topics if t.operatives >= PRIVACY_FLOOR and t.answers]
        hidden = [t for t in self.figures.topics if t not in shown]
        shown.sort(key=lambda t: ((t.strong + t.partial / 2) / t.answers, t.topic))
        hidden.sort(key=lambda t: t.topic)
        return shown + hidden


def build_report(reports: ReportQueries, scope: Scope, period: Period, group: str) -> Report:
    figures = reports.figures(scope, period)
    weeks = figures.weekly.weeks
    if len(weeks) >= 2:
        before = weeks[-2][1]
    else:
        before = reports.weekly(scope, period.week_before_last()).total
    several = scope.cohort_ids is None or len(scope.cohort_ids) > 1
    return Report(group, period, figures, before, several)


# -- rows, for exports ---------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: CellKind


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    value: Value
    kind: CellKind


@dataclass(frozen=True)
class Table:
    """One sheet of an export: a header, then rows, which may be streamed."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: Iterable[tuple[Value, ...]]


@dataclass(frozen=True)
class Document:
    """What an export holds: summary metrics, then tables."""

    name: str
    summary: list[Metric]
    tables: list[Table] = field(default_factory=list)
    #: How a figure held back by the privacy floor reads.
    fewer: str = "fewer than 5"
    #: Headings of the summary sheet's two columns.
    labels: tuple[str, str] = ("Figure", "Value")
    #: What the held-back cells mean, under the summary.
    note: str = ""


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


SUMMARY_KEYS: Final[tuple[tuple[str, CellKind], ...]] = (
    ("group", "text"),
    ("period_from", "date"),
    ("period_to", "date"),
    ("time_zone", "text"),
    ("operatives_enrolled", "count"),
    ("operatives_joined", "count"),
    ("operatives_active", "count"),
    ("operatives_paused", "count"),
    ("operatives_stopped", "count"),
    ("operatives_unreachable", "count"),
    ("prompts_sent", "count"),
    ("operatives_prompted", "count"),
    ("prompts_answered", "count"),
    ("reply_rate", "percent"),
    ("median_minutes_to_reply", "minutes"),
    ("reply_rate_last_week", "percent"),
    ("reply_rate_change_points", "points"),
    ("practice_sent", "count"),
    ("operatives_practising", "count"),
    ("practice_answered", "count"),
    *((f"streak_{index}", "count") for index in range(len(STREAK_BANDS))),
    ("commitments_made", "count"),
    ("commitments_followed_up", "count"),
    ("commitments_kept_rate", "percent"),
    ("unmatched_messages", "count"),
)


def summary_values(report: Report) -> dict[str, Value]:
    """Every summary figure, with the privacy floor applied."""
    figures = report.figures
    group = figures.membership
    total = figures.weekly.total
    last = report.last_week
    commitments = figures.commitments
    values: dict[str, Value] = {
        "group": report.group,
        "period_from": report.period.first,
        "period_to": report.period.last,
        "time_zone": report.period.timezone,
        "operatives_enrolled": people(group.enrolled),
        "operatives_joined": people(group.joined),
        "operatives_active": people(total.active),
        "operatives_paused": people(group.paused),
        "operatives_stopped": people(group.stopped),
        "operatives_unreachable": people(group.unreachable),
        "prompts_sent": floored(total.prompts, total.prompted),
        "operatives_prompted": people(total.prompted),
        "prompts_answered": floored(total.replies, total.prompted),
        "reply_rate": rate(total.replies, total.prompts, total.prompted),
        "median_minutes_to_reply": floored(_minutes(total.median_reply_seconds), total.active),
        "reply_rate_last_week": rate(last.replies, last.prompts, last.prompted),
        "reply_rate_change_points": report.trend_points(),
        "practice_sent": floored(total.practice, total.practising),
        "operatives_practising": people(total.practising),
        "practice_answered": floored(total.practice_answered, total.practising),
        "commitments_made": people(commitments.made),
        "commitments_followed_up": people(commitments.with_outcome),
        "commitments_kept_rate": rate(
            commitments.kept, commitments.with_outcome, commitments.with_outcome
        ),
        "unmatched_messages": floored(total.gaps, group.enrolled),
    }
    for index, count in enumerate(figures.streaks):
        values[f"streak_{index}"] = people(count)
    if report.withheld:
        for key in values:
            if key not in ("group", "period_from", "period_to", "time_zone"):
                values[key] = FEWER
    return values


def streak_band_label(index: int) -> str:
    lower = STREAK_BANDS[index]
    if index + 1 == len(STREAK_BANDS):
        return f"{lower}+"
    upper = STREAK_BANDS[index + 1] - 1
    return str(lower) if lower == upper else f"{lower}–{upper}"


WEEK_COLUMNS: Final[tuple[tuple[str, CellKind], ...]] = (
    ("week_starting", "date"),
    ("prompts_sent", "count"),
    ("operatives_prompted", "count"),
    ("prompts_answered", "count"),
    ("reply_rate", "percent"),
    ("reply_rate_change_points", "points"),
    ("median_minutes_to_reply", "minutes"),
    ("operatives_active", "count"),
    ("unmatched_messages", "count"),
)
TOPIC_COLUMNS: Final[tuple[tuple[str, CellKind], ...]] = (
    ("topic", "text"),
    ("topic_id", "text"),
    ("answers", "count"),
    ("operatives", "count"),
    ("strong_share", "percent"),
    ("partial_share", "percent"),
    ("concern_share", "percent"),
)
PEOPLE_COLUMNS: Final[tuple[tuple[str, CellKind], ...]] = (
    ("name", "text"),
    ("group", "text"),
    ("status", "text"),
    ("prompts_sent", "count"),
    ("answers", "count"),
    ("streak", "count"),
    ("last_answer", "date"),
)


def week_rows(report: Report) -> Iterator[tuple[Value, ...]]:
    """A row per week; for a group too small to show, the same rows with every figure
    held back, so an export always has the same layout."""
    if report.withheld:
        for monday, _ in report.figures.weekly.weeks:
            yield (monday, *(FEWER,) * (len(WEEK_COLUMNS) - 1))
        return
    enrolled = report.figures.membership.enrolled
    previous: Activity | None = None
    for monday, week in report.figures.weekly.weeks:
        yield (
            monday,
            floored(week.prompts, week.prompted),
            people(week.prompted),
            floored(week.replies, week.prompted),
            rate(week.replies, week.prompts, week.prompted),
            change_points(previous, week) if previous is not None else None,
            floored(_minutes(week.median_reply_seconds), week.active),
            people(week.active),
            floored(week.gaps, enrolled),
        )
        previous = week


def topic_rows(report: Report, titles: Mapping[str, str]) -> Iterator[tuple[Value, ...]]:
    """Weak topics first; for a group too small to show, every topic with its figures
    held back (which topics were answered would say something about a few people)."""
    if report.withheld:
        for topic_id, title in titles.items():
            yield (title, topic_id, *(FEWER,) * (len(TOPIC_COLUMNS) - 2))
        return
    for topic in report.topics():
        base = topic.operatives
        yield (
            titles.get(topic.topic, topic.topic),
            topic.topic,
            floored(topic.answers, base),
            people(base),
            rate(topic.strong, topic.answers, base),
            rate(topic.partial, topic.answers, base),
            rate(topic.concern, topic.answers, base),
        )


def people_rows(rows: Iterable[PersonFigures]) -> Iterator[tuple[Value, ...]]:
    """Individual rows: for a facilitator's own cohorts only (the caller checks)."""
    for person in rows:
        yield (
            person.name,
            person.cohort,
            person.status,
            person.prompts,
            person.replies,
            person.streak,
            person.last_reply,
        )


def document(
    report: Report,
    text: Texts,
    titles: Mapping[str, str],
    individuals: Iterable[PersonFigures] | None = None,
) -> Document:
    """The export: summary, weeks and topics; individuals only when given (facilitators)."""

    def columns(spec: Iterable[tuple[str, CellKind]]) -> tuple[Column, ...]:
        return tuple(Column(key, text(f"report_col_{key}"), kind) for key, kind in spec)

    values = summary_values(report)
    summary = [
        Metric(key, _metric_label(key, text), values[key], kind) for key, kind in SUMMARY_KEYS
    ]
    tables = [
        Table("weeks", text("report_sheet_weeks"), columns(WEEK_COLUMNS), week_rows(report)),
        Table(
            "topics",
            text("report_sheet_topics"),
            columns(TOPIC_COLUMNS),
            topic_rows(report, titles),
        ),
    ]
    if individuals is not None:
        tables.append(
            Table(
                "people",
                text("report_sheet_people"),
                columns(PEOPLE_COLUMNS),
                people_rows(individuals),
            )
        )
    return Document(
        text("report_sheet_summary"),
        summary,
        tables,
        fewer=text("report_fewer", floor=PRIVACY_FLOOR),
        labels=(text("report_col_metric"), text("report_col_value")),
        note=text("report_held_back_note", floor=PRIVACY_FLOOR),
    )


def _metric_label(key: str, text: Texts) -> str:
    if key.startswith("streak_"):
        return text("report_col_streak_band", band=streak_band_label(int(key.split("_")[1])))
    return text(f"report_col_{key}")


# -- words ---------------------------------------------------------------------


def shown(value: Value, text: Texts, kind: CellKind = "count") -> str:
    """A value as it reads in a message."""
    if isinstance(value, Suppressed):
        return text("report_fewer", floor=PRIVACY_FLOOR)
    if value is None:
        return text("report_not_known")
    if kind == "percent" and isinstance(value, int | float):
        return f"{round(100 * value)}%"
    if kind == "minutes" and isinstance(value, int | float):
        return _duration(value, text)
    if kind == "points" and isinstance(value, int | float):
        points = round(value)
        if points > 0:
            return text("report_trend_up", points=points)
        if points < 0:
            return text("report_trend_down", points=-points)
        return text("report_trend_same")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, date):
        return f"{value.day} {value:%b %Y}"
    return escape(str(value))


def _duration(minutes: float, text: Texts) -> str:
    if minutes < 1:
        return text("report_under_a_minute")
    whole = round(minutes)
    if whole < 60:
        return text("report_minutes", minutes=whole)
    return text("report_hours", hours=whole // 60, minutes=whole % 60)


def summary_text(report: Report, text: Texts, titles: Mapping[str, str]) -> str:
    """The short summary for /summary, in Telegram HTML."""
    group, period = escape(report.group), period_label(report.period)
    title = text("report_title", group=group, period=period)
    if report.empty:
        key = "report_empty_several" if report.several else "report_empty"
        return "\n".join([title, text(key, day=_day(report.period.last))])
    if report.withheld:
        key = "report_withheld_several" if report.several else "report_withheld"
        return "\n".join([title, text(key, floor=PRIVACY_FLOOR)])
    values = summary_values(report)

    def v(key: str, kind: CellKind = "count") -> str:
        return shown(values[key], text, kind)

    lines = [
        title,
        text(
            "report_line_people",
            enrolled=v("operatives_enrolled"),
            active=v("operatives_active"),
            joined=v("operatives_joined"),
        ),
        text(
            "report_line_status",
            paused=v("operatives_paused"),
            stopped=v("operatives_stopped"),
            unreachable=v("operatives_unreachable"),
        ),
    ]
    total = report.figures.weekly.total
    if not total.prompts:
        lines.append(text("report_no_prompts"))
    elif held_back(total.prompted):
        lines.append(text("report_line_prompts_fewer", floor=PRIVACY_FLOOR))
    else:
        lines.append(
            text(
                "report_line_prompts",
                prompts=v("prompts_sent"),
                rate=v("reply_rate", "percent"),
                median=v("median_minutes_to_reply", "minutes"),
            )
        )
    if total.practising >= PRIVACY_FLOOR:
        lines.append(
            text(
                "report_line_practice",
                count=v("practice_sent"),
                people=v("operatives_practising"),
                rate=shown(
                    rate(total.practice_answered, total.practice, total.practising),
                    text,
                    "percent",
                ),
            )
        )
    elif total.practice:
        lines.append(text("report_line_practice_fewer", floor=PRIVACY_FLOOR))
    if report.last_week.prompts:
        if isinstance(values["reply_rate_change_points"], Suppressed):
            lines.append(text("report_line_trend_fewer", floor=PRIVACY_FLOOR))
        else:
            lines.append(
                text(
                    "report_line_trend",
                    rate=v("reply_rate_last_week", "percent"),
                    change=v("reply_rate_change_points", "points"),
                )
            )
    bands = " · ".join(
        f"{streak_band_label(index)}: {v(f'streak_{index}')}" for index in range(len(STREAK_BANDS))
    )
    lines.append(text("report_line_streaks", bands=bands))
    weak = [t for t in report.topics() if t.operatives >= PRIVACY_FLOOR][:3]
    if weak:
        topics = " · ".join(
            text(
                "report_topic",
                topic=escape(titles.get(t.topic, t.topic)),
                strong=shown(rate(t.strong, t.answers, t.operatives), text, "percent"),
                concern=shown(rate(t.concern, t.answers, t.operatives), text, "percent"),
            )
            for t in weak
        )
        lines.append(text("report_line_topics", topics=topics))
    commitments = report.figures.commitments
    if commitments.with_outcome >= PRIVACY_FLOOR:
        lines.append(
            text(
                "report_line_commitments",
                rate=v("commitments_kept_rate", "percent"),
                count=v("commitments_followed_up"),
            )
        )
    elif commitments.with_outcome:
        lines.append(text("report_line_commitments_fewer", floor=PRIVACY_FLOOR))
    elif commitments.made:
        lines.append(text("report_line_commitments_none"))
    lines.append(text("report_line_gaps", count=v("unmatched_messages")))
    kept_from = report.figures.kept_from
    if kept_from is not None:
        key = "report_kept_summary" if report.figures.summary else "report_partly_kept"
        lines.append(text(key, day=_day(kept_from)))
    return "\n".join(lines)


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def digest_text(report: Report, text: Texts, titles: Mapping[str, str]) -> str:
    """The Monday digest: last week's summary, with where to find more."""
    body = summary_text(report, text, titles)
    return "\n".join([text("report_digest_title"), body, "", text("report_digest_footer")])


# -- the chart, as data --------------------------------------------------------


@dataclass(frozen=True)
class ChartData:
    """What the chart draws, with the privacy floor already applied."""

    title: str
    #: (week label, share of prompts answered or None when it can't be shown)
    weeks: list[tuple[str, float | None]]
    #: (topic title, strong, partial, concern shares), weak first
    topics: list[tuple[str, float, float, float]]
    labels: Mapping[str, str]


def chart_data(report: Report, text: Texts, titles: Mapping[str, str]) -> ChartData:
    weeks: list[tuple[str, float | None]] = []
    for monday, week in report.figures.weekly.weeks:
        value = rate(week.replies, week.prompts, week.prompted)
        weeks.append((week_label(monday), value if isinstance(value, float) else None))
    topics = []
    for topic in report.topics():
        if topic.operatives < PRIVACY_FLOOR or not topic.answers:
            continue
        answers = topic.answers
        topics.append(
            (
                titles.get(topic.topic, topic.topic),
                topic.strong / answers,
                topic.partial / answers,
                topic.concern / answers,
            )
        )
    labels = {
        key: text(f"report_chart_{key}")
        for key in ("reply_rate", "topics", "strong", "partial", "concern", "no_data")
    }
    labels["fewer"] = text("report_fewer", floor=PRIVACY_FLOOR)
    return ChartData(f"{report.group}, {period_label(report.period)}", weeks, topics, labels)
