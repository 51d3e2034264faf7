"""Chart geometry computed on the server and drawn as inline SVG by the templates.

No JavaScript chart library: the page works without scripts, and htmx swaps a fresh
drawing in while a campaign runs.
"""

import math
from dataclasses import dataclass

from aicall.web.stats import Bucket

WIDTH, HEIGHT = 960, 240
MAX_BAR_WIDTH = 36.0
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 10, 26


@dataclass
class Bar:
    x: float
    width: float
    answered_y: float
    answered_h: float
    failed_y: float
    failed_h: float
    label: str
    title: str

    @property
    def center(self) -> float:
        return round(self.x + self.width / 2, 1)


def nice_ceiling(value: int) -> int:
    """The smallest 1/2/5 x 10^n at or above `value`: the top of a readable axis."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 5, 10):
        if factor * power >= value:
            return factor * power
    return 10 * power


def bar_chart(buckets: list[Bucket], label_format: str) -> dict:
    """Stacked bars (answered below, not answered above) with a y axis and sparse labels."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = nice_ceiling(max((b.total for b in buckets), default=0))
    slot = plot_w / max(len(buckets), 1)
    width = min(max(slot * 0.7, 1.0), MAX_BAR_WIDTH)
    every = max(1, math.ceil(len(buckets) / 10))
    bars = []
    for n, bucket in enumerate(buckets):
        answered_h = plot_h * bucket.answered / top
        failed_h = plot_h * bucket.failed / top
        base = TOP + plot_h
        when = bucket.start.strftime(label_format)
        bars.append(
            Bar(
                x=round(LEFT + n * slot + (slot - width) / 2, 1),
                width=round(width, 1),
                answered_y=round(base - answered_h, 1),
                answered_h=round(answered_h, 1),
                failed_y=round(base - answered_h - failed_h, 1),
                failed_h=round(failed_h, 1),
                label=when if n % every == 0 else "",
                title=f"{when}: {bucket.answered} / {bucket.total}",
            )
        )
    ticks = [
        {"y": round(TOP + plot_h - plot_h * i / 4, 1), "value": round(top * i / 4)}
        for i in range(5)
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "base": TOP + plot_h,
        "label_y": HEIGHT - 8,
        "bars": bars,
        "ticks": ticks,
    }


def donut(percent: int, radius: float = 52) -> dict:
    """A ring whose coloured arc is `percent` of the circle (stroke-dasharray)."""
    circumference = 2 * math.pi * radius
    filled = circumference * max(0, min(percent, 100)) / 100
    return {
        "r": radius,
        "dash": f"{filled:.1f} {circumference - filled:.1f}",
        "offset": f"{circumference / 4:.1f}",
        "percent": percent,
    }


def share_bars(rows: list[tuple[str, int]]) -> list[dict]:
    """Horizontal bars: each row's width is its share of the largest one."""
    largest = max((n for _, n in rows), default=0) or 1
    total = sum(n for _, n in rows) or 1
    return [
        {
            "label": label,
            "count": n,
            "width": str(round(100 * n / largest, 1)),
            "share": round(100 * n / total),
        }
        for label, n in rows
    ]
