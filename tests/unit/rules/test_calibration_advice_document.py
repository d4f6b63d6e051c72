"""The suggestions as text and JSON: the verdicts, the flags and the proposal, as a person reads them."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

from app.rules.calibration.advice import Advice, Proposal
from app.rules.calibration.advice_document import advice_document, advice_text
from app.rules.calibration.features import Feature
from app.rules.calibration.lifts import Lift
from app.rules.calibration.ranking import Auc
from app.rules.calibration.sufficiency import outcome_sufficiency
from app.rules.calibration.suggestions import Holdout, NoSuggestion, RuleSuggestion, Suggestion
from app.rules.kpis.figures import Ratio

DACH = Feature("fit", "dach", "DACH market", 15)
OPEN = Feature("event", "newsletter_open", "Newsletter open", 0)
ROLE = Feature("fit", "decision-maker", "Decision maker", 30)
LIFTS = (Lift(OPEN, Ratio(19, 20), Ratio(1, 20), None), Lift(ROLE, Ratio(20, 40), Ratio(0, 0), None))
HOLDOUT = Holdout(
    30, 10, datetime(2026, 12, 1, 9, tzinfo=UTC), Auc(5, 5, Fraction(1)), Auc(5, 5, None), Auc(5, 5, None)
)
RULES = (
    RuleSuggestion(DACH, 14, -0.4, -12.0, 14 / 44, 4.0),
    RuleSuggestion(OPEN, 15, 3.0, 15.0, 1 / 3, 5.0),
    RuleSuggestion(ROLE, 0, None, None, 0.0, 30.0),
)


def advice(suggestion: Suggestion | NoSuggestion | None, positives: int = 20) -> Advice:
    standing = outcome_sufficiency(positives, 20)
    return Advice("accepted", "default-2026-12", 40, 0, positives + 20, LIFTS, standing, suggestion)


def test_the_rules_lines_say_what_changed_what_was_not_fitted_and_which_sign_flipped() -> None:
    proposal = Proposal("default-2026-12-suggested-20261204", "model: x\n", "--- a\n+++ b\n", "s.yaml")
    lines = advice_text(advice(Suggestion(3.94, RULES, HOLDOUT)), proposal)
    rules = {" ".join(line.split()[:2]): " ".join(line.split()[2:]) for line in lines if "→" in line}
    assert rules["fit dach"] == (
        "+15 → +4 fitted -12.0, changed (evidence 14, fit's weight 0.32); SIGN FLIP: the data says the opposite of the "
        "current points"
    )
    assert rules["fit decision-maker"] == "+30 → +30 not fitted: too little data (0 lead(s) on its smaller side)"
    assert (
        "AUC on the held-out leads: fitted model 1.000, current score –, suggested points –; 3.94 points per unit of "
        "log-odds"
    ) in lines
    assert lines[-3:] == ["--- a", "+++ b", "wrote s.yaml"]  # no backtest: no expected effect
    assert "  event newsletter_open (+0)               95.0 % (n=20)      | 5.0 % (n=20)       lift –" in lines


def test_without_enough_outcomes_or_with_a_refusal_the_text_says_why_and_keeps_the_lifts() -> None:
    lines = advice_text(advice(None, positives=3), None)
    assert lines[-2].startswith("accepted: too few outcomes to conclude: 3 positive(s) and 20 negative(s)")
    assert lines[-1] == "no suggestion: too few outcomes to fit a model to (the lifts above are all there is)"
    refused = advice_text(advice(NoSuggestion("the training leads hold no positive outcome")), None)
    assert refused[-1] == "no suggestion: the training leads hold no positive outcome"
    assert advice_document(advice(NoSuggestion("why")), None)["suggestion"] == {"refused": "why"}


def test_the_json_writes_whole_points_without_a_fraction_and_leaves_unfitted_rules_null() -> None:
    document = advice_document(advice(Suggestion(3.94, RULES, HOLDOUT)), None)
    dach, _, role = document["suggestion"]["rules"]
    assert (dach["current"], dach["suggested"], dach["flip"], dach["changed"]) == (15, 4, True, True)
    assert (role["fitted"], role["coefficient"], role["enough"], role["suggested"]) == (None, None, False, 30)
    assert document["suggestion"]["holdout"]["auc"]["fitted"] == {"value": 1.0, "positives": 5, "negatives": 5}
    assert document["proposal"] is None and document["lifts"][0]["with"]["rate"] == 0.95
