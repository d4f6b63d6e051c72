"""Wilson score intervals of the KPI rates (`leadflow kpis --ci`): how far a rate of n could be from the truth.

The Wilson interval (Wilson 1927) stays inside [0, 1] and is honest for small n and rates near 0 or 1, where the
normal approximation is not; with z = 1.96 it is the 95 % interval. Kept here, ten lines of arithmetic, rather than
pulling statsmodels or scipy into the web and worker processes.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from app.rules.kpis.figures import Ratio

Z_95 = 1.959963984540054  # the standard normal's 97.5th percentile


def wilson(ratio: Ratio, z: float = Z_95) -> tuple[float, float] | None:
    """Return the rate's Wilson interval (low, high), each rounded half up to 4 decimals; None without one."""
    n, k = ratio.whole, ratio.part
    if n <= 0 or not 0 <= k <= n:  # no n, or not a share (acceptance counted without a handover can exceed 1)
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    spread = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return _rounded(max(0.0, centre - spread)), _rounded(min(1.0, centre + spread))


def _rounded(value: float) -> float:
    return float(Decimal(repr(value)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))
