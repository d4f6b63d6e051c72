"""Conversion at MQL by group (docs/calibration.md, "Conversion"): per score band or grade, each outcome's rate
over the group's known outcomes, with the pending ones apart."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from app.rules.calibration.bands import Band, BandScheme, mean, sorted_bands
from app.rules.calibration.outcomes import OUTCOMES, Judged, Outcome
from app.rules.kpis.figures import Ratio
from app.rules.kpis.report import NONE  # the key of a null grade or rejection reason, as in the KPI report


@dataclass(frozen=True)
class OutcomeRate:
    """One outcome over a group: positives / known outcomes, and how many are still pending."""

    ratio: Ratio
    pending: int


@dataclass(frozen=True)
class GroupFigures:
    """A group of the cohort (a score band, a grade): its cycles, mean score at MQL and each outcome's rate."""

    key: str
    cycles: int
    mean_score: Fraction | None  # over the group's cycles with a score
    rates: Mapping[Outcome, OutcomeRate]


def outcome_rate(cycles: Iterable[Judged], outcome: Outcome) -> OutcomeRate:
    """Return the outcome's rate over the cycles whose outcome is known, and the count of pending ones."""
    found = [cycle.outcomes[outcome] for cycle in cycles]
    known = [value for value in found if value is not None]
    return OutcomeRate(Ratio(sum(known), len(known)), len(found) - len(known))


def group_figures(key: str, cycles: Sequence[Judged]) -> GroupFigures:
    """Return one group's figures."""
    scores = [cycle.score for cycle in cycles if cycle.score is not None]
    rates = {outcome: outcome_rate(cycles, outcome) for outcome in OUTCOMES}
    return GroupFigures(key, len(cycles), mean(scores), rates)


def grouped(cycles: Iterable[Judged], key: Callable[[Judged], str]) -> dict[str, list[Judged]]:
    """Return the cycles by key, in their order within each key."""
    groups: dict[str, list[Judged]] = {}
    for cycle in cycles:
        groups.setdefault(key(cycle), []).append(cycle)
    return groups


def by_grade(cycles: Sequence[Judged]) -> tuple[GroupFigures, ...]:
    """Return the figures per grade at MQL (`none` without one), sorted by grade."""
    groups = grouped(cycles, lambda judged: judged.cycle.grade_at_mql or NONE)
    return tuple(group_figures(grade, groups[grade]) for grade in sorted(groups))


def by_band(cycles: Sequence[Judged], scheme: BandScheme) -> tuple[GroupFigures, ...]:
    """Return the figures per score band of the cycles with a score at MQL, lowest band first."""
    groups: dict[Band, list[Judged]] = {}
    for cycle in cycles:
        if cycle.score is not None:
            groups.setdefault(scheme.band_of(cycle.score), []).append(cycle)
    return tuple(group_figures(band.label, groups[band]) for band in sorted_bands(groups))
