"""The /summary chart: weekly reply rate and topic strength, as one PNG.

Drawn with matplotlib's Agg canvas on a ``Figure`` of its own (no pyplot, so no
global state: safe in the bot's worker threads). The data arrives with the
privacy floor already applied: a week that can't be shown is a gap, marked.
"""

from __future__ import annotations

import io
from collections import defaultdict
from typing import Any, Final

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.core.reports.figures import ChartData

STRONG: Final = "#1b7837"
PARTIAL: Final = "#f1a340"
CONCERN: Final = "#b2182b"
BAR: Final = "#2166ac"
MUTED: Final = "#999999"
#: 900 x 1000 pixels: sharp on a phone, small enough to send quickly.
SIZE_INCHES: Final = (9.0, 10.0)
DPI: Final = 100


def render_chart(data: ChartData) -> bytes:
    """The chart as PNG bytes."""
    # Fixed margins rather than a layout engine: a layout engine draws everything twice.
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI)
    FigureCanvasAgg(figure)
    figure.suptitle(data.title, fontsize=14, fontweight="bold", y=0.975)
    weeks_axes, topics_axes = figure.subplots(
        2,
        1,
        height_ratios=(2, 3),
        gridspec_kw={"left": 0.27, "right": 0.96, "top": 0.9, "bottom": 0.1, "hspace": 0.35},
    )
    _weeks(weeks_axes, data)
    _topics(topics_axes, data)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def _weeks(axes: Any, data: ChartData) -> None:
    axes.set_title(data.labels["reply_rate"], loc="left")
    labels = [label for label, _ in data.weeks]
    positions = list(range(len(labels)))
    values = [100 * value if value is not None else 0.0 for _, value in data.weeks]
    bars = axes.bar(positions, values, color=BAR, width=0.6)
    for position, (bar, (_, value)) in enumerate(zip(bars, data.weeks, strict=True)):
        if value is None:  # held back by the privacy floor, or no prompts that week
            axes.text(
                position,
                4,
                data.labels["fewer"],
                ha="center",
                va="bottom",
                color=MUTED,
                fontsize=9,
                rotation=90,
            )
        else:
            axes.text(
                position,
                bar.get_height() + 2,
                f"{round(100 * value)}%",
                ha="center",
                va="bottom",
                fontsize=9,
            )
    axes.set_xticks(positions, labels, rotation=45 if len(labels) > 8 else 0, fontsize=9)
    axes.set_ylim(0, 110)
    axes.set_yticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    axes.spines[["top", "right"]].set_visible(False)
    if all(value is None for _, value in data.weeks):
        axes.text(
            0.5, 0.5, data.labels["no_data"], transform=axes.transAxes, ha="center", color=MUTED
        )


def _topics(axes: Any, data: ChartData) -> None:
    axes.set_title(data.labels["topics"], loc="left")
    axes.spines[["top", "right"]].set_visible(False)
    if not data.topics:
        axes.set_axis_off()
        axes.text(
            0.5, 0.5, data.labels["no_data"], transform=axes.transAxes, ha="center", color=MUTED
        )
        return
    # Weakest at the top: barh draws from the bottom up.
    topics = list(reversed(data.topics))
    names = [name for name, *_ in topics]
    positions = list(range(len(topics)))
    left = [0.0] * len(topics)
    columns = {
        "strong": [100 * strong for _, strong, _, _ in topics],
        "partial": [100 * partial for _, _, partial, _ in topics],
        "concern": [100 * concern for _, _, _, concern in topics],
    }
    for key, colour in (("strong", STRONG), ("partial", PARTIAL), ("concern", CONCERN)):
        shares = columns[key]
        axes.barh(positions, shares, left=left, color=colour, label=data.labels[key], height=0.6)
        left = [a + b for a, b in zip(left, shares, strict=True)]
    axes.set_yticks(positions, names, fontsize=9)
    axes.set_xlim(0, 100)
    axes.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, -0.2), ncols=3, frameon=False)


def warm_up() -> None:
    """Draw a throwaway chart, so that matplotlib's first-use work (loading fonts,
    building caches) happens at start-up rather than in a manager's first /summary."""
    render_chart(
        ChartData("", [("", 0.5), ("", None)], [("", 0.5, 0.3, 0.2)], defaultdict(lambda: "-"))
    )
