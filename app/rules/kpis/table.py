"""The KPI report as a readable text table: the funnel drawn as bars, every rate with its n, times as durations."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from fractions import Fraction

from app.rules.kpis.facts import format_instant
from app.rules.kpis.figures import (
    Durations,
    GradeFigures,
    KpiReport,
    Ratio,
    WindowFigures,
    percent_figure,
)
from app.rules.kpis.intervals import wilson

BAR_WIDTH = 32  # characters of the longest bar
EIGHTHS = " ▏▎▍▌▋▊▉"
# The funnel's counts, each drawn against its cohort's size: L's counts against leads, C's against mqls.
FUNNEL_SCALE = {"leads": "leads", "leads_qualified": "leads"}
RATE_LABELS = {
    "lead_to_mql": "lead→mql", "mql_to_sql": "mql→sql", "sales_acceptance": "sales acceptance",
    "worked": "worked", "closed_won": "closed won", "win": "win", "sla_met": "SLA met",
}  # fmt: skip
TIME_LABELS = {"time_to_lead": "time to lead", "time_to_response": "time to response", "time_to_touch": "time to touch"}
UNITS = (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1))


def kpi_table(report: KpiReport) -> str:
    """Return the report as text: header, funnel, rates, conversion, times, grades, rejections, periods."""
    window = report.window
    sections = [
        [f"KPIs from {format_instant(window.window_from)} to {format_instant(window.window_to)}, "
         f"as of {format_instant(report.as_of)}"],
        ["Funnel (bars: leads against leads, MQLs against mqls)", *funnel_bars(window.funnel)],
        ["Rates", *rate_lines(window.rates)],
        ["Conversion (each step over the MQLs that reached its start)", *conversion_lines(report)],
        ["Times (p50 / p90 / p95)", *time_lines(window.times)],
        ["By grade at MQL", *grade_lines(report.by_grade)],
        ["Rejection reasons", *reason_lines(report.rejection_reasons)],
    ]  # fmt: skip
    if report.periods is not None:
        sections.append(["Periods", *period_lines(report.periods)])
    return "\n\n".join("\n".join(section) for section in sections)


def funnel_bars(funnel: Mapping[str, int]) -> list[str]:
    """Return one line per funnel count with a bar scaled to its cohort (leads or mqls)."""
    return [
        f"  {key.replace('_', ' '):<16}{count:>7}  {bar(count, funnel[FUNNEL_SCALE.get(key, 'mqls')])}".rstrip()
        for key, count in funnel.items()
    ]


def bar(count: int, scale: int) -> str:
    """Return a bar of unicode blocks, BAR_WIDTH long when `count` equals `scale`, in eighths of a character."""
    if scale <= 0 or count <= 0:
        return ""
    eighths = (min(count, scale) * BAR_WIDTH * 8 * 2 + scale) // (scale * 2)
    whole, part = divmod(max(eighths, 1), 8)
    return "█" * whole + EIGHTHS[part].strip()


def percent(ratio: Ratio) -> str:
    """Return the rate as `42.1 % (n=57)`, its denominator as n; `– (n=0)` when there is none."""
    if ratio.whole == 0:
        return "– (n=0)"
    return f"{percent_figure(Fraction(ratio.part, ratio.whole))} % (n={ratio.whole})"


def rate_lines(rates: Mapping[str, Ratio]) -> list[str]:
    """Return one line per rate, with its n."""
    return [f"  {RATE_LABELS[key]:<18}{percent(ratio)}" for key, ratio in rates.items()]


def conversion_lines(report: KpiReport) -> list[str]:
    """Return one line per conversion step: the rate over those that entered it (n), and how many converted."""
    return [
        f"  {step.from_step + '→' + step.to_step:<18}{percent(step.ratio):<20}converted {step.ratio.part}"
        for step in report.conversion
    ]


def time_lines(times: Mapping[str, Durations]) -> list[str]:
    """Return one line per delay: its percentiles as durations, and its count."""
    return [f"  {TIME_LABELS[key]:<18}{percentiles(values)}" for key, values in times.items()]


def percentiles(values: Durations) -> str:
    """Return `p50 / p90 / p95 (n=…)` as human durations; `– (n=0)` without values."""
    found = [values.percentile(x) for x in (50, 90, 95)]
    if values.count == 0:
        return "– (n=0)"
    return " / ".join(duration(seconds) for seconds in found if seconds is not None) + f" (n={values.count})"


def duration(seconds: int) -> str:
    """Return whole seconds as the two largest units: `3 d 4 h`, `2 h 5 min`, `12 min 5 s`, `45 s`."""
    parts: list[str] = []
    for unit, size in UNITS:
        amount, seconds = divmod(seconds, size)
        if amount or parts:
            parts.append(f"{amount} {unit}")
    shown = [part for part in parts[:2] if not part.startswith("0 ")] or ["0 s"]
    return " ".join(shown)


def grade_lines(grades: Mapping[str, GradeFigures]) -> list[str]:
    """Return a line per grade at MQL: counts, sales acceptance and closed-won rates, each with its n."""
    if not grades:
        return ["  none"]
    header = f"  {'grade':<8}{'mqls':>6}{'accepted':>10}{'won':>6}  {'sales acceptance':<22}closed won"
    return [header] + [
        f"  {grade:<8}{row.mqls:>6}{row.accepted:>10}{row.won:>6}  {percent(row.sales_acceptance):<22}"
        f"{percent(row.closed_won)}"
        for grade, row in grades.items()
    ]


def reason_lines(reasons: Mapping[str, int]) -> list[str]:
    """Return the rejection reasons as a Pareto: most frequent first (ties by reason), each with its count, its
    share and the cumulative share."""
    total = sum(reasons.values())
    lines, running = [], 0
    for reason, count in sorted(reasons.items(), key=lambda item: (-item[1], item[0])):
        running += count
        lines.append(f"  {reason:<24}{count:>6}  {_share(count, total):>7}  cumulative {_share(running, total)}")
    return lines or ["  none"]


def _share(part: int, whole: int) -> str:
    return f"{percent_figure(Fraction(part, whole))} %"


def interval(ratio: Ratio) -> str:
    """Return the rate's Wilson 95 % interval as `95 % CI 30.2–54.9 %`; empty without one."""
    found = wilson(ratio)
    if found is None:
        return ""
    low, high = (percent_figure(Fraction(repr(bound))) for bound in found)
    return f"95 % CI {low}–{high} %"


def interval_lines(rates: Mapping[str, Ratio]) -> list[str]:
    """Return one line per rate with its n and its Wilson 95 % interval."""
    return [f"  {RATE_LABELS[key]:<18}{percent(ratio):<20}{interval(ratio)}".rstrip() for key, ratio in rates.items()]


def breakdown_lines(title: str, groups: Mapping[str, WindowFigures], names: Mapping[str, str]) -> list[str]:
    """Return a line per group: MQLs, handed over, accepted, won, and sales acceptance, closed won and the median
    time to response, each rate with its n. `names`: a label per group key (owner names)."""
    lines = [
        f"  {title:<26}{'mqls':>6}{'handed':>8}{'accepted':>10}{'won':>5}  {'sales acceptance':<20}"
        f"{'closed won':<20}response p50"
    ]
    for key, figures in groups.items():
        funnel, rates = figures.funnel, figures.rates
        response = figures.times["time_to_response"].percentile(50)
        label = f"{names[key]} ({key})" if key in names else key
        lines.append(
            f"  {label[:25]:<26}{funnel['mqls']:>6}{funnel['handed_over']:>8}{funnel['accepted']:>10}"
            f"{funnel['won']:>5}  {percent(rates['sales_acceptance']):<20}{percent(rates['closed_won']):<20}"
            f"{'–' if response is None else duration(response)}"
        )
    return lines


def period_lines(periods: Iterable[WindowFigures]) -> list[str]:
    """Return a line per period: its bounds, the cohorts' sizes, SQLs, wins and the headline rates."""
    return [
        f"  {_bound(period.window_from)} → {_bound(period.window_to)}  leads {period.funnel['leads']}  "
        f"mqls {period.funnel['mqls']}  sqls {period.funnel['sqls']}  won {period.funnel['won']}  "
        f"mql→sql {percent(period.rates['mql_to_sql'])}  SLA met {percent(period.rates['sla_met'])}"
        for period in periods
    ]


def _bound(moment: datetime) -> str:
    """Return a period's bound: the date alone at midnight, else the whole time."""
    text = format_instant(moment)
    return text[:10] if text.endswith("T00:00:00Z") else text
