"""Charts drawn on the server as SVG: pure functions from numbers to markup.

No JavaScript and no CDN. The SVG carries no colours or inline styles (the pages' CSP allows
no inline style): every shape has a class, and ``static/staff.css`` colours them from the
guide's theme variables, so print and the dark palette follow. Each chart is an image with a
``<title>`` and ``<desc>`` for screen readers, and comes with the same numbers as a table
(``Chart.columns`` / ``Chart.rows``) that the page shows beside it.
"""
from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, field
from typing import Callable, Sequence

from markupsafe import Markup, escape

WIDTH = 640
FONT = 12          # px; CSS may change the face, the layout assumes this size
LABEL_WIDTH = 190  # px reserved for the category labels of bar charts
BAR_HEIGHT = 18
ROW_HEIGHT = 28
SERIES_CLASSES = 8  # .chart-series-0 ... -7 in staff.css, then they repeat


@dataclass
class Chart:
    """What a page shows: the SVG and the table of the same numbers."""
    id: str
    title: str
    svg: Markup
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    empty: bool = False


def text_units(text: str) -> float:
    """Width of ``text`` in units of the font size: CJK and full-width count 1, the rest about 0.6."""
    return sum(1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.6 for ch in text)


def fit(text: str, width_px: float, font: int = FONT) -> str:
    """``text`` cut with an ellipsis so that it fits ``width_px``."""
    limit = width_px / font
    if text_units(text) <= limit:
        return text
    out, used = "", 1.0  # room for the ellipsis
    for ch in text:
        w = text_units(ch)
        if used + w > limit:
            break
        out += ch
        used += w
    return out + "…"


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is >= value (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power + 1e-9:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def default_format(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _open(chart_id: str, title: str, desc: str, height: float) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" width="{WIDTH}" height="{height:.0f}" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" font-size="{FONT}">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(desc)}</desc>',
    ]


def _empty(chart_id: str, title: str, columns: tuple[str, ...]) -> Chart:
    parts = _open(chart_id, title, "暂无数据", 60)
    parts.append(f'<text class="chart-empty" x="{WIDTH / 2:.0f}" y="34" text-anchor="middle">暂无数据</text></svg>')
    return Chart(chart_id, title, Markup("".join(parts)), columns, [], empty=True)


def bar_chart(chart_id: str, title: str, items: Sequence[tuple[str, float]], *, label_column: str = "项目",
              value_column: str = "数量", fmt: Callable[[float], str] = default_format,
              max_value: float | None = None, extra: Sequence[tuple[str, Sequence[str]]] = (),
              classes: Sequence[str] | None = None) -> Chart:
    """Horizontal bars, one per (label, value), in the order given.

    ``max_value`` fixes the scale (e.g. 5 for scores, 100 for percentages); ``extra`` adds
    columns to the table only: (column name, one text per item); ``classes`` gives each bar
    an extra CSS class (e.g. one colour per satisfaction level).
    """
    columns = (label_column, value_column, *(name for name, _ in extra))
    if not items:
        return _empty(chart_id, title, columns)
    top = max_value if max_value is not None else nice_max(max(v for _, v in items))
    top = top or 1.0
    plot = WIDTH - LABEL_WIDTH - 70
    height = len(items) * ROW_HEIGHT + 10
    desc = "；".join(f"{label}：{fmt(value)}" for label, value in items)
    parts = _open(chart_id, title, desc, height)
    parts.append(f'<line class="chart-axis" x1="{LABEL_WIDTH}" y1="0" x2="{LABEL_WIDTH}" y2="{height - 5}"/>')
    for i, (label, value) in enumerate(items):
        y = i * ROW_HEIGHT + 5
        w = max(0.0, min(1.0, value / top)) * plot
        shown = fit(label, LABEL_WIDTH - 10)
        parts.append('<g class="chart-row">')
        parts.append(f'<text class="chart-label" x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT - 5}" text-anchor="end">'
                     f'{escape(shown)}{"<title>" + str(escape(label)) + "</title>" if shown != label else ""}</text>')
        extra_class = f" {escape(classes[i])}" if classes else ""
        parts.append(f'<rect class="chart-bar{extra_class}" '
                     f'x="{LABEL_WIDTH}" y="{y}" width="{w:.1f}" height="{BAR_HEIGHT}"/>')
        parts.append(f'<text class="chart-value" x="{LABEL_WIDTH + w + 6:.1f}" y="{y + BAR_HEIGHT - 5}">'
                     f'{escape(fmt(value))}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    rows = [(label, fmt(value), *(str(values[i]) for _, values in extra)) for i, (label, value) in enumerate(items)]
    return Chart(chart_id, title, Markup("".join(parts)), columns, rows)


def small_multiples(chart_id: str, title: str, x_labels: Sequence[str],
                    series: Sequence[tuple[str, Sequence[float]]], *, x_column: str = "月份",
                    fmt: Callable[[float], str] = default_format) -> Chart:
    """One small column chart per series, stacked, on one shared scale (e.g. applications per
    service per month): no series hides another, as overlapping lines did, and heights compare
    across panels. The table beside it has every number."""
    columns = (x_column, *(name for name, _ in series))
    if not x_labels or not series:
        return _empty(chart_id, title, columns)
    left, right, head, plot_h, gap = 44, 12, 20, 56, 30
    panel = head + plot_h + gap
    height = len(series) * panel + 10
    # Only 0 and the top are labelled, so the top is the nearest round number above the highest.
    top = nice_max(max((v for _, values in series for v in values), default=0))
    plot_w = WIDTH - left - right
    slot = plot_w / len(x_labels)
    bar = max(2.0, min(28.0, slot * 0.7))
    every = max(1, math.ceil(len(x_labels) / 12))
    totals = "；".join(f"{name}：合计 {fmt(sum(values))}" for name, values in series)
    parts = _open(chart_id, title, f"{x_labels[0]} 至 {x_labels[-1]}，每个服务事项一幅小图，纵轴相同。{totals}",
                  height)
    for n, (name, values) in enumerate(series):
        cls = f"chart-series-{n % SERIES_CLASSES}"
        base = n * panel + head + plot_h  # the panel's zero line
        parts.append(f'<g class="chart-panel {cls}">')
        parts.append(f'<text class="chart-panel-title" x="{left}" y="{n * panel + head - 6}">'
                     f'{escape(fit(name, plot_w - 120))}（合计 {escape(fmt(sum(values)))}）</text>')
        parts.append(f'<line class="chart-grid" x1="{left}" y1="{base - plot_h}" x2="{WIDTH - right}" '
                     f'y2="{base - plot_h}"/>')
        parts.append(f'<text class="chart-tick" x="{left - 6}" y="{base - plot_h + 4}" text-anchor="end">'
                     f'{escape(fmt(top))}</text>')
        parts.append(f'<text class="chart-tick" x="{left - 6}" y="{base + 4}" text-anchor="end">0</text>')
        for i, v in enumerate(values):
            h = max(0.0, min(1.0, v / top)) * plot_h
            x = left + i * slot + (slot - bar) / 2
            parts.append(f'<rect class="chart-column" x="{x:.1f}" y="{base - h:.1f}" width="{bar:.1f}" '
                         f'height="{h:.1f}"><title>{escape(name)} {escape(x_labels[i])}：{escape(fmt(v))}</title></rect>')
        parts.append(f'<line class="chart-axis" x1="{left}" y1="{base}" x2="{WIDTH - right}" y2="{base}"/>')
        for i, label in enumerate(x_labels):
            if n == len(series) - 1 and (i % every == 0 or i == len(x_labels) - 1):
                parts.append(f'<text class="chart-tick" x="{left + (i + 0.5) * slot:.1f}" y="{base + 16}" '
                             f'text-anchor="middle">{escape(label)}</text>')
        parts.append("</g>")
    parts.append("</svg>")
    rows = [(label, *(fmt(values[i]) for _, values in series)) for i, label in enumerate(x_labels)]
    return Chart(chart_id, title, Markup("".join(parts)), columns, rows)
