"""The /summary chart: weekly reply rate and topic strength, as one PNG.

Drawn straight onto a Pillow image: two bar charts need a few rectangles and some
text, and matplotlib spent 150 to 200 ms of CPU on each chart laying out artists
(ticks, text boxes, a figure) before any pixel, which made the chart most of a
/summary. Fonts are loaded once (at start-up, by :func:`warm_up`), never per chart.
The data arrives with the privacy floor already applied: a week that can't be
shown is a gap, marked.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw, ImageFont

from bot.core.reports.figures import ChartData

STRONG: Final = "#1b7837"
PARTIAL: Final = "#f1a340"
CONCERN: Final = "#b2182b"
BAR: Final = "#2166ac"
MUTED: Final = "#999999"
INK: Final = "#222222"
#: 900 x 1000 pixels: sharp on a phone, small enough to send quickly.
WIDTH: Final = 900
HEIGHT: Final = 1000
#: The plotting area of both charts, left to right; names and percentages sit outside.
LEFT: Final = 243
RIGHT: Final = 864
#: Top and bottom of the weekly chart and of the topics chart (2 to 3 in height).
WEEKS_BOX: Final = (100, 372)
TOPICS_BOX: Final = (491, 880)
TICKS: Final = (0, 25, 50, 75, 100)
#: The weekly chart's scale: 110%, so a full bar keeps room for its label.
WEEKS_TOP: Final = 110

Font = ImageFont.FreeTypeFont


@lru_cache(maxsize=8)
def _font(size: int, bold: bool = False) -> Font:
    """DejaVu Sans, which matplotlib ships (found without importing matplotlib)."""
    spec = find_spec("matplotlib")
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(folder / name), size)


def render_chart(data: ChartData) -> bytes:
    """The chart as PNG bytes."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.text((WIDTH / 2, 12), data.title, fill=INK, font=_font(19, True), anchor="ma")
    _weeks(image, draw, data)
    _topics(draw, data)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def _percent(value: int) -> str:
    return f"{value}%"


def _panel_title(draw: ImageDraw.ImageDraw, text: str, top: int) -> None:
    draw.text((LEFT, top - 10), text, fill=INK, font=_font(16), anchor="ld")


def _no_data(draw: ImageDraw.ImageDraw, text: str, box: tuple[int, int]) -> None:
    middle = ((LEFT + RIGHT) / 2, (box[0] + box[1]) / 2)
    draw.text(middle, text, fill=MUTED, font=_font(14), anchor="mm")


def _axes(draw: ImageDraw.ImageDraw, box: tuple[int, int]) -> None:
    """The left and bottom spines (no top or right: less ink, same reading)."""
    top, bottom = box
    draw.line([(LEFT, top), (LEFT, bottom), (RIGHT, bottom)], fill=INK, width=1)


def _weeks(image: Image.Image, draw: ImageDraw.ImageDraw, data: ChartData) -> None:
    top, bottom = WEEKS_BOX
    _panel_title(draw, data.labels["reply_rate"], top)
    _axes(draw, WEEKS_BOX)
    small = _font(12)

    def y(percent: float) -> float:
        return bottom - (bottom - top) * percent / WEEKS_TOP

    for tick in TICKS:
        draw.line([(LEFT - 4, y(tick)), (LEFT, y(tick))], fill=INK)
        draw.text((LEFT - 7, y(tick)), _percent(tick), fill=INK, font=small, anchor="rm")
    count = len(data.weeks)
    slot = (RIGHT - LEFT) / max(count, 1)
    slanted = count > 8
    for index, (label, value) in enumerate(data.weeks):
        middle = LEFT + slot * (index + 0.5)
        if value is None:  # held back by the privacy floor, or no prompts that week
            _upright(image, (middle, y(4)), data.labels["fewer"], small, MUTED)
        else:
            height = 100 * value
            draw.rectangle([middle - 0.3 * slot, y(height), middle + 0.3 * slot, bottom], fill=BAR)
            draw.text(
                (middle, y(height + 2)), _percent(round(height)), fill=INK, font=small, anchor="md"
            )
        draw.line([(middle, bottom), (middle, bottom + 4)], fill=INK)
        if slanted:
            _slanted(image, (middle, bottom + 7), label, small)
        else:
            draw.text((middle, bottom + 7), label, fill=INK, font=small, anchor="ma")
    if all(value is None for _, value in data.weeks):
        _no_data(draw, data.labels["no_data"], WEEKS_BOX)


def _turned(text: str, font: Font, colour: str, angle: int) -> Image.Image:
    """The text on a transparent tile of its own, turned ``angle`` degrees anticlockwise."""
    left, top, right, bottom = font.getbbox(text)
    tile = Image.new("RGBA", (int(right - left) + 2, int(bottom - top) + 2), (0, 0, 0, 0))
    ImageDraw.Draw(tile).text((1 - left, 1 - top), text, fill=colour, font=font)
    return tile.rotate(angle, expand=True, resample=Image.Resampling.BICUBIC)


def _upright(
    image: Image.Image, foot: tuple[float, float], text: str, font: Font, colour: str
) -> None:
    """Text reading upwards from ``foot``, centred on it across."""
    tile = _turned(text, font, colour, 90)
    image.paste(tile, (round(foot[0] - tile.width / 2), round(foot[1] - tile.height)), tile)


def _slanted(image: Image.Image, head: tuple[float, float], text: str, font: Font) -> None:
    """Text slanting down to the left, ending at ``head`` (a crowded axis of weeks)."""
    tile = _turned(text, font, INK, 45)
    image.paste(tile, (round(head[0] - tile.width), round(head[1])), tile)


def _topics(draw: ImageDraw.ImageDraw, data: ChartData) -> None:
    top, bottom = TOPICS_BOX
    _panel_title(draw, data.labels["topics"], top)
    if not data.topics:
        _no_data(draw, data.labels["no_data"], TOPICS_BOX)
        return
    _axes(draw, TOPICS_BOX)
    small, names = _font(12), _font(13)
    scale = (RIGHT - LEFT) / 100
    for tick in TICKS:
        x = LEFT + scale * tick
        draw.line([(x, bottom), (x, bottom + 4)], fill=INK)
        draw.text((x, bottom + 7), _percent(tick), fill=INK, font=small, anchor="ma")
    # Weakest at the top, as the data comes.
    slot = (bottom - top) / len(data.topics)
    half = min(0.3 * slot, 18.0)  # a few topics still get slim bars
    for index, (name, *shares) in enumerate(data.topics):
        middle = top + slot * (index + 0.5)
        left = float(LEFT)
        for share, colour in zip(shares, (STRONG, PARTIAL, CONCERN), strict=True):
            width = share * 100 * scale
            if width > 0:
                draw.rectangle([left, middle - half, left + width, middle + half], fill=colour)
            left += width
        draw.line([(LEFT - 4, middle), (LEFT, middle)], fill=INK)
        lines = _wrapped(draw, name, names, LEFT - 12)
        draw.multiline_text(
            (LEFT - 8, middle), "\n".join(lines), fill=INK, font=names, anchor="rm", align="right"
        )
    _legend(draw, data, bottom + 50)


def _wrapped(draw: ImageDraw.ImageDraw, text: str, font: Font, width: float) -> Sequence[str]:
    """One line if it fits the margin, else two, split at the space nearest the middle."""
    if draw.textlength(text, font=font) <= width or " " not in text:
        return [text]
    spaces = [index for index, char in enumerate(text) if char == " "]
    cut = min(spaces, key=lambda index: abs(index - len(text) / 2))
    return [text[:cut], text[cut + 1 :]]


def _legend(draw: ImageDraw.ImageDraw, data: ChartData, y: int) -> None:
    font = _font(13)
    entries = [
        (data.labels[key], colour)
        for key, colour in (("strong", STRONG), ("partial", PARTIAL), ("concern", CONCERN))
    ]
    widths = [20 + draw.textlength(label, font=font) for label, _ in entries]
    gap = 30
    x = (LEFT + RIGHT) / 2 - (sum(widths) + gap * (len(entries) - 1)) / 2
    for (label, colour), width in zip(entries, widths, strict=True):
        draw.rectangle([x, y - 6, x + 13, y + 6], fill=colour)
        draw.text((x + 20, y), label, fill=INK, font=font, anchor="lm")
        x += width + gap


def warm_up() -> None:
    """Load the fonts and draw a throwaway chart, so that a manager's first /summary
    after a start finds everything ready."""
    render_chart(
        ChartData("", [("", 0.5), ("", None)], [("", 0.5, 0.3, 0.2)], defaultdict(lambda: "-"))
    )
