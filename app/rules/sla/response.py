"""Response times summed up: percentiles of the business minutes from the assignment to the first touch."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(values: Sequence[float], percent: float) -> float | None:
    """Return the nearest-rank percentile: the smallest value with at least `percent` % of the values at or below
    it (the median of an even count is the lower middle value); None without values."""
    if not 0 < percent <= 100:
        raise ValueError(f"a percentile is above 0 and at most 100, not {percent}")
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(percent / 100 * len(ordered))) - 1]


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    """How many first touches were measured, and their median and 90th percentile in business minutes."""

    count: int
    median: float | None
    p90: float | None


def response_times(minutes: Sequence[float]) -> ResponseTimes:
    return ResponseTimes(len(minutes), percentile(minutes, 50), percentile(minutes, 90))
