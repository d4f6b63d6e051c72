"""The dashboard's "Last backtest" panel: the newest `leadflow backtest` run the ledger recorded (docs/calibration.md,
"Recorded"), read from its document — when it ran, the two models, MQLs and SQLs per week, the outcomes' rates, the
stages gained and lost, the handovers per pool and the verdict, in the command's own words
(app/rules/calibration/backtest_verdict.py). Nothing here counts: the backtest did.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from app.rules.calibration.backtest import MODELS
from app.rules.calibration.backtest_runs import BacktestRun
from app.rules.calibration.backtest_verdict import BacktestVerdict, document_verdict
from app.rules.calibration.outcomes import OUTCOMES
from app.rules.kpis.figures import Ratio
from app.rules.kpis.sparkline import render_sparkline_svg

SERIES = ("mql", "sql")


@dataclass(frozen=True)
class ModelRow:
    """One model's weekly figures: totals, sparklines (`mql`, `sql`) and qualified contacts."""

    which: str
    model: str
    totals: Mapping[str, int]
    sparklines: Mapping[str, str]


@dataclass(frozen=True)
class OutcomeCell:
    """One model's figures for one outcome: the rate over known outcomes, pending, and the positives captured."""

    rate: Ratio
    pending: int
    captured: Ratio


@dataclass(frozen=True)
class BacktestPanel:
    """What the panel shows of one recorded run."""

    run: BacktestRun
    age_seconds: int
    verdict: BacktestVerdict
    weeks: tuple[str, ...]  # from the first to the last week with an entry, every week between
    models: tuple[ModelRow, ...]
    outcomes: Mapping[str, Mapping[str, OutcomeCell]]  # outcome → model → cell
    moves: Mapping[str, Mapping[str, Any]]  # `gained`/`lost` → {"count", "stages"}
    handovers: tuple[tuple[str, int, int], ...]  # (pool, current, candidate)


def backtest_panel(run: BacktestRun | None, now: datetime) -> BacktestPanel | None:
    """Return the panel of the recorded run, or None when no backtest was recorded yet."""
    if run is None:
        return None
    document = run.document
    weeks = every_week([entry["week"] for entry in document["weeks"]])
    by_week = {entry["week"]: entry for entry in document["weeks"]}
    listed = document.get("listed", {})
    handovers = document["handovers"]
    pools = sorted({*handovers["current"], *handovers["candidate"]})
    return BacktestPanel(
        run, max(0, int((now - run.ran_at).total_seconds())), document_verdict(document), weeks,
        tuple(_model_row(which, document, weeks, by_week) for which in MODELS),
        {outcome: {which: _cell(document["outcomes"], which, outcome) for which in MODELS} for outcome in OUTCOMES},
        {key: {"count": listed.get("counts", {}).get(key, len(document[key])),
               "stages": listed.get("stages", {}).get(key, {})} for key in ("gained", "lost")},
        tuple((pool, handovers["current"].get(pool, 0), handovers["candidate"].get(pool, 0)) for pool in pools),
    )  # fmt: skip


def every_week(weeks: Sequence[str]) -> tuple[str, ...]:
    """Return the ISO weeks from the first to the last of `weeks` (`2026-W45`), none left out."""
    if not weeks:
        return ()
    first, last = (_monday(week) for week in (min(weeks), max(weeks)))
    mondays = (first + timedelta(weeks=n) for n in range((last - first).days // 7 + 1))
    return tuple(f"{year}-W{week:02d}" for year, week, _ in (monday.isocalendar() for monday in mondays))


def _monday(week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def _model_row(which: str, document: Mapping[str, Any], weeks: Sequence[str], by_week: Mapping[str, Any]) -> ModelRow:
    values = {series: [by_week[w][which][series] if w in by_week else 0 for w in weeks] for series in SERIES}
    return ModelRow(
        which, document["models"][which], document["totals"][which],
        {series: render_sparkline_svg(values[series], f"{which} model's {series.upper()}s by week", weeks)
         for series in SERIES},
    )  # fmt: skip


def _cell(outcomes: Mapping[str, Any], which: str, outcome: str) -> OutcomeCell:
    found = outcomes[which][outcome]
    captured = found["captured"]
    return OutcomeCell(Ratio(found["positives"], found["known"]), found["pending"],
                       Ratio(captured["positives"], captured["known"]))  # fmt: skip
