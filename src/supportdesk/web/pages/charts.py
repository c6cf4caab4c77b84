"""Small server-rendered SVG charts: no JavaScript library, readable without colour alone.

Each chart is an `<svg role="img">` with a title and description, values written next to the
marks, and the same numbers in a data table the template offers beside it. All text is escaped.
Pure: numbers in, markup out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

#: Colour-blind-safe palette (Okabe-Ito), dark enough for text contrast on white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#6B6B6B")


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # what is written at the end of the bar, e.g. "92% (23/25)"
    tone: str = "normal"  # normal | good | warn | bad


TONES = {"normal": "#0072B2", "good": "#007a55", "warn": "#b35900", "bad": "#b3261e"}


def hbars(title: str, desc: str, bars: Sequence[Bar], *, maximum: float | None = None) -> Markup:
    """Horizontal bars, one row per label."""
    row, label_w, bar_w, pad = 26, 170, 300, 8
    top = 8
    height = top + row * max(len(bars), 1) + 8
    width = label_w + bar_w + 130
    peak = maximum if maximum is not None else max((b.value for b in bars), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{_id(title)}-t {_id(title)}-d" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{_id(title)}-t">{escape(title)}</title>',
        f'<desc id="{_id(title)}-d">{escape(desc)}</desc>',
    ]
    if not bars:
        parts.append(f'<text x="0" y="{top + 16}" class="chart-empty">No data yet</text>')
    for i, b in enumerate(bars):
        y = top + i * row
        w = 0 if peak <= 0 else max(0.0, min(1.0, b.value / peak)) * bar_w
        parts.append(
            f'<text x="{label_w - pad}" y="{y + 17}" text-anchor="end" class="chart-label">'
            f"{escape(b.label)}</text>"
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="{row - 8}" '
            'class="chart-track"/>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" '
            f'fill="{TONES.get(b.tone, TONES["normal"])}"/>'
        )
        parts.append(
            f'<text x="{label_w + bar_w + pad}" y="{y + 17}" class="chart-value">'
            f"{escape(b.text)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_columns(
    title: str,
    desc: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int]]],
) -> Markup:
    """Columns per label (e.g. day) stacked by series (e.g. category), with a legend."""
    n = max(len(labels), 1)
    width, chart_h, left, bottom = 520, 180, 36, 40
    slot = (width - left - 10) / n
    col_w = min(28.0, slot * 0.7)
    gap = slot - col_w
    legend_rows = (len(series) + 2) // 3
    height = chart_h + bottom + legend_rows * 20 + 10
    totals = [sum(s[1][i] for s in series) for i in range(len(labels))]
    peak = max(totals, default=0) or 1
    tid = _id(title)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{tid}-t {tid}-d" preserveAspectRatio="xMinYMin meet">',
        f'<title id="{tid}-t">{escape(title)}</title><desc id="{tid}-d">{escape(desc)}</desc>',
    ]
    for frac in (0, 0.5, 1) if peak >= 4 else (0, 1):
        y = chart_h - frac * (chart_h - 20)
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.0f}" y2="{y:.0f}" class="chart-grid"/>'
            f'<text x="{left - 6}" y="{y + 4:.0f}" text-anchor="end" class="chart-axis">'
            f"{round(peak * frac)}</text>"
        )
    for i, lab in enumerate(labels):
        x = left + gap / 2 + i * (col_w + gap)
        y = float(chart_h)
        for k, (_name, values) in enumerate(series):
            v = values[i]
            if v <= 0:
                continue
            h = v / peak * (chart_h - 20)
            y -= h
            parts.append(
                f'<rect x="{x:.0f}" y="{y:.1f}" width="{col_w:.0f}" height="{h:.1f}" '
                f'fill="{PALETTE[k % len(PALETTE)]}"><title>{escape(_name)}: {v}</title></rect>'
            )
        if totals[i]:
            parts.append(
                f'<text x="{x + col_w / 2:.0f}" y="{y - 4:.0f}" text-anchor="middle" '
                f'class="chart-value small">{totals[i]}</text>'
            )
        parts.append(
            f'<text x="{x + col_w / 2:.0f}" y="{chart_h + 16}" text-anchor="middle" '
            f'class="chart-axis">{escape(lab)}</text>'
        )
    for k, (name, _values) in enumerate(series):
        lx = left + (k % 3) * 150
        ly = chart_h + bottom + (k // 3) * 20
        parts.append(
            f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" '
            f'fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{lx + 18}" y="{ly}" class="chart-label">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _id(title: str) -> str:
    return "c-" + "".join(ch if ch.isalnum() else "-" for ch in title.lower())[:40]
