"""The regression adapter: scikit-learn's L2 logistic regression on standardised features, given back per unit of
each feature; and without scikit-learn (the `calibrate` extra), one clear error instead of an ImportError."""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta

import pytest

from app.rules.calibration.features import Feature, FeatureRow
from app.rules.calibration.suggestions import Suggestion, suggest
from app.sync.calibration.regression import CalibrateExtraMissing, logistic_fitter, unstandardised

T0 = datetime(2026, 9, 1, tzinfo=UTC)


def test_the_fit_on_standardised_features_is_given_back_per_unit_of_each_feature() -> None:
    fit = unstandardised(0.5, [2.0, -1.0], [10.0, 0.5], [4.0, 0.5])  # z = (x - mean) / scale
    row = [14.0, 1.0]
    assert fit.log_odds(row) == pytest.approx(0.5 + 2.0 * (14 - 10) / 4 - 1.0 * (1 - 0.5) / 0.5)


def test_the_fitted_log_odds_order_the_leads_as_scikit_learns_probabilities() -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    chance = random.Random(7)
    rows = [[float(chance.random() < 0.5), chance.uniform(0, 3)] for _ in range(200)]
    outcomes = [chance.random() < (0.8 if x[0] else 0.2) for x in rows]
    fit = logistic_fitter()(rows, outcomes)
    scaler = StandardScaler().fit(rows)
    reference = LogisticRegression(C=1.0, max_iter=1000).fit(scaler.transform(rows), outcomes)
    expected = reference.decision_function(scaler.transform(rows))
    assert [fit.log_odds(r) for r in rows] == pytest.approx(list(expected), abs=1e-9)


def test_a_planted_event_gains_points_and_a_useless_rule_loses_them() -> None:
    """400 leads: an event with no points decides the outcome 85 % of the time; a 15-point rule is a coin toss."""
    chance = random.Random(11)
    features = [Feature("fit", "target", "Target", 25), Feature("fit", "dach", "DACH", 15),
                Feature("event", "open", "Open", 0)]  # fmt: skip
    rows = []
    for i in range(400):
        target, dach, opened = chance.random() < 0.5, chance.random() < 0.5, chance.random() < 0.5
        positive = chance.random() < (0.85 if opened else 0.15) * (1.2 if target else 0.8)
        values = (float(target), float(dach), float(opened) * chance.uniform(0.5, 2))
        rows.append(FeatureRow(str(i), T0 + timedelta(hours=i), values, 25 * target + 15 * dach, positive))
    found = suggest(features, rows, logistic_fitter())
    assert isinstance(found, Suggestion)
    _, dach_rule, open_rule = found.rules
    assert open_rule.points > 10 and not open_rule.flip
    assert dach_rule.points < 10  # pulled down from 15
    assert found.holdout.fitted.value is not None and found.holdout.current.value is not None
    assert found.holdout.suggested.value is not None and found.holdout.suggested.value > found.holdout.current.value


def test_without_scikit_learn_the_fitter_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "sklearn", None)  # `import sklearn…` now raises ImportError, as uninstalled
    with pytest.raises(CalibrateExtraMissing) as missing:
        logistic_fitter()
    assert str(missing.value) == "needs scikit-learn: pip install 'leadflow[calibrate]'"
