"""What `leadflow nurture --report` prints: the nurture steps' effectiveness (docs/nurture.md, "Measuring") from the
ledger's offers, as lines or one JSON object; every rate with its n and its Wilson 95 % interval.

Without a window every offer made by `--as-of` (default: now) counts; `--from` and `--to` keep the offers made in
[--from, --to). Labels and order come from nurture.yaml when it exists; without it the report shows what the ledger
holds. Input the user can fix ends the command with one line and exit status 2 (as `leadflow kpis`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.cli_errors import option_instant
from app.kpis_report import KpisInputError
from app.rules.kpis import format_instant
from app.rules.kpis.figures import Ratio
from app.rules.kpis.intervals import wilson
from app.rules.kpis.nurture import (
    DEFAULT_MQL_WITHIN_DAYS,
    NurtureEffectiveness,
    OfferFigures,
    days_figure,
    nurture_effectiveness,
)
from app.rules.kpis.table import interval, percent
from app.rules.nurture.facts import OfferRecord
from app.rules.nurture.policy import NurtureConfig


@dataclass(frozen=True)
class NurtureReportOptions:
    """The options of `leadflow nurture --report` as given (times as typed, None when left out)."""

    window_from: str | None = None
    window_to: str | None = None
    as_of: str | None = None
    mql_within_days: int = DEFAULT_MQL_WITHIN_DAYS
    as_json: bool = False


def report_moments(options: NurtureReportOptions, now: datetime) -> tuple[datetime | None, datetime | None, datetime]:
    """Return (from, to, as_of), `now` being the default `--as-of`; refuse a window whose from is not before its to."""
    as_of = option_instant(options.as_of, "--as-of") or now
    window_from = option_instant(options.window_from, "--from")
    window_to = option_instant(options.window_to, "--to")
    if window_from is not None and window_to is not None and window_from >= window_to:
        raise KpisInputError(
            f"--from {format_instant(window_from)} is not before --to {format_instant(window_to)}: the window is empty"
        )
    return window_from, window_to, as_of


def nurture_output(
    options: NurtureReportOptions,
    now: datetime,
    records: Callable[[], Sequence[OfferRecord]],
    config: NurtureConfig | None,
) -> str:
    """Return what `leadflow nurture --report` prints for these options (the offers read from `records`)."""
    window_from, window_to, as_of = report_moments(options, now)
    found = nurture_effectiveness(records(), as_of, options.mql_within_days, window_from, window_to, config)
    if options.as_json:
        return json.dumps(effectiveness_document(found), ensure_ascii=False, indent=2)
    return "\n".join(effectiveness_lines(found, configured=config is not None))


def effectiveness_lines(report: NurtureEffectiveness, configured: bool = True) -> list[str]:
    """Return the report as lines: the scope, each step, each track, the transitions and where paths stop."""
    start = "the beginning" if report.window_from is None else format_instant(report.window_from)
    end = "--as-of" if report.window_to is None else format_instant(report.window_to)
    lines = [
        f"Nurture effectiveness: offers made from {start} to {end}, as of {format_instant(report.as_of)}",
        f"{report.offers} offer(s) to {report.contacts} contact(s); MQL within {report.mql_within_days} days",
    ]
    if not configured:
        lines.append("no config/nurture.yaml: steps and tracks as the ledger holds them")
    if report.offers == 0:
        return [*lines, "", "No nurture step was offered in this window."]
    days = report.mql_within_days
    lines += ["", "By step" + (" (nurture.yaml's order)" if configured else "")]
    for figures in report.steps:
        lines += _figure_lines(figures, days, f"track {figures.track}", configured)
    lines += ["", "By track"]
    for figures in report.tracks:
        lines += _figure_lines(figures, days, f"{figures.offers} offer(s)", configured)
    lines += ["", "Transitions: each offer → the contact's next step, (MQL) without one, else (stopped)"]
    lines += [
        f"  {t.from_step + ' → ' + t.to:<40}{t.ratio.part:>5}  {_rate(t.ratio)}"
        for t in report.transitions
    ]  # fmt: skip
    lines += ["", "Where paths stop: offers with no later step and no MQL"]
    lines += [f"  {f.key:<40}{f.stopped.part:>5}  {_rate(f.stopped)}" for f in report.steps if f.offers]
    return lines


def _figure_lines(figures: OfferFigures, days: int, note: str, configured: bool) -> list[str]:
    title = figures.key if figures.label == figures.key else f"{figures.key} · {figures.label}"
    retired = ", not in nurture.yaml" if configured and not figures.configured else ""
    if figures.offers == 0:
        return [f"  {title} ({note}{retired}): not offered"]
    median = figures.median_to_next
    to_next = "–" if median is None else f"median {days_figure(median)} days"
    return [
        f"  {title} ({note}{retired})",
        f"    {'reach':<20}{figures.reach} contact(s)",
        f"    {'completed':<20}{_rate(figures.completed)}",
        f"    {'next step':<20}{_rate(figures.next_step)}",
        f"    {f'MQL within {days} d':<20}{_rate(figures.mql)}; {figures.maturing} offer(s) not matured yet",
        f"    {'to the next step':<20}{to_next} (n={figures.days_to_next.count})",
    ]


def _rate(ratio: Ratio) -> str:
    """Return `42.1 % (n=57)  95 % CI 30.2–54.9 %` (the KPI report's printer)."""
    return f"{percent(ratio):<18}{interval(ratio)}".rstrip()


def effectiveness_document(report: NurtureEffectiveness) -> dict[str, Any]:
    """Return the report as one JSON object (rates with part, n, rate and their Wilson 95 % interval)."""
    return {
        "as_of": format_instant(report.as_of),
        "window": {
            "from": None if report.window_from is None else format_instant(report.window_from),
            "to": None if report.window_to is None else format_instant(report.window_to),
        },
        "mql_within_days": report.mql_within_days,
        "contacts": report.contacts,
        "offers": report.offers,
        "steps": [_figures_document(figures, "step") for figures in report.steps],
        "tracks": [_figures_document(figures, "track") for figures in report.tracks],
        "transitions": [
            {"from": t.from_step, "to": t.to, "count": t.ratio.part, "share": rate_document(t.ratio)}
            for t in report.transitions
        ],
    }


def _figures_document(figures: OfferFigures, kind: str) -> dict[str, Any]:
    median = figures.median_to_next
    return {
        kind: figures.key,
        "label": figures.label,
        **({"track": figures.track} if kind == "step" else {}),
        "configured": figures.configured,
        "reach": figures.reach,
        "offers": figures.offers,
        "completed": rate_document(figures.completed),
        "next_step": rate_document(figures.next_step),
        "mql_within": rate_document(figures.mql),
        "not_matured": figures.maturing,
        "to_next_step": {
            "count": figures.days_to_next.count,
            "median_seconds": median,
            "median_days": None if median is None else float(days_figure(median)),
        },
        "stopped": rate_document(figures.stopped),
    }


def rate_document(ratio: Ratio) -> dict[str, Any]:
    """Return a rate as `{part, n, rate, ci95}`: rate rounded half up to 4 decimals, null without an n."""
    found = wilson(ratio)
    return {"part": ratio.part, "n": ratio.whole, "rate": ratio.value, "ci95": None if found is None else list(found)}
