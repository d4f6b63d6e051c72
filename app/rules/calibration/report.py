"""The calibration report (docs/calibration.md): a pure function of lead-cycle facts, an MQL window, `as_of` and
the maturity horizon. Every figure is about the cohort: the cycles whose `mql_at` is reached and in the window."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.rules.calibration.bands import DEFAULT_WIDTH, BandScheme, WidthBands, quantile_bands, score_of
from app.rules.calibration.conversion import GroupFigures, by_band, by_grade, outcome_rate
from app.rules.calibration.drift import Drift, ScoreSample, score_drift
from app.rules.calibration.outcomes import OUTCOMES, Horizon, Judged, Outcome, Window, cohort, judge
from app.rules.calibration.ranking import Auc, Decile, Scored, auc, lift_by_decile
from app.rules.calibration.rejections import Rejections, rejections
from app.rules.calibration.sufficiency import OutcomeSufficiency, WideGroup, outcome_sufficiency, wide_groups
from app.rules.kpis.facts import LeadCycle, in_utc
from app.rules.kpis.figures import Ratio


@dataclass(frozen=True)
class CalibrationSettings:
    """What the report looks at: the MQL window, the horizon, the bands (a width, or quantiles) and, optionally,
    the period to compare the window's scores with (else the window's two halves are compared); `model`: one model
    version's MQLs only."""

    window: Window
    horizon: Horizon
    band_width: int = DEFAULT_WIDTH
    quantiles: int | None = None
    compare: Window | None = None
    model: str | None = None  # only the cycles whose MQL this model version set (`model_at_mql`); None: every one


@dataclass(frozen=True)
class OutcomeFigures:
    """One outcome over the cohort: its rate (all cycles) and, over the scored cycles, AUC, lift and sufficiency."""

    overall: Ratio  # positives / known outcomes, every cycle of the cohort
    pending: int
    scored: Ratio  # positives / known outcomes of the cycles with a score at MQL
    auc: Auc
    lift: tuple[Decile, ...]
    sufficiency: OutcomeSufficiency
    wide_bands: tuple[WideGroup, ...]
    wide_grades: tuple[WideGroup, ...]


@dataclass(frozen=True)
class CalibrationReport:
    """Every figure of the calibration report."""

    settings: CalibrationSettings
    cycles: int
    scored: int  # cycles with a score at MQL
    immature: int  # cycles whose MQL is less than `mature_days` before `as_of`
    scheme: BandScheme
    outcomes: Mapping[Outcome, OutcomeFigures]
    by_band: tuple[GroupFigures, ...]
    by_grade: tuple[GroupFigures, ...]
    drift: Drift
    rejections: Rejections
    models: tuple[str, ...] = ()  # the scoring models that set the cohort's MQLs (`model_at_mql`), in name order


def band_scheme(cycles: Sequence[LeadCycle], settings: CalibrationSettings) -> BandScheme:
    """Return the bands: quantile bands cut on the cohort's scores, else bands of the width."""
    if settings.quantiles is None:
        return WidthBands(settings.band_width)
    scores = [score for cycle in cycles if (score := score_of(cycle)) is not None]
    return quantile_bands(scores, settings.quantiles)


def scored_pairs(cycles: Iterable[Judged], outcome: Outcome) -> list[Scored]:
    """Return (score, positive) of the cycles with a score at MQL and a known outcome."""
    return [
        (cycle.score, found)
        for cycle in cycles
        if cycle.score is not None and (found := cycle.outcomes[outcome]) is not None
    ]


def outcome_figures(
    cycles: Sequence[Judged], outcome: Outcome, bands: Sequence[GroupFigures], grades: Sequence[GroupFigures]
) -> OutcomeFigures:
    """Return one outcome's figures."""
    rate = outcome_rate(cycles, outcome)
    pairs = scored_pairs(cycles, outcome)
    positives = sum(1 for _, positive in pairs if positive)
    return OutcomeFigures(
        overall=rate.ratio,
        pending=rate.pending,
        scored=Ratio(positives, len(pairs)),
        auc=auc(pairs),
        lift=tuple(lift_by_decile(pairs)),
        sufficiency=outcome_sufficiency(positives, len(pairs) - positives),
        wide_bands=tuple(wide_groups((band.key, band.rates[outcome].ratio) for band in bands)),
        wide_grades=tuple(wide_groups((grade.key, grade.rates[outcome].ratio) for grade in grades)),
    )


def halves(cycles: Sequence[LeadCycle], window: Window, as_of: datetime) -> tuple[Window, Window]:
    """Return the window's two halves, split at the midpoint of its span: from `--from` (else the first MQL) to
    `--to` — no later than `as_of`, after which no MQL can lie — (else the last MQL); the second half takes every
    MQL from the midpoint on."""
    moments = sorted(in_utc(cycle.mql_at) for cycle in cycles if cycle.mql_at is not None)
    if not moments:
        return Window(window.start, window.end), Window(window.end, window.end)
    start = in_utc(window.start) if window.start is not None else moments[0]
    end = min(in_utc(window.end), in_utc(as_of)) if window.end is not None else moments[-1]
    middle = start + (end - start) / 2
    return Window(start, middle), Window(middle, window.end if window.end is not None else end)


def sample(cycles: Iterable[LeadCycle], period: Window, horizon: Horizon, *, closed: bool = False) -> ScoreSample:
    """Return the scores at MQL of the cycles in the period (`closed`: its end included, for the last half)."""
    scores = sorted(
        score
        for cycle in cycles
        if (score := score_of(cycle)) is not None and cycle.mql_at is not None and horizon.reached(cycle.mql_at)
        and (period.holds(cycle.mql_at) or (closed and _at_end(cycle.mql_at, period)))
    )  # fmt: skip
    return ScoreSample(period.start, period.end, tuple(scores))


def _at_end(moment: datetime, period: Window) -> bool:
    return period.end is not None and in_utc(moment) == in_utc(period.end)


def drift_of(facts: Sequence[LeadCycle], cycles: Sequence[LeadCycle], settings: CalibrationSettings,
             scheme: BandScheme) -> Drift:  # fmt: skip
    """Return the drift from the window to the compared period, or from the window's first half to its second."""
    horizon = settings.horizon
    if settings.compare is not None:
        return score_drift(sample(cycles, settings.window, horizon), sample(facts, settings.compare, horizon), scheme)
    first, second = halves(cycles, settings.window, horizon.as_of)
    closed = settings.window.end is None  # the span ends at the last MQL, which belongs to the second half
    return score_drift(sample(cycles, first, horizon), sample(cycles, second, horizon, closed=closed), scheme)


def calibrate(facts: Iterable[LeadCycle], settings: CalibrationSettings) -> CalibrationReport:
    """Return the calibration report of the facts."""
    every = [fact for fact in facts if settings.model is None or fact.model_at_mql == settings.model]
    horizon = settings.horizon
    cycles = cohort(every, settings.window, horizon)
    scheme = band_scheme(cycles, settings)
    judged = judge(cycles, horizon)
    bands, grades = by_band(judged, scheme), by_grade(judged)
    return CalibrationReport(
        settings=settings,
        cycles=len(cycles),
        scored=sum(1 for cycle in judged if cycle.score is not None),
        immature=sum(1 for cycle in judged if not cycle.matured),
        scheme=scheme,
        outcomes={outcome: outcome_figures(judged, outcome, bands, grades) for outcome in OUTCOMES},
        by_band=bands,
        by_grade=grades,
        drift=drift_of(every, cycles, settings, scheme),
        rejections=rejections(cycles, horizon),
        models=tuple(sorted({cycle.model_at_mql for cycle in cycles if cycle.model_at_mql})),
    )
