"""Summaries of measured durations: the percentiles the benches report."""

from __future__ import annotations

import math
from collections.abc import Iterable

Summary = dict[str, float | None]


def percentile(ordered: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending list: a value that was actually measured."""
    rank = max(math.ceil(fraction * len(ordered)), 1)
    return ordered[rank - 1]


def summary_ms(seconds: Iterable[float]) -> Summary:
    """p50, p99, min and max in milliseconds (None when nothing was measured)."""
    ordered = sorted(seconds)
    if not ordered:
        return {"p50": None, "p99": None, "min": None, "max": None}
    return {
        "p50": _ms(percentile(ordered, 0.50)),
        "p99": _ms(percentile(ordered, 0.99)),
        "min": _ms(ordered[0]),
        "max": _ms(ordered[-1]),
    }


def ratio(measured: Summary, baseline: Summary, key: str = "p99") -> float | None:
    """``measured[key] ÷ baseline[key]``; None when either is missing or the baseline is zero."""
    top, bottom = measured.get(key), baseline.get(key)
    if top is None or not bottom:
        return None
    return round(top / bottom, 2)


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
