"""The funnel graphic of the dashboard: counts and step rates in, inline SVG text out. Pure.

Lead → MQL → SQL → accepted → deal → won, one centred bar per stage (its width proportional to its count), the
stage's name and count on the bar, and between two bars the rate of the step. Every text is escaped; the SVG has
a `<title>` and `role="img"` so a screen reader says what it shows (the page puts an HTML table beside it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from html import escape

from app.rules.kpis.figures import KpiReport, Ratio, percent_figure

WIDTH = 640
BAR_HEIGHT = 36
GAP = 22  # the space between two bars, where the step's rate is written
MIN_BAR = 0.04  # a stage with a count of 0 still shows a sliver, so the shape stays a funnel


@dataclass(frozen=True)
class FunnelStep:
    """One stage of the funnel: its label, its count, and the rate of the step into it (None: no rate)."""

    label: str
    count: int
    rate: float | None = None
    rate_n: int | None = None  # the rate's denominator


def funnel_steps(report: KpiReport) -> tuple[FunnelStep, ...]:
    """Return the six stages of the report's funnel with the contract's rates between them (docs/kpis.md)."""
    funnel = report.window.funnel
    lead_to_mql: Ratio = report.window.rates["lead_to_mql"]
    steps = {(step.from_step, step.to_step): step.ratio for step in report.conversion}
    counts: Sequence[tuple[str, int, Ratio | None]] = (
        ("Lead", funnel["leads"], None),
        ("MQL", funnel["mqls"], lead_to_mql),
        ("SQL", funnel["sqls"], steps.get(("mql", "sql"))),
        ("accepted", funnel["accepted"], steps.get(("sql", "accepted"))),
        ("deal", funnel["deals"], steps.get(("accepted", "deal"))),
        ("won", funnel["won"], steps.get(("deal", "won"))),
    )
    return tuple(
        FunnelStep(label, count, ratio.value if ratio else None, ratio.whole if ratio else None)
        for label, count, ratio in counts
    )


def format_rate(rate: float | None) -> str:
    """Return a rate as a percentage with one decimal (`41.7 %`), rounded as `leadflow kpis` rounds it, or `–` when
    it has no denominator."""
    return "–" if rate is None else f"{percent_figure(Fraction(str(rate)))} %"


def render_funnel_svg(steps: Sequence[FunnelStep], title: str = "Lead funnel") -> str:
    """Return the funnel as an SVG element: a bar per step, its label and count, and the step rates between."""
    largest = max((step.count for step in steps), default=0) or 1
    height = len(steps) * (BAR_HEIGHT + GAP)
    summary = "; ".join(
        f"{step.label} {step.count}" + ("" if step.rate is None and index == 0 else f" ({format_rate(step.rate)})")
        for index, step in enumerate(steps)
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="funnel" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" aria-labelledby="funnel-title">',
        f'<title id="funnel-title">{escape(title)}: {escape(summary)}</title>',
    ]
    for index, step in enumerate(steps):
        parts.extend(_bar(index, step, largest))
    parts.append("</svg>")
    return "\n".join(parts)


def _bar(index: int, step: FunnelStep, largest: int) -> list[str]:
    top = index * (BAR_HEIGHT + GAP) + GAP
    width = max(MIN_BAR, step.count / largest) * (WIDTH - 40)
    left = (WIDTH - width) / 2
    label = escape(step.label)
    parts = []
    if index > 0:
        parts.append(
            f'<text class="funnel-rate" x="{WIDTH / 2:.0f}" y="{top - 6}" text-anchor="middle" font-size="12" '
            f'fill="#555" data-step="{label}">↓ {escape(format_rate(step.rate))}</text>'
        )
    parts.append(
        f'<g class="funnel-stage" data-stage="{label}" data-count="{step.count}">'
        f"<title>{label}: {step.count}</title>"
        f'<rect x="{left:.1f}" y="{top}" width="{width:.1f}" height="{BAR_HEIGHT}" rx="4" fill="{_colour(index)}"/>'
        f'<text x="{WIDTH / 2:.0f}" y="{top + BAR_HEIGHT / 2 + 5:.0f}" text-anchor="middle" font-size="14" '
        f'fill="#111"><tspan font-weight="bold">{label}</tspan> <tspan class="funnel-count">{step.count}</tspan>'
        "</text></g>"
    )
    return parts


def _colour(index: int) -> str:
    palette = ("#9ecae1", "#6baed6", "#74c476", "#a1d99b", "#fdae6b", "#fd8d3c")
    return palette[index % len(palette)]
