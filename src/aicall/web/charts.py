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
# The phone's drawing: fewer units across, so that 12-unit text is ~11 px on a 390 px screen.
NARROW_WIDTH, NARROW_HEIGHT, NARROW_LABELS = 360, 220, 4


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


def axis_ticks(largest: int) -> tuple[int, list[int]]:
    """The top of the y axis and its ticks: whole numbers, evenly spaced, none repeated.

    At most five ticks, a 1/2/5 x 10^n step: 2 -> 0, 1, 2; 7 -> 0, 2, 4, 6, 8;
    50 -> 0, 20, 40, 60.
    """
    if largest <= 0:
        return 1, [0, 1]
    step = nice_ceiling(math.ceil(largest / 4))
    top = step * math.ceil(largest / step)
    return top, list(range(0, top + 1, step))


def bar_chart(buckets: list[Bucket], label_format: str, *, narrow: bool = False) -> dict:
    """Stacked bars (answered below, not answered above) with a y axis and sparse labels."""
    width_units, height_units = (NARROW_WIDTH, NARROW_HEIGHT) if narrow else (WIDTH, HEIGHT)
    plot_w, plot_h = width_units - LEFT - RIGHT, height_units - TOP - BOTTOM
    top, tick_values = axis_ticks(max((b.total for b in buckets), default=0))
    slot = plot_w / max(len(buckets), 1)
    width = min(max(slot * 0.7, 1.0), MAX_BAR_WIDTH)
    every = max(1, math.ceil(len(buckets) / (NARROW_LABELS if narrow else 10)))
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
    ticks = [{"y": round(TOP + plot_h - plot_h * v / top, 1), "value": v} for v in tick_values]
    return {
        "width": width_units,
        "height": height_units,
        "left": LEFT,
        "right": width_units - RIGHT,
        "base": TOP + plot_h,
        "label_y": height_units - 8,
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
