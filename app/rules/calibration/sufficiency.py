"""When the outcomes are too few to conclude (docs/calibration.md, "Sufficiency"), and how many would be needed.

The rule: an outcome's ranking figures (AUC, lift, the calibration table) need at least MIN_EACH positives and
MIN_EACH negatives among the scored cycles with a known outcome; a group's rate (a band, a grade) needs a Wilson
95 % interval at most MAX_WIDTH wide.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from app.rules.kpis.figures import Ratio, round_half_up
from app.rules.kpis.intervals import wilson

MIN_EACH = 10
MAX_WIDTH = Fraction(1, 5)  # 20 percentage points
WORST_RATE = Fraction(1, 2)  # a group without a known outcome: sized for the widest interval
MOST_NEEDED = 100_000  # the search for a width stops here


@dataclass(frozen=True)
class OutcomeSufficiency:
    """Positives and negatives against the rule; `needed`: known outcomes for MIN_EACH of each at the observed rate
    (None when the rate is 0 or 1, or nothing is known: no rate to size with)."""

    positives: int
    negatives: int
    needed: int | None

    @property
    def enough(self) -> bool:
        """Return whether both positives and negatives reach MIN_EACH."""
        return self.positives >= MIN_EACH and self.negatives >= MIN_EACH

    @property
    def more(self) -> int | None:
        """Return how many more known outcomes are needed, or None when that cannot be sized."""
        return None if self.needed is None else max(0, self.needed - self.positives - self.negatives)


def outcome_sufficiency(positives: int, negatives: int) -> OutcomeSufficiency:
    """Return the outcome's standing: `needed = max(ceil(10 / p), ceil(10 / (1 − p)))` at the observed rate p."""
    known = positives + negatives
    if positives == 0 or negatives == 0:
        return OutcomeSufficiency(positives, negatives, None)
    rate = Fraction(positives, known)
    needed = max(math.ceil(MIN_EACH / rate), math.ceil(MIN_EACH / (1 - rate)))
    return OutcomeSufficiency(positives, negatives, needed)


def interval_width(ratio: Ratio) -> Fraction | None:
    """Return the width of the rate's Wilson 95 % interval (its bounds as rounded to 4 decimals), or None."""
    found = wilson(ratio)
    return None if found is None else Fraction(repr(found[1])) - Fraction(repr(found[0]))


def needed_for_width(rate: Fraction) -> int:
    """Return the least n whose Wilson interval at this rate (k = n · rate rounded half up) is at most MAX_WIDTH."""
    for n in range(1, MOST_NEEDED):
        width = interval_width(Ratio(int(round_half_up(n * rate, 0)), n))
        if width is not None and width <= MAX_WIDTH:
            return n
    return MOST_NEEDED


@dataclass(frozen=True)
class WideGroup:
    """A group whose rate is too uncertain: its rate, interval width (None without a known outcome) and the known
    outcomes its rate would need."""

    key: str
    ratio: Ratio
    width: Fraction | None
    needed: int


def wide_groups(groups: Iterable[tuple[str, Ratio]]) -> list[WideGroup]:
    """Return the groups whose interval is wider than MAX_WIDTH (or who have no known outcome), in their order."""
    found = []
    for key, ratio in groups:
        width = interval_width(ratio)
        if width is None or width > MAX_WIDTH:
            rate = Fraction(ratio.part, ratio.whole) if ratio.whole else WORST_RATE
            found.append(WideGroup(key, ratio, width, needed_for_width(rate)))
    return found
