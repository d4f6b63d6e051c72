"""The KPI report as the contract's JSON object (docs/kpis.md, "The JSON"): times in UTC with a Z, rates rounded."""

from __future__ import annotations

from typing import Any

from app.rules.kpis.facts import format_instant
from app.rules.kpis.figures import PERCENTILES, Conversion, Durations, GradeFigures, KpiReport, WindowFigures
from app.rules.kpis.intervals import wilson


def report_document(report: KpiReport) -> dict[str, Any]:
    """Return the report as the contract's JSON object (`periods` only when the report was cut into periods)."""
    body = _window_body(report.window)
    document = {
        **_window_header(report.window),
        "as_of": format_instant(report.as_of),
        "funnel": body["funnel"],
        "rates": body["rates"],
        "conversion": [_conversion_document(step) for step in report.conversion],
        "times": body["times"],
        "by_grade": {grade: _grade_document(figures) for grade, figures in report.by_grade.items()},
        "rejection_reasons": dict(report.rejection_reasons),
    }
    if report.periods is not None:
        document["periods"] = [{**_window_header(period), **_window_body(period)} for period in report.periods]
    return document


def window_document(figures: WindowFigures) -> dict[str, Any]:
    """Return one window's funnel, rates and times as the contract's JSON writes them (a period, a group)."""
    return _window_body(figures)


def intervals_document(figures: WindowFigures) -> dict[str, list[float] | None]:
    """Return each rate's Wilson 95 % interval as [low, high] (null without one): `intervals` of `--ci`."""
    return {key: list(found) if (found := wilson(ratio)) else None for key, ratio in figures.rates.items()}


def _window_header(figures: WindowFigures) -> dict[str, Any]:
    return {"from": format_instant(figures.window_from), "to": format_instant(figures.window_to)}


def _window_body(figures: WindowFigures) -> dict[str, Any]:
    return {
        "funnel": dict(figures.funnel),
        "rates": {key: ratio.value for key, ratio in figures.rates.items()},
        "times": {key: times_document(values) for key, values in figures.times.items()},
    }


def times_document(values: Durations) -> dict[str, Any]:
    return {"count": values.count, **{f"p{x}": values.percentile(x) for x in PERCENTILES}}


def _conversion_document(step: Conversion) -> dict[str, Any]:
    ratio = step.ratio
    return {"from": step.from_step, "to": step.to_step, "entered": ratio.whole, "converted": ratio.part,
            "rate": ratio.value}  # fmt: skip


def _grade_document(figures: GradeFigures) -> dict[str, Any]:
    return {
        "mqls": figures.mqls, "accepted": figures.accepted, "won": figures.won,
        "sales_acceptance": figures.sales_acceptance.value, "closed_won": figures.closed_won.value,
    }  # fmt: skip
