"""Server-rendered SVG bar charts: no chart library, no CDN, nothing for the CSP to allow.

Hand-written because a horizontal bar chart is a few rectangles and labels;
a plotting library (matplotlib) would add a large dependency to the backend
for that. Every label is XML-escaped: district names and days come from data.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

WIDTH = 640
ROW = 26
LABEL_WIDTH = 170
VALUE_WIDTH = 60
TOP = 34
BAR_COLOUR = "#1f5fa8"
FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"


def bar_chart(title: str, rows: Sequence[tuple[str, float]], *, unit: str = "") -> str:
    """Draw one horizontal bar per row, longest bar for the largest value."""
    rows = list(rows) or [("（无数据）", 0)]
    height = TOP + ROW * len(rows) + 10
    largest = max((value for _, value in rows), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH - 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-label={quoteattr(title)} '
        f'font-family={quoteattr(FONT)} font-size="13">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="10" y="20" font-size="15" font-weight="600" fill="#1d2733">'
        f"{escape(title)}</text>",
    ]
    for n, (label, value) in enumerate(rows):
        y = TOP + n * ROW
        length = round(span * value / largest) if value > 0 else 0
        shown = f"{value:g}{unit}"
        parts += [
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end" fill="#1d2733">'
            f"{escape(label[:18])}</text>",
            f'<rect x="{LABEL_WIDTH}" y="{y + 4}" width="{length}" height="{ROW - 8}" '
            f'fill="{BAR_COLOUR}" rx="2"><title>{escape(f"{label}：{shown}")}</title></rect>',
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 17}" fill="#5b6775">'
            f"{escape(shown)}</text>",
        ]
    parts.append("</svg>")
    return "\n".join(parts)
