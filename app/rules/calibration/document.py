"""The calibration report as a JSON object (docs/calibration.md, "The JSON"): times in UTC with a Z; rates, lifts,
AUCs and scores as numbers rounded half up to 4 decimals; every rate with its counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from app.rules.calibration.bands import CutBands
from app.rules.calibration.conversion import GroupFigures, OutcomeRate
from app.rules.calibration.drift import Drift, ScoreSample
from app.rules.calibration.observed import calibration_rows
from app.rules.calibration.outcomes import OUTCOMES, Outcome
from app.rules.calibration.ranking import Decile
from app.rules.calibration.rejections import Rejections
from app.rules.calibration.report import CalibrationReport, OutcomeFigures
from app.rules.calibration.sufficiency import MAX_WIDTH, MIN_EACH, WideGroup
from app.rules.kpis.facts import format_instant
from app.rules.kpis.figures import Ratio, round_half_up
from app.rules.kpis.intervals import wilson

RULE = (
    f"an outcome needs at least {MIN_EACH} positives and {MIN_EACH} negatives among the scored cycles with a known "
    f"outcome; a group's rate needs a Wilson 95 % interval at most {int(MAX_WIDTH * 100)} points wide"
)


def number(value: Fraction | float | None) -> float | None:
    """Return the value rounded half up to 4 decimals, or None."""
    return None if value is None else float(round_half_up(Fraction(value)))


def rate_document(ratio: Ratio) -> dict[str, Any]:
    """Return `{"known", "positives", "rate", "interval"}` (the rate and interval null when nothing is known)."""
    found = wilson(ratio)
    return {
        "known": ratio.whole,
        "positives": ratio.part,
        "rate": ratio.value,
        "interval": list(found) if found else None,
    }


def calibration_document(report: CalibrationReport) -> dict[str, Any]:
    """Return the report as its JSON object."""
    settings = report.settings
    window = settings.window
    return {
        "from": format_instant(window.start) if window.start is not None else None,
        "to": format_instant(window.end) if window.end is not None else None,
        "as_of": format_instant(settings.horizon.as_of),
        "mature_days": settings.horizon.mature_days,
        "model_version": settings.model,
        "bands": _bands_document(report),
        "cohort": {
            "cycles": report.cycles,
            "scored": report.scored,
            "immature": report.immature,
            "models": list(report.models),
        },
        "outcomes": {outcome: _outcome_document(report.outcomes[outcome]) for outcome in OUTCOMES},
        "by_band": [_group_document("band", group) for group in report.by_band],
        "by_grade": [_group_document("grade", group) for group in report.by_grade],
        "lift": {
            outcome: [_decile_document(decile) for decile in report.outcomes[outcome].lift] for outcome in OUTCOMES
        },
        "calibration": {outcome: _calibration_table(report.by_band, outcome) for outcome in OUTCOMES},
        "drift": _drift_document(report.drift),
        "rejections": _rejections_document(report.rejections),
        "sufficiency": {
            "rule": RULE,
            **{outcome: _sufficiency_document(report.outcomes[outcome]) for outcome in OUTCOMES},
        },
    }


def _bands_document(report: CalibrationReport) -> dict[str, Any]:
    scheme = report.scheme
    if isinstance(scheme, CutBands):
        return {"quantiles": report.settings.quantiles, "cuts": [number(cut) for cut in scheme.cuts]}
    return {"width": scheme.width}


def _outcome_document(figures: OutcomeFigures) -> dict[str, Any]:
    auc = figures.auc
    return {
        **rate_document(figures.overall),
        "pending": figures.pending,
        "scored": rate_document(figures.scored),
        "auc": {"value": number(auc.value), "positives": auc.positives, "negatives": auc.negatives},
    }


def _rate_with_pending(rate: OutcomeRate) -> dict[str, Any]:
    return {**rate_document(rate.ratio), "pending": rate.pending}


def _group_document(name: str, group: GroupFigures) -> dict[str, Any]:
    return {
        name: group.key,
        "cycles": group.cycles,
        "mean_score": number(group.mean_score),
        **{outcome: _rate_with_pending(group.rates[outcome]) for outcome in OUTCOMES},
    }


def _decile_document(decile: Decile) -> dict[str, Any]:
    return {
        "decile": decile.decile, "lowest": number(decile.lowest), "highest": number(decile.highest),
        "cycles": decile.ratio.whole, "positives": decile.ratio.part, "rate": decile.ratio.value,
        "lift": number(decile.lift), "captured": number(decile.captured),
    }  # fmt: skip


def _calibration_table(bands: Sequence[GroupFigures], outcome: Outcome) -> list[dict[str, Any]]:
    return [
        {
            "band": row.band,
            "mean_score": number(row.mean_score),
            **rate_document(row.observed),
            "overall": row.overall.value,
            "index": number(row.index),
            "verdict": row.verdict,
        }
        for row in calibration_rows(bands, outcome)
    ]


def _sample_document(sample: ScoreSample) -> dict[str, Any]:
    return {
        "from": format_instant(sample.start) if sample.start is not None else None,
        "to": format_instant(sample.end) if sample.end is not None else None,
        "n": len(sample.scores), "mean": number(sample.mean), "median": number(sample.median),
    }  # fmt: skip


def _drift_document(drift: Drift) -> dict[str, Any]:
    return {
        "first": _sample_document(drift.first),
        "second": _sample_document(drift.second),
        "ks": number(drift.ks),
        "ks_critical_05": None if drift.critical is None else round(drift.critical, 4),
        "shifted": drift.shifted,
        "bands": [
            {
                "band": share.band.label,
                "first": share.first.value,
                "second": share.second.value,
                "change": _change(share.first, share.second),
            }
            for share in drift.shares
        ],
    }


def _change(first: Ratio, second: Ratio) -> float | None:
    if first.whole == 0 or second.whole == 0:
        return None
    return number(Fraction(second.part, second.whole) - Fraction(first.part, first.whole))


def _counted(counts: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    total = sum(counts.values())
    return {key: {"count": count, "share": Ratio(count, total).value} for key, count in counts.items()}


def _rejections_document(found: Rejections) -> dict[str, Any]:
    return {
        "total": found.total,
        "by_reason": _counted(found.by_reason),
        "by_grade": {grade: _counted(reasons) for grade, reasons in found.by_grade.items()},
    }


def _wide_document(group: WideGroup) -> dict[str, Any]:
    return {"group": group.key, "known": group.ratio.whole, "width": number(group.width), "needed": group.needed}


def _sufficiency_document(figures: OutcomeFigures) -> dict[str, Any]:
    standing = figures.sufficiency
    return {
        "positives": standing.positives, "negatives": standing.negatives, "enough": standing.enough,
        "needed": standing.needed, "more": standing.more,
        "wide_bands": [_wide_document(group) for group in figures.wide_bands],
        "wide_grades": [_wide_document(group) for group in figures.wide_grades],
    }  # fmt: skip
