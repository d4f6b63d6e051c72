"""The calibration report as text: whether the outcomes suffice first, then every figure with its n."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from fractions import Fraction

from app.rules.calibration.bands import CutBands, number_text
from app.rules.calibration.conversion import GroupFigures
from app.rules.calibration.drift import Drift, ScoreSample
from app.rules.calibration.observed import calibration_rows
from app.rules.calibration.outcomes import OUTCOMES, Outcome
from app.rules.calibration.ranking import Decile
from app.rules.calibration.rejections import Rejections
from app.rules.calibration.report import CalibrationReport, OutcomeFigures
from app.rules.calibration.sufficiency import MAX_WIDTH, MIN_EACH, OutcomeSufficiency, WideGroup
from app.rules.kpis.facts import format_instant
from app.rules.kpis.figures import Ratio, percent_figure, round_half_up
from app.rules.kpis.table import interval, percent

OUTCOME_LABELS: Mapping[Outcome, str] = {"accepted": "accepted", "deal": "deal", "won": "won"}


def decimals(value: Fraction | float | None, places: int) -> str:
    """Return the value rounded half up to `places` decimals, or `–`."""
    return "–" if value is None else f"{float(round_half_up(Fraction(value), places)):.{places}f}"


def calibration_table(report: CalibrationReport) -> str:
    """Return the report as text: header, sufficiency, outcomes, conversion by band and grade, lift, calibration
    table, drift, rejection reasons."""
    sections = [
        header_lines(report),
        ["Can the outcomes support a conclusion?", *sufficiency_lines(report)],
        ["Outcomes (rate over the known outcomes; pending apart; AUC of the score at MQL)", *outcome_lines(report)],
        ["Conversion by score band at MQL", *group_lines("band", report.by_band)],
        ["Conversion by grade at MQL", *group_lines("grade", report.by_grade)],
        *[[f"Lift by decile of the score at MQL: {outcome}", *lift_lines(report.outcomes[outcome].lift)]
          for outcome in OUTCOMES],
        *[[f"Calibration table: {outcome} (observed rate per band against the overall rate; a score is not a "
           f"probability)", *observed_lines(report.by_band, outcome)] for outcome in OUTCOMES],
        ["Score drift at MQL", *drift_lines(report.drift)],
        ["Rejection reasons", *rejection_lines(report.rejections)],
    ]  # fmt: skip
    return "\n\n".join("\n".join(section) for section in sections)


def header_lines(report: CalibrationReport) -> list[str]:
    """Return the title and the cohort's size."""
    settings = report.settings
    window, horizon = settings.window, settings.horizon
    start = format_instant(window.start) if window.start is not None else "…"
    end = format_instant(window.end) if window.end is not None else "…"
    bands = (
        f"{settings.quantiles} quantile bands" if isinstance(report.scheme, CutBands)
        else f"bands {report.scheme.width} points wide"
    )  # fmt: skip
    return [
        f"Calibration of the MQLs in [{start}, {end}), as of {format_instant(horizon.as_of)} "
        f"(matured {horizon.mature_days} days after MQL; {bands})"
        + (f", model version {settings.model} only" if settings.model is not None else ""),
        f"  {report.cycles} MQL cycle(s), {report.scored} with a score at MQL, {report.immature} not yet matured",
        *_pooled_models(report),
    ]


def _pooled_models(report: CalibrationReport) -> list[str]:
    """Warn when the cohort's scores come from several model versions: their scales may differ, so bands, lift and
    AUC mix them; `--model-version` (or a window within one version, `leadflow model history`) reads one scale."""
    if len(report.models) < 2:
        return []
    return [f"  warning: the scores at MQL come from {len(report.models)} model versions ({', '.join(report.models)}): "
            "bands, lift and AUC pool their scales; --model-version NAME reads one"]  # fmt: skip


def sufficiency_lines(report: CalibrationReport) -> list[str]:
    """Return, per outcome, whether it has enough outcomes to conclude, and if not how many would be needed."""
    lines = [f"  rule: at least {MIN_EACH} positives and {MIN_EACH} negatives per outcome (scored cycles with a known "
             f"outcome); a group's Wilson 95 % interval at most {int(MAX_WIDTH * 100)} points wide"]  # fmt: skip
    for outcome in OUTCOMES:
        figures = report.outcomes[outcome]
        lines.append(f"  {outcome}: {outcome_verdict(figures)}")
        lines += wide_lines("bands", figures.wide_bands) + wide_lines("grades", figures.wide_grades)
    return lines


def outcome_verdict(figures: OutcomeFigures) -> str:
    """Return the plain verdict of one outcome."""
    return sufficiency_verdict(figures.sufficiency)


def sufficiency_verdict(standing: OutcomeSufficiency) -> str:
    """Return the plain verdict of an outcome's positives and negatives against the rule."""
    counts = f"{standing.positives} positive(s) and {standing.negatives} negative(s)"
    if standing.enough:
        return f"enough to conclude: {counts}"
    if standing.needed is None:
        missing = "positive" if standing.positives == 0 else "negative"
        return (f"too few outcomes to conclude: {counts}; with no {missing} yet the number needed cannot be "
                f"estimated: at least {MIN_EACH} of each are needed")  # fmt: skip
    rate = percent_figure(Fraction(standing.positives, standing.positives + standing.negatives))
    return (f"too few outcomes to conclude: {counts}; at the observed rate of {rate} % about {standing.needed} "
            f"known outcomes are needed ({standing.more} more)")  # fmt: skip


def wide_lines(kind: str, groups: Sequence[WideGroup]) -> list[str]:
    """Return one line listing the groups whose rate is too uncertain, with the known outcomes each would need."""
    if not groups:
        return []
    listed = ", ".join(f"{group.key} (n={group.ratio.whole}, needs about {group.needed})" for group in groups)
    return [f"    {kind} too uncertain to compare: {listed}"]


def outcome_lines(report: CalibrationReport) -> list[str]:
    """Return one line per outcome: rate, interval, pending, AUC with its positives and negatives."""
    lines = []
    for outcome in OUTCOMES:
        figures = report.outcomes[outcome]
        auc = figures.auc
        lines.append(
            f"  {outcome:<10}{percent(figures.overall):<18}{interval(figures.overall):<24}pending {figures.pending:<6}"
            f"AUC {decimals(auc.value, 3)} ({auc.positives} positive, {auc.negatives} negative)"
        )
    return lines


def group_lines(kind: str, groups: Sequence[GroupFigures]) -> list[str]:
    """Return a line per group: cycles, mean score, and each outcome's rate with its n."""
    if not groups:
        return ["  none"]
    header = f"  {kind:<14}{'cycles':>7}{'mean':>8}  " + "".join(f"{label:<18}" for label in OUTCOME_LABELS.values())
    return [header.rstrip()] + [
        f"  {group.key:<14}{group.cycles:>7}{decimals(group.mean_score, 1):>8}  "
        + "".join(f"{percent(group.rates[outcome].ratio):<18}" for outcome in OUTCOMES).rstrip()
        for group in groups
    ]


def lift_lines(deciles: Sequence[Decile]) -> list[str]:
    """Return a line per decile, highest scores first: scores, rate, lift and the positives captured so far."""
    if not deciles:
        return ["  none"]
    lines = [f"  {'decile':<8}{'scores':<16}{'rate':<18}{'lift':>6}  captured"]
    for decile in deciles:
        scores = f"{number_text(decile.lowest)}–{number_text(decile.highest)}"
        captured = "–" if decile.captured is None else f"{percent_figure(decile.captured)} %"
        lines.append(
            f"  {decile.decile:<8}{scores:<16}{percent(decile.ratio):<18}{decimals(decile.lift, 2):>6}  {captured}"
        )
    return lines


def observed_lines(bands: Sequence[GroupFigures], outcome: Outcome) -> list[str]:
    """Return the outcome's calibration table: observed rate and interval per band against the overall rate."""
    rows = calibration_rows(bands, outcome)
    if not rows:
        return ["  none"]
    lines = [f"  overall {percent(rows[0].overall)}",
             f"  {'band':<14}{'mean':>6}  {'observed':<18}{'95 % interval':<26}{'index':>6}  verdict"]  # fmt: skip
    lines += [
        f"  {row.band:<14}{decimals(row.mean_score, 1):>6}  {percent(row.observed):<18}{interval(row.observed):<26}"
        f"{decimals(row.index, 2):>6}  {row.verdict}"
        for row in rows
    ]
    return lines


def drift_lines(drift: Drift) -> list[str]:
    """Return the two periods' scores, the KS statistic and its verdict, and each band's share in either period."""
    lines = [_sample_line("first", drift.first), _sample_line("second", drift.second)]
    if drift.ks is None:
        lines.append("  KS statistic: – (a period has no score at MQL)")
    else:
        said = "the distributions differ" if drift.shifted else "no significant shift"
        lines.append(f"  KS statistic D = {decimals(drift.ks, 3)} (5 % critical value {drift.critical:.3f}): {said}")
    if drift.shares:
        lines.append("  share of each band: first → second")
    for share in drift.shares:
        change = _points(share.first, share.second)
        lines.append(f"  {share.band.label:<14}{_share(share.first):>8} → {_share(share.second):>8}  {change}".rstrip())
    return lines


def _sample_line(name: str, sample: ScoreSample) -> str:
    return (f"  {name:<7}{_moment(sample.start)} → {_moment(sample.end)}  n={len(sample.scores)}  "
            f"mean {decimals(sample.mean, 1)}  median {decimals(sample.median, 1)}")  # fmt: skip


def _moment(moment: datetime | None) -> str:
    return "…" if moment is None else format_instant(moment)


def _share(ratio: Ratio) -> str:
    return "–" if ratio.whole == 0 else f"{percent_figure(Fraction(ratio.part, ratio.whole))} %"


def _points(first: Ratio, second: Ratio) -> str:
    if first.whole == 0 or second.whole == 0:
        return ""
    change = Fraction(second.part, second.whole) - Fraction(first.part, first.whole)
    return f"{'+' if change >= 0 else '−'}{percent_figure(abs(change))} points"


def rejection_lines(found: Rejections) -> list[str]:
    """Return the rejections by reason, then by grade and reason, each with its count and share."""
    if found.total == 0:
        return ["  none"]
    lines = ["  by reason", *_counted_lines(found.by_reason, "    "), "  by grade at MQL"]
    for grade, reasons in found.by_grade.items():
        lines.append(f"    {grade} ({sum(reasons.values())})")
        lines += _counted_lines(reasons, "      ")
    return lines


def _counted_lines(counts: Mapping[str, int], indent: str) -> list[str]:
    total = sum(counts.values())
    return [f"{indent}{reason:<24}{count:>6}  {_share(Ratio(count, total)):>7}" for reason, count in counts.items()]
