"""Bar charts as inline SVG, drawn on the server: readable without JavaScript.

Every bar carries its label and its number as text (no meaning by colour alone); the SVG has
``role="img"`` with a <title> and a <desc> listing all values, referenced by aria-labelledby.
The same numbers are always shown in a table next to the chart.
"""

from __future__ import annotations

from flask_babel import format_decimal
from markupsafe import Markup, escape

LABEL_WIDTH = 230
BAR_WIDTH = 330
VALUE_WIDTH = 90
ROW_HEIGHT = 26
TOP = 8
MAX_LABEL = 32
BAR_FILL = "#2f5d8a"  # contrast 6.9:1 on white
TEXT_FILL = "#1a1a1a"


def _number(value: float) -> str:
    """The figure in the reader's locale: whole numbers as they are, others with one decimal."""
    if float(value).is_integer():
        return format_decimal(int(value), "#,##0")
    return format_decimal(value, "#,##0.0")


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def bar_chart(chart_id: str, title: str, items: list[tuple[str, float]], unit: str = "",
              empty_text: str = "") -> Markup:
    """A horizontal bar chart of ``items`` (label, value) as SVG markup."""
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    suffix = f" {unit}" if unit else ""
    values = [max(float(v or 0), 0.0) for _label, v in items]
    top = max(values, default=0.0)
    summary = "; ".join(f"{label}: {_number(v)}{suffix}" for (label, _raw), v in zip(items, values, strict=True))
    if not items:
        summary = empty_text
    height = TOP * 2 + ROW_HEIGHT * max(len(items), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="sans-serif" font-size="13">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(summary)}</desc>',
    ]
    if not items:
        parts.append(f'<text x="0" y="{TOP + 17}" fill="{TEXT_FILL}">{escape(empty_text)}</text>')
    for index, ((label, _raw), value) in enumerate(zip(items, values, strict=True)):
        y = TOP + index * ROW_HEIGHT
        bar = 0 if top == 0 else max(round(BAR_WIDTH * value / top), 1 if value > 0 else 0)
        parts.append(
            f'<g><text x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end" fill="{TEXT_FILL}">'
            f"{escape(_short(str(label)))}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{bar}" height="{ROW_HEIGHT - 8}" fill="{BAR_FILL}"/>'
            f'<text x="{LABEL_WIDTH + bar + 6}" y="{y + 17}" fill="{TEXT_FILL}">'
            f"{escape(_number(value) + suffix)}</text>"
            "</g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
