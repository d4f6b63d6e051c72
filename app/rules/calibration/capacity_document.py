"""The capacity-aware MQL threshold as JSON and as text (docs/calibration.md, Capacity-aware threshold)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.rules.calibration.backtest_document import conversion_document
from app.rules.calibration.capacity import WeeklyCapacity
from app.rules.calibration.outcomes import OUTCOMES
from app.rules.calibration.sweep import Sweep, Tried, WeeklyVolume
from app.rules.calibration.table import decimals
from app.rules.calibration.threshold import ThresholdSite, number_text
from app.rules.kpis.facts import format_instant
from app.rules.kpis.table import interval, percent


@dataclass(frozen=True)
class ThresholdAnswer:
    """Everything the command reports: the threshold varied, the capacity, the grid's step and the search."""

    site: ThresholdSite
    capacity: WeeklyCapacity
    step: float
    sweep: Sweep


def capacity_document(answer: ThresholdAnswer) -> dict[str, Any]:
    """The answer as one JSON object."""
    sweep, site = answer.sweep, answer.site
    window = sweep.report.window
    return {
        "from": None if window.start is None else format_instant(window.start),
        "to": format_instant(window.end),
        "as_of": format_instant(sweep.report.as_of),
        "vary": site.score,
        "stage": site.stage,
        "current_threshold": site.value,
        "step": answer.step,
        "percentile": sweep.current.volume.percentile,
        "capacity": _capacity(answer.capacity),
        "weeks": [week for week, _ in sweep.current.volume.weeks],
        "outcome": sweep.outcome,
        "chosen": None if sweep.chosen is None else _tried(sweep.chosen, site.value, sweep.capacity),
        "current": _tried(sweep.current, site.value, sweep.capacity),
        "tried": [_volume(t.volume, t.threshold, sweep.capacity) for t in sweep.tried],
        "not_monotone": [{"lower": low.threshold, "higher": high.threshold} for low, high in sweep.not_monotone],
        "contacts": sweep.report.contacts,
        "todays_values": sweep.report.todays_values,
    }


def _capacity(capacity: WeeklyCapacity) -> dict[str, Any]:
    return {
        "weekly": capacity.weekly,
        "upper_bound": capacity.upper_bound,
        "shares": [{"who": s.who, "weekly": s.weekly, "how": s.how} for s in capacity.shares],
        "assumptions": list(capacity.assumptions),
        "missing": capacity.missing,
    }


def _volume(volume: WeeklyVolume, threshold: float, capacity: int) -> dict[str, Any]:
    return {
        "threshold": threshold,
        "mean": float(round(volume.mean, 4)),
        "peak": volume.peak,
        "at_percentile": volume.at_percentile,
        "fits": volume.at_percentile <= capacity,
    }


def _tried(tried: Tried, current_threshold: float, capacity: int) -> dict[str, Any]:
    threshold = tried.volume.threshold
    figures = tried.figures
    return {
        "model": figures.model,
        **_volume(tried.volume, current_threshold if threshold is None else threshold, capacity),
        "weeks": dict(tried.volume.weeks),
        "conversion": conversion_document(figures),
    }


def capacity_text(answer: ThresholdAnswer) -> list[str]:
    """The answer as lines of text."""
    sweep, site, capacity = answer.sweep, answer.site, answer.capacity
    weeks = [week for week, _ in sweep.current.volume.weeks]
    lines = [
        f"Capacity-aware MQL threshold: {site.score} in stage {site.stage!r} (now {site.describe()}), step "
        f"{number_text(answer.step)}",
        f"window: {_window(sweep)}, ISO weeks {weeks[0]} to {weeks[-1]} ({len(weeks)}; a week the window cuts "
        f"counts only its part); outcomes as of {format_instant(sweep.report.as_of)}",
        f"{sweep.report.contacts} contact(s) replayed; {len(sweep.tried)} threshold(s) backtested, two a backtest",
        *capacity_lines(capacity),
        f"fits: {fits_rule(sweep.current.volume.percentile)} at most {sweep.capacity}",
    ]
    if sweep.report.todays_values:
        lines.append(f"warning: {sweep.report.todays_values} contact(s) replayed with today's values (no history)")
    lines += ["", _verdict(answer), *_volume_line("current", site.describe(), sweep.current.volume)]
    if sweep.chosen is not None:
        lines += _volume_line("chosen", site.describe(sweep.chosen.threshold), sweep.chosen.volume)
    lines += ["", "conversion of the qualified contacts reality handed over (backtest outcomes):"]
    lines += _conversion_lines("current", site.describe(), sweep.current)
    if sweep.chosen is not None:
        lines += _conversion_lines("chosen", site.describe(sweep.chosen.threshold), sweep.chosen)
    lines += ["", "thresholds tried (MQLs a week at the percentile):"]
    lines += [_tried_line(t, sweep.capacity) for t in sweep.tried]
    for low, high in sweep.not_monotone:
        lines.append(
            f"warning: more MQLs at {number_text(high.threshold)} ({high.volume.at_percentile}) than at "
            f"{number_text(low.threshold)} ({low.volume.at_percentile}): the volume is not monotone there, and a lower "
            "threshold than the one found may fit"
        )
    return lines


def capacity_lines(capacity: WeeklyCapacity) -> list[str]:
    """The capacity and how it was found (the question it leaves when it is unknown)."""
    figure = "unknown" if capacity.weekly is None else f"{capacity.weekly} lead(s) a week"
    bound = " (an upper bound)" if capacity.upper_bound and capacity.weekly is not None else ""
    lines = [f"capacity: {figure}{bound}"]
    lines += [f"  {s.who}: {'unknown' if s.weekly is None else s.weekly} — {s.how}" for s in capacity.shares]
    lines += [f"  assumption: {text}" for text in capacity.assumptions]
    if capacity.missing:
        lines.append(f"  {capacity.missing}")
    return lines


def _verdict(answer: ThresholdAnswer) -> str:
    sweep, site = answer.sweep, answer.site
    if sweep.chosen is None:
        highest = sweep.tried[-1]
        return (f"no threshold fits: even {site.describe(highest.threshold)} gives {highest.volume.at_percentile} "
                f"MQLs a week at the percentile, over the capacity of {sweep.capacity}")  # fmt: skip
    every = " (every threshold fits: the lowest of the range)" if sweep.outcome == "every-fits" else ""
    return f"chosen threshold: {site.describe(sweep.chosen.threshold)}{every}"


def _volume_line(which: str, comparison: str, volume: WeeklyVolume) -> list[str]:
    return [
        f"  {which} ({comparison}): MQLs a week mean {decimals(volume.mean, 1)}, peak {volume.peak}, "
        f"{_ordinal(volume.percentile)} percentile {volume.at_percentile}; weeks: "
        + ", ".join(f"{week[5:]} {n}" for week, n in volume.weeks)
    ]


def _conversion_lines(which: str, comparison: str, tried: Tried) -> list[str]:
    figures = tried.figures
    lines = [
        f"  {which} ({comparison}): qualifies {figures.qualified}; {figures.with_outcome} with an outcome, "
        f"{figures.never_handed_over} never handed over, {figures.qualified_late} qualified late"
    ]
    for outcome in OUTCOMES:
        counts = figures.outcomes[outcome]
        lines.append(f"    {outcome}: {percent(counts.ratio)} {interval(counts.ratio)}".rstrip()
                     + f"; pending {counts.pending}")  # fmt: skip
    return lines


def fits_rule(percentile: int) -> str:
    """What must be within the capacity: `every week's MQLs`, or `the 80th percentile week's MQLs (nearest rank)`."""
    if percentile == 100:
        return "every week's MQLs"
    return f"the {_ordinal(percentile)} percentile week's MQLs (nearest rank)"


def _window(sweep: Sweep) -> str:
    window = sweep.report.window
    start = "each contact's first signal" if window.start is None else format_instant(window.start)
    return f"from {start} to {format_instant(window.end)}"


def _tried_line(tried: Tried, capacity: int) -> str:
    fits = "fits" if tried.volume.at_percentile <= capacity else "over"
    return f"  {number_text(tried.threshold):>6}  {tried.volume.at_percentile:>5}  {fits}"


def _ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
