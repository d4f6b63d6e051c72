"""The regression behind `leadflow calibrate --suggest`: scikit-learn's L2-regularised logistic regression on
standardised features, its coefficients given back per unit of each feature (app/rules/calibration/suggestions.py).

scikit-learn is an optional extra (`pip install 'leadflow[calibrate]'`) so the web app and the workers stay lean:
it is imported only when a fitter is asked for, and its absence is one clear error, `CalibrateExtraMissing`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.rules.calibration.suggestions import Fit, Fitter

INSTALL = "pip install 'leadflow[calibrate]'"
REGULARISATION = 1.0  # scikit-learn's C: the inverse of the L2 penalty, on standardised features
MAX_ITERATIONS = 1000


class CalibrateExtraMissing(Exception):
    """scikit-learn, of the `calibrate` extra, is not installed."""


def logistic_fitter() -> Fitter:
    """Return the fitter, or raise CalibrateExtraMissing when scikit-learn cannot be imported."""
    try:
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler
    except ImportError:
        raise CalibrateExtraMissing(f"needs scikit-learn: {INSTALL}") from None

    def fit(rows: Sequence[Sequence[float]], outcomes: Sequence[bool]) -> Fit:
        scaler: Any = StandardScaler().fit(rows)
        model: Any = LogisticRegression(C=REGULARISATION, max_iter=MAX_ITERATIONS)
        model.fit(scaler.transform(rows), [int(outcome) for outcome in outcomes])
        return unstandardised(
            float(model.intercept_[0]),
            [float(c) for c in model.coef_[0]],
            [float(m) for m in scaler.mean_],
            [float(s) for s in scaler.scale_],
        )

    return fit


def unstandardised(
    intercept: float, coefficients: Sequence[float], means: Sequence[float], scales: Sequence[float]
) -> Fit:
    """Turn a fit on standardised features ((x − mean) / scale) into one on the features as they are."""
    raw = tuple(c / s for c, s in zip(coefficients, scales, strict=True))
    shift = sum(c * m for c, m in zip(raw, means, strict=True))
    return Fit(intercept - shift, raw)
