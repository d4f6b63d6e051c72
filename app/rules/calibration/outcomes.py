"""The calibration cohort and its outcomes (docs/calibration.md): which lead cycles count, and what became of them.

An outcome of a cycle is positive, negative or pending (None): pending outcomes are reported apart and never
counted as failures. A time field counts once it is set and `<= as_of` ("reached", as in docs/kpis.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from app.rules.calibration.bands import Score, score_of
from app.rules.kpis.facts import LeadCycle, in_utc

Outcome = Literal["accepted", "deal", "won"]
OUTCOMES: tuple[Outcome, ...] = ("accepted", "deal", "won")
DEFAULT_MATURE_DAYS = 90


@dataclass(frozen=True)
class Horizon:
    """When the outcomes are read (`as_of`) and how long after its MQL a cycle is matured (`mature_days`)."""

    as_of: datetime
    mature_days: int = DEFAULT_MATURE_DAYS

    def __post_init__(self) -> None:
        object.__setattr__(self, "as_of", in_utc(self.as_of))  # once, not at every comparison

    def reached(self, moment: datetime | None) -> bool:
        """Return whether the time is set and not after `as_of`."""
        return moment is not None and in_utc(moment) <= self.as_of

    def matured(self, cycle: LeadCycle) -> bool:
        """Return whether `mature_days` have passed since the cycle's MQL (`mql_at + mature_days <= as_of`)."""
        if cycle.mql_at is None:
            return False
        try:
            return in_utc(cycle.mql_at) + timedelta(days=self.mature_days) <= self.as_of
        except OverflowError:  # past the year 9999: not matured by any as_of
            return False


def accepted(cycle: LeadCycle, horizon: Horizon) -> bool | None:
    """Sales' answer: accepted (an acceptance wins over a rejection), rejected, else pending."""
    if horizon.reached(cycle.accepted_at):
        return True
    return False if horizon.reached(cycle.rejected_at) else None


def deal(cycle: LeadCycle, horizon: Horizon) -> bool | None:
    """On a matured cycle: a deal by `as_of`, else none; pending while the cycle is immature — an early deal or
    rejection included, since counting what is known early (the fast deals, the rejections) and leaving the rest
    pending would bias the rate toward whatever comes fast."""
    if not horizon.matured(cycle):
        return None
    return horizon.reached(cycle.deal_created_at)


def won(cycle: LeadCycle, horizon: Horizon) -> bool | None:
    """On a matured cycle: won by `as_of`; not won when lost or without a deal; pending while its deal is open.
    Pending while the cycle is immature, as for `deal`."""
    if not horizon.matured(cycle):
        return None
    if horizon.reached(cycle.won_at):
        return True
    if horizon.reached(cycle.lost_at) or not horizon.reached(cycle.deal_created_at):
        return False
    return None


OUTCOME_OF: Mapping[Outcome, Callable[[LeadCycle, Horizon], bool | None]] = {
    "accepted": accepted,
    "deal": deal,
    "won": won,
}


@dataclass(frozen=True)
class Window:
    """The MQL window `[start, end)`; None: open on that side."""

    start: datetime | None = None
    end: datetime | None = None

    def holds(self, moment: datetime) -> bool:
        """Return whether the instant lies in the window."""
        moment = in_utc(moment)
        after_start = self.start is None or moment >= in_utc(self.start)
        return after_start and (self.end is None or moment < in_utc(self.end))


def cohort(facts: Iterable[LeadCycle], window: Window, horizon: Horizon) -> list[LeadCycle]:
    """Return the cycles whose `mql_at` is reached and lies in the window, in their order."""
    return [
        fact for fact in facts if fact.mql_at is not None and horizon.reached(fact.mql_at) and window.holds(fact.mql_at)
    ]


@dataclass(frozen=True)
class Judged:
    """A cycle of the cohort with its score at MQL and its outcomes, judged once."""

    cycle: LeadCycle
    score: Score | None
    outcomes: Mapping[Outcome, bool | None]
    matured: bool


def judge(cycles: Iterable[LeadCycle], horizon: Horizon) -> list[Judged]:
    """Return each cycle with its score, outcomes and maturity, in order."""
    return [
        Judged(
            cycle,
            score_of(cycle),
            {name: OUTCOME_OF[name](cycle, horizon) for name in OUTCOMES},
            horizon.matured(cycle),
        )
        for cycle in cycles
    ]
