"""The dashboard's panels for a window: the report of app/rules/kpis, and what the page adds to it.

`parse_window` reads the period picker (a GET form); `build_page` computes everything the page shows from the
sources, with the pure functions of app/rules/kpis; `nurture_panel` is "Content that activates" (the nurture
offers made in the window); `calibration_panel` is "What the score predicts" (app/rules/calibration over the
window's MQLs); `sla_panel` is the live SLA panel. Nothing here counts: the rules do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.dashboard.sources import DashboardSources
from app.ledger.records import SlaClock
from app.rules.calibration import CalibrationReport, CalibrationSettings, Horizon, calibrate
from app.rules.calibration import Window as MqlWindow
from app.rules.kpis.business_hours import BusinessResponses, TouchClock
from app.rules.kpis.document import report_document
from app.rules.kpis.facts import LeadCycle, format_instant, parse_instant
from app.rules.kpis.figures import Durations, KpiReport
from app.rules.kpis.funnel_svg import FunnelStep, format_rate, funnel_steps, render_funnel_svg
from app.rules.kpis.nurture import DEFAULT_MQL_WITHIN_DAYS, NurtureEffectiveness, OfferHistories, nurture_effectiveness
from app.rules.kpis.panels import (
    OWNER_TIMES,
    ParetoRow,
    Tile,
    breaches_this_week,
    pareto,
    percentiles,
    previous_window,
    tiles,
    times_by_owner,
)
from app.rules.kpis.report import NONE, members
from app.rules.kpis.sparkline import render_sparkline_svg
from app.rules.kpis.window_facts import FactIndex, indexed_kpis
from app.rules.sla.policy import SlaConfig
from app.sla_report import sla_rows

DEFAULT_DAYS = 28
NOT_HANDED_OVER = "(not handed over)"
Percentiles = dict[str, int | None]


@dataclass(frozen=True)
class Window:
    """The period picked: `[window_from, window_to)` as of `as_of`."""

    window_from: datetime
    window_to: datetime
    as_of: datetime

    def query(self) -> dict[str, str]:
        """Return the picker's GET parameters for this window."""
        return {"from": format_instant(self.window_from), "to": format_instant(self.window_to),
                "as_of": format_instant(self.as_of)}  # fmt: skip


@dataclass(frozen=True)
class OwnerTimes:
    """One owner's response times: wall-clock time-to-lead and time-to-response, and business-hours response."""

    owner: str
    name: str
    times: Mapping[str, Percentiles]


@dataclass(frozen=True)
class DashboardPage:
    """Everything the page shows for one window."""

    window: Window
    previous: tuple[datetime, datetime]
    report: KpiReport  # the window's report, by week
    document: dict[str, Any]  # the contract's JSON of it: what /dashboard/kpis.json serves
    steps: tuple[FunnelStep, ...]
    funnel_svg: str
    tiles: tuple[tuple[Tile, str], ...]  # each tile with its sparkline's SVG
    times: Mapping[str, Percentiles]  # wall-clock over the cohort, and `business_response` when an SLA exists
    owners: tuple[OwnerTimes, ...]
    pareto: tuple[ParetoRow, ...]
    business_hours: bool
    nurture: NurtureEffectiveness | None = None  # "Content that activates": None when the ledger is not read
    calibration: CalibrationReport | None = None  # "What the score predicts": the window's MQLs and their outcomes


def parse_window(args: Mapping[str, str], now: datetime) -> Window:
    """Return the window the picker asks for: `to` defaults to `as_of` (default: now, to the minute), `from` to 28
    days before `to`; raise ValueError naming the field that is wrong."""
    as_of = _instant(args, "as_of") or now.replace(second=0, microsecond=0)
    window_to = _instant(args, "to") or as_of
    window_from = _instant(args, "from") or window_to - timedelta(days=DEFAULT_DAYS)
    if not window_from < window_to:
        raise ValueError(f"from ({format_instant(window_from)}) must be before to ({format_instant(window_to)})")
    return Window(window_from, window_to, as_of)


def _instant(args: Mapping[str, str], name: str) -> datetime | None:
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        return parse_instant(text)
    except (ValueError, OverflowError):
        raise ValueError(f"{name}: {text!r} is not a date (2026-11-30) or an ISO time (2026-11-30T09:00Z)") from None


def build_page(
    sources: DashboardSources,
    window: Window,
    index: FactIndex,
    responses: BusinessResponses | None,
    nurture: NurtureEffectiveness | None = None,
) -> DashboardPage:
    """Compute the panels of the window from the indexed facts (and the handovers' clocks, for business hours);
    `nurture` is the window's nurture panel (`nurture_panel`)."""
    start, end, as_of = window.window_from, window.window_to, window.as_of
    facts = index.within(start, end)
    report = indexed_kpis(index, start, end, as_of, "week")
    before = previous_window(start, end)
    previous = indexed_kpis(index, *before, as_of)
    document = report_document(report)
    steps = funnel_steps(report)
    labels = [period["from"][:10] for period in document.get("periods", [])]
    tile_svgs = tuple((tile, render_sparkline_svg(tile.trend, f"{tile.label} by week", labels))
                      for tile in tiles(report, previous))  # fmt: skip
    business = responses.of(members(facts, "mql_at", start, end, as_of), as_of) if responses is not None else None
    times: dict[str, Percentiles] = dict(document["times"])
    if business is not None:
        times["business_response"] = _percentiles_of(business, "all")
    owners = _owner_times(times_by_owner(facts, start, end, as_of), business, sources.owner_names())
    return DashboardPage(
        window, before, report, document, steps, render_funnel_svg(steps), tile_svgs, times, owners,
        tuple(pareto(report.rejection_reasons)), responses is not None, nurture, calibration_panel(window, facts),
    )  # fmt: skip


def calibration_panel(window: Window, facts: Sequence[LeadCycle]) -> CalibrationReport:
    """Return the calibration report of the MQLs in the window as of `as_of` (what `leadflow calibrate --from --to
    --as-of` prints for it), from the window's facts: its cohort is theirs (`FactIndex.within` holds every MQL of
    the window)."""
    settings = CalibrationSettings(MqlWindow(window.window_from, window.window_to), Horizon(window.as_of))
    return calibrate(facts, settings)


def nurture_panel(
    sources: DashboardSources, window: Window, histories: OfferHistories | None
) -> NurtureEffectiveness | None:
    """Return the effectiveness of the nurture offers made in the window, MQL within 30 days (docs/nurture.md,
    "Measuring"), from the offers' histories; None when the dashboard reads no offers."""
    if histories is None:
        return None
    return nurture_effectiveness(histories, window.as_of, DEFAULT_MQL_WITHIN_DAYS, window.window_from,
                                 window.window_to, sources.nurture_config)  # fmt: skip


def _owner_times(
    wall_clock: Mapping[str, Mapping[str, Durations]],
    business: Mapping[str, Durations] | None,
    names: Mapping[str, str],
) -> tuple[OwnerTimes, ...]:
    """Return each owner's wall-clock times and (with an SLA) business-hours response, named where a name is known."""
    return tuple(
        OwnerTimes(owner, NOT_HANDED_OVER if owner == NONE else names.get(owner, owner), {
            **{key: percentiles(values[key]) for key in OWNER_TIMES},
            **({"business_response": _percentiles_of(business, owner)} if business is not None else {}),
        })
        for owner, values in wall_clock.items()
    )  # fmt: skip


def _percentiles_of(durations: Mapping[str, Durations], key: str) -> Percentiles:
    return percentiles(durations[key]) if key in durations else {"count": 0, "p50": None, "p90": None, "p95": None}


def business_responses(sources: DashboardSources) -> BusinessResponses | None:
    """Return the handovers' business-hours responses, or None without an SLA (no calendars)."""
    config = sources.sla
    if config is None:
        return None
    clocks = (_touch_clock(config, clock) for clock in sources.all_clocks())
    return BusinessResponses(clock for clock in clocks if clock is not None)


def _touch_clock(config: SlaConfig, clock: SlaClock) -> TouchClock | None:
    """Return the clock as the rules take it (its cycle is the last part of its key), or None when unreadable."""
    _, _, cycle = clock.key.rpartition("-")
    if not cycle.isdigit():
        return None
    target = config.target_by_id(clock.sla_target)
    return TouchClock(clock.contact_id, int(cycle), clock.owner_id, clock.assigned_at, clock.sla_clock_at,
                      clock.first_touch_at,
                      target.calendar if target else None)  # fmt: skip


@dataclass(frozen=True)
class SlaPanel:
    """The SLA now: the open handovers' clocks by owner, and this week's breaches."""

    configured: bool
    owners: tuple[tuple[str, tuple[dict[str, Any], ...]], ...]  # (owner's name or id, its rows)
    breaches: tuple[dict[str, Any], ...]
    at: str


def sla_panel(sources: DashboardSources) -> SlaPanel:
    """Return the open handovers by owner with their clocks (as `leadflow sla`), and the breaches this week."""
    now = sources.now()
    if sources.sla is None:
        return SlaPanel(False, (), (), format_instant(now))
    names = sources.owner_names()
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in sla_rows(sources.sla, sources.open_clocks(), now, names):
        owner = row["owner_name"] or row["owner"] or "unassigned"
        grouped.setdefault(owner, []).append(row)
    breaches = tuple(
        {"contact": fact.contact, "cycle": fact.cycle, "owner": names.get(fact.owner or "", fact.owner or "–"),
         "due_at": format_instant(fact.due_at) if fact.due_at else None,
         "first_touch_at": format_instant(fact.first_touch_at) if fact.first_touch_at else None}
        for fact in breaches_this_week(sources.facts(), now)
    )  # fmt: skip
    return SlaPanel(True, tuple((owner, tuple(rows)) for owner, rows in grouped.items()), breaches,
                    format_instant(now))  # fmt: skip


__all__ = [
    "DashboardPage", "SlaPanel", "Window", "build_page", "calibration_panel", "format_rate", "nurture_panel",
    "parse_window", "sla_panel",
]  # fmt: skip
