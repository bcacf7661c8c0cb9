"""Bar charts drawn on the server as accessible SVG, with the figures beside them as a table.

No script and no inline style: the Content-Security-Policy forbids both, so colours are SVG
presentation attributes. Each chart is an image with a title and a description for screen
readers (``role="img"``), and the template shows the same numbers as a table, so nobody
depends on seeing the bars or telling colours apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from flask_babel import format_decimal
from markupsafe import Markup, escape

# Every colour has at least 3:1 contrast with the white background (WCAG 1.4.11); adjacent
# segments are also split by a white gap, so no two colours need to differ from each other.
TEAL = "#1b5e61"
BLUE = "#2b6a9e"
ORANGE = "#a14f00"
PURPLE = "#6b4c9a"
GREY = "#6e7b82"
TEXT = "#1f2a30"
GRID = "#c9cfd1"

WIDTH = 800
LABEL_WIDTH = 230
NOTE_WIDTH = 150
PLOT_WIDTH = WIDTH - LABEL_WIDTH - NOTE_WIDTH
BAR_HEIGHT = 20
GROUPED_BAR_HEIGHT = 9
ROW_GAP = 12
AXIS_HEIGHT = 24
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
MAX_LABEL = 27


@dataclass(frozen=True)
class Series:
    """One kind of quantity in a chart, e.g. "enrolled", drawn in one colour."""

    label: str
    colour: str

    @property
    def swatch(self) -> Markup:
        return swatch(self.colour)


@dataclass(frozen=True)
class Bar:
    """One row of the chart: a label, one value per series, and an optional marker line."""

    label: str
    values: tuple[float, ...]
    note: str = ""
    marker: float | None = None
    # What the picture says when the label is too long for it; the table keeps the label.
    short_label: str = ""


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart; ``stacked`` puts a row's values end to end, else side by side."""

    key: str
    title: str
    description: str
    series: tuple[Series, ...]
    bars: tuple[Bar, ...]
    stacked: bool = True
    scale_max: float | None = None
    marker_label: str = ""
    decimals: int = 0
    row_heading: str = ""

    @property
    def svg(self) -> Markup:
        return render_svg(self)

    @property
    def table(self) -> Sequence[tuple[str, list[str]]]:
        return table_rows(self)

    @property
    def marker_swatch(self) -> Markup:
        return marker_swatch()

    def number(self, value: float) -> str:
        return format_number(value, self.decimals)


def first_bars(chart: Chart, count: int, title: str, note: str) -> Chart:
    """Only the chart's first ``count`` bars, for a page read at a glance.

    The summary still speaks of every row; ``note`` says where the rest can be read.
    """
    if len(chart.bars) <= count:
        return chart
    return replace(
        chart, title=title, description=f"{chart.description} {note}", bars=chart.bars[:count]
    )


def format_number(value: float, decimals: int = 0) -> str:
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return str(format_decimal(value, format=pattern))


def nice_step(value: float) -> float:
    """The smallest of 1, 2 or 5 times a power of ten that is at least ``value``."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5):
        if value <= step * power:
            return step * power
    return 10 * power


def axis_of(chart: Chart) -> tuple[float, float]:
    """The scale's end and the distance between grid lines, both round numbers."""
    if chart.scale_max is not None:
        return chart.scale_max, nice_step(chart.scale_max / 5)
    highest = 0.0
    for bar in chart.bars:
        total = sum(bar.values) if chart.stacked else max(bar.values, default=0)
        highest = max(highest, total, bar.marker or 0)
    step = max(nice_step(highest / 4), 1.0 if chart.decimals == 0 else 0.0)
    return step * max(math.ceil(highest / step), 1), step


def shorten(label: str, limit: int = MAX_LABEL) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _attrs(**values: object) -> str:
    return " ".join(
        f'{name.rstrip("_").replace("_", "-")}="{escape(str(value))}"'
        for name, value in values.items()
    )


def _text(x: float, y: float, content: str, anchor: str = "start", size: int = 14) -> str:
    attrs = _attrs(x=f"{x:.1f}", y=f"{y:.1f}", text_anchor=anchor, font_size=size, fill=TEXT)
    return f"<text {attrs}>{escape(content)}</text>"


def _rect(x: float, y: float, width: float, height: float, colour: str) -> str:
    attrs = _attrs(
        x=f"{x:.1f}",
        y=f"{y:.1f}",
        width=f"{max(width, 0):.1f}",
        height=f"{height:.1f}",
        fill=colour,
        stroke="#ffffff",
        stroke_width=1.5,
    )
    return f"<rect {attrs}/>"


def _row_height(chart: Chart) -> float:
    if chart.stacked:
        return BAR_HEIGHT
    return GROUPED_BAR_HEIGHT * max(len(chart.series), 1)


def _axis(chart: Chart, scale: float, step: float, height: float) -> list[str]:
    parts = []
    ticks = round(scale / step)
    for index in range(ticks + 1):
        value = step * index
        x = LABEL_WIDTH + PLOT_WIDTH * value / scale
        line = _attrs(x1=f"{x:.1f}", x2=f"{x:.1f}", y1=AXIS_HEIGHT - 6, y2=height, stroke=GRID)
        parts.append(f"<line {line}/>")
        parts.append(_text(x, AXIS_HEIGHT - 10, chart.number(value), "middle", 12))
    return parts


def _bar_parts(chart: Chart, bar: Bar, top: float, scale: float) -> list[str]:
    unit = PLOT_WIDTH / scale
    row_height = _row_height(chart)
    label = shorten(bar.short_label or bar.label)
    parts = [_text(LABEL_WIDTH - 8, top + row_height / 2 + 5, label, "end")]
    x: float = LABEL_WIDTH
    end: float = x
    for index, (value, series) in enumerate(zip(bar.values, chart.series, strict=True)):
        length = min(value, scale) * unit
        if chart.stacked:
            parts.append(_rect(x, top, length, row_height, series.colour))
            x += length
            end = x
        else:
            y = top + index * GROUPED_BAR_HEIGHT
            parts.append(_rect(LABEL_WIDTH, y, length, GROUPED_BAR_HEIGHT, series.colour))
            end = max(end, LABEL_WIDTH + length)
    if bar.marker is not None:
        mx = LABEL_WIDTH + min(bar.marker, scale) * unit
        line = _attrs(
            x1=f"{mx:.1f}",
            x2=f"{mx:.1f}",
            y1=f"{top - 4:.1f}",
            y2=f"{top + row_height + 4:.1f}",
            stroke=TEXT,
            stroke_width=3,
        )
        parts.append(f"<line {line}/>")
        end = max(end, mx)
    if bar.note:
        parts.append(_text(end + 8, top + row_height / 2 + 5, bar.note, "start", 13))
    # A label cut to fit is read in full on hover: the row carries its whole label.
    return [f"<g><title>{escape(bar.label)}</title>", *parts, "</g>"]


def render_svg(chart: Chart) -> Markup:
    """The chart as an SVG image with a title and description for screen readers."""
    scale, step = axis_of(chart)
    row_height = _row_height(chart)
    height = AXIS_HEIGHT + len(chart.bars) * (row_height + ROW_GAP) + ROW_GAP
    parts = _axis(chart, scale, step, height - ROW_GAP / 2)
    top: float = AXIS_HEIGHT + ROW_GAP
    for bar in chart.bars:
        parts.extend(_bar_parts(chart, bar, top, scale))
        top += row_height + ROW_GAP
    title_id, desc_id = f"{chart.key}-title", f"{chart.key}-desc"
    svg = _attrs(
        xmlns="http://www.w3.org/2000/svg",
        viewBox=f"0 0 {WIDTH} {height:.0f}",
        role="img",
        aria_labelledby=f"{title_id} {desc_id}",
        class_="chart-svg",
        font_family=FONT,
    )
    body = "".join(parts)
    return Markup(  # noqa: S704 - every piece of text above went through escape()
        f'<svg {svg}><title id="{title_id}">{escape(chart.title)}</title>'
        f'<desc id="{desc_id}">{escape(chart.description)}</desc>{body}</svg>'
    )


def swatch(colour: str) -> Markup:
    """A small square in a series' colour for the legend (the label says what it is)."""
    attrs = _attrs(width=14, height=14, viewBox="0 0 14 14", aria_hidden="true", focusable="false")
    return Markup(  # noqa: S704 - the colour is one of this module's constants
        f'<svg {attrs}><rect width="14" height="14" fill="{escape(colour)}"/></svg>'
    )


def table_rows(chart: Chart) -> Sequence[tuple[str, list[str]]]:
    """The figures behind the bars, formatted for the reader's language."""
    rows = []
    for bar in chart.bars:
        cells = [chart.number(v) for v in bar.values]
        if chart.marker_label:
            cells.append(chart.number(bar.marker) if bar.marker is not None else "")
        rows.append((bar.label, cells))
    return rows


def marker_swatch() -> Markup:
    """The legend's picture of the marker line (e.g. the number of places)."""
    attrs = _attrs(width=14, height=14, viewBox="0 0 14 14", aria_hidden="true", focusable="false")
    line = _attrs(x1=7, x2=7, y1=0, y2=14, stroke=TEXT, stroke_width=3)
    return Markup(f"<svg {attrs}><line {line}/></svg>")  # noqa: S704 - no outside text
