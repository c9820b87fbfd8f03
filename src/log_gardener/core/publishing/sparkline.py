"""A unicode sparkline for per-run counts (issue bodies, the dashboard, the worklog).  Pure."""

from __future__ import annotations

from collections.abc import Sequence

BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int]) -> str:
    """One bar per value, scaled to the largest; zero (or less) is always the lowest bar.

    Scaling starts at zero rather than at the minimum so a flat, busy problem does not look
    like a quiet one, and any run with events shows at least the second bar.
    """
    peak = max(values, default=0)
    if peak <= 0:
        return BARS[0] * len(values)
    top = len(BARS) - 1
    return "".join(BARS[0] if v <= 0 else BARS[1 + (v * (top - 1)) // peak] for v in values)
