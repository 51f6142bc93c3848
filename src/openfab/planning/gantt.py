"""A Gantt chart as a self-contained HTML page with server-drawn SVG (no JavaScript)."""

from __future__ import annotations

import colorsys
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from html import escape

ROW, LABEL, WIDTH = 22, 150, 1200


@dataclass(frozen=True)
class Bar:
    row: str
    start: datetime
    end: datetime
    label: str
    colour_key: str
    title: str


@lru_cache(maxsize=65_536)
def colour(key: str) -> str:
    """A stable, distinct-enough colour per order."""
    hue = int(hashlib.sha1(key.encode()).hexdigest()[:6], 16) / 0xFFFFFF
    r, g, b = colorsys.hls_to_rgb(hue, 0.55, 0.6)
    return f"#{int(r * 255):02x}{int(g * 255):02x}{int(b * 255):02x}"


def gantt_html(bars: Sequence[Bar], *, title: str, now: datetime | None = None) -> str:
    if not bars:
        return f"<!doctype html><title>{escape(title)}</title><p>No operations planned.</p>"
    rows = sorted({b.row for b in bars})
    first = min(b.start for b in bars)
    span = max((max(b.end for b in bars) - first).total_seconds(), 1.0)

    def x(moment: datetime) -> float:
        return LABEL + (moment - first).total_seconds() / span * (WIDTH - LABEL)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{ROW * (len(rows) + 1)}" font-family="sans-serif" font-size="11">'
    ]
    for i, row in enumerate(rows):
        y = ROW * i
        parts.append(f'<text x="4" y="{y + 15}">{escape(row)}</text>')
        parts.append(
            f'<line x1="{LABEL}" x2="{WIDTH}" y1="{y + ROW}" y2="{y + ROW}" stroke="#eee"/>'
        )
    index = {row: i for i, row in enumerate(rows)}
    for b in bars:
        left, right = x(b.start), x(b.end)
        parts.append(
            f'<rect x="{left:.1f}" y="{ROW * index[b.row] + 3}" width="{max(right - left, 1):.1f}" '
            f'height="{ROW - 6}" fill="{colour(b.colour_key)}">'
            f"<title>{escape(b.title)}</title></rect>"
        )
    if now is not None and first <= now:
        parts.append(
            f'<line x1="{x(now):.1f}" x2="{x(now):.1f}" y1="0" y2="{ROW * len(rows)}" '
            'stroke="red" stroke-width="2"><title>now</title></line>'
        )
    parts.append(
        f'<text x="{LABEL}" y="{ROW * len(rows) + 15}">{first:%Y-%m-%d %H:%M} UTC</text></svg>'
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
        f"<body><h1>{escape(title)}</h1>{''.join(parts)}</body></html>"
    )
