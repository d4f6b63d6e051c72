"""`leadflow calibrate --suggest` as JSON and as text (docs/calibration.md, Suggestions)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.rules.calibration.advice import Advice, Proposal
from app.rules.calibration.backtest import MODELS
from app.rules.calibration.backtest_document import backtest_document
from app.rules.calibration.document import number, rate_document
from app.rules.calibration.lifts import Lift
from app.rules.calibration.outcomes import OUTCOMES
from app.rules.calibration.ranking import Auc
from app.rules.calibration.suggestions import NoSuggestion, RuleSuggestion, Suggestion
from app.rules.calibration.table import decimals, sufficiency_verdict
from app.rules.kpis.facts import format_instant
from app.rules.kpis.table import percent

AUC_NAMES = {"fitted": "fitted model", "current": "current score", "suggested": "suggested points"}


def advice_document(advice: Advice, proposal: Proposal | None) -> dict[str, Any]:
    """The suggestions as one JSON object."""
    standing = advice.sufficiency
    return {
        "outcome": advice.outcome,
        "model": advice.model,
        "cohort": {"cycles": advice.cycles, "pending": advice.pending, "known": advice.rows},
        "sufficiency": {
            "positives": standing.positives,
            "negatives": standing.negatives,
            "enough": standing.enough,
            "needed": standing.needed,
            "more": standing.more,
        },
        "lifts": [_lift(lift) for lift in advice.lifts],
        "suggestion": _suggestion(advice.suggestion),
        "proposal": None if proposal is None else _proposal(proposal),
    }


def advice_text(advice: Advice, proposal: Proposal | None) -> list[str]:
    """The suggestions as lines of text: the lifts, the verdict, the rules, the diff and the expected effect."""
    lines = [
        f"Suggestions for {advice.model}: outcome {advice.outcome} at the MQL moment",
        f"cohort: {advice.cycles} cycle(s), {advice.rows} with a known outcome, {advice.pending} pending",
        "",
        "Lift per rule (outcome rate with the rule matched or the event counted | without it; lift = with / overall):",
        *[_lift_line(lift) for lift in advice.lifts],
        "",
        f"{advice.outcome}: {sufficiency_verdict(advice.sufficiency)}",
    ]
    found = advice.suggestion
    if found is None:
        return [*lines, "no suggestion: too few outcomes to fit a model to (the lifts above are all there is)"]
    if isinstance(found, NoSuggestion):
        return [*lines, f"no suggestion: {found.reason}"]
    lines += ["", *_holdout_lines(found), "", "Points (current → suggested; fitted on the model's scale):"]
    lines += [_rule_line(rule) for rule in found.rules]
    if proposal is None or not found.changed:
        return [*lines, "", "no rule's points would change: nothing to propose"]
    lines += ["", f"Suggested model {proposal.model} (review it, then publish it yourself):"]
    lines += proposal.diff.splitlines()
    if proposal.written is not None:
        lines.append(f"wrote {proposal.written}")
    return lines + _effect_lines(proposal)


def whole(points: float) -> int | float:
    """Points as the file writes them: a whole number without `.0`."""
    return int(points) if float(points).is_integer() else points


def _lift(lift: Lift) -> dict[str, Any]:
    feature = lift.feature
    return {
        "kind": feature.kind,
        "id": feature.id,
        "label": feature.label,
        "points": whole(feature.points),
        "with": rate_document(lift.having),
        "without": rate_document(lift.lacking),
        "lift": number(lift.lift),
        "small": lift.small,
    }


def _lift_line(lift: Lift) -> str:
    feature = lift.feature
    value = "–" if lift.lift is None else decimals(lift.lift, 2)
    note = "  (small sample)" if lift.small else ""
    name = f"{feature.kind} {feature.id} ({feature.points:+g})"
    return f"  {name:<40} {percent(lift.having):<18} | {percent(lift.lacking):<18} lift {value}{note}"


def _suggestion(found: Suggestion | NoSuggestion | None) -> dict[str, Any] | None:
    if found is None:
        return None
    if isinstance(found, NoSuggestion):
        return {"refused": found.reason}
    holdout = found.holdout
    return {
        "scale": round(found.scale, 4),
        "holdout": {
            "training": holdout.training,
            "held_out": holdout.held_out,
            "since": None if holdout.since is None else format_instant(holdout.since, exact=True),
            "auc": {name: _auc(value) for name, value in _aucs(found)},
        },
        "rules": [_rule(rule) for rule in found.rules],
    }


def _auc(found: Auc) -> dict[str, Any]:
    return {"value": number(found.value), "positives": found.positives, "negatives": found.negatives}


def _rule(rule: RuleSuggestion) -> dict[str, Any]:
    return {
        "kind": rule.feature.kind,
        "id": rule.feature.id,
        "current": whole(rule.feature.points),
        "fitted": None if rule.fitted is None else round(rule.fitted, 2),
        "coefficient": None if rule.coefficient is None else round(rule.coefficient, 4),
        "evidence": rule.evidence,
        "weight": round(rule.weight, 4),
        "suggested": whole(rule.points),
        "changed": rule.changed,
        "flip": rule.flip,
        "enough": rule.enough,
    }


def _holdout_lines(found: Suggestion) -> list[str]:
    holdout = found.holdout
    since = "" if holdout.since is None else f", from {format_instant(holdout.since)}"
    return [
        f"fitted on the oldest {holdout.training} lead(s); held out the newest {holdout.held_out}{since}",
        "AUC on the held-out leads: "
        + ", ".join(f"{AUC_NAMES[name]} {_auc_text(auc)}" for name, auc in _aucs(found))
        + f"; {found.scale:.2f} points per unit of log-odds",
    ]


def _aucs(found: Suggestion) -> Sequence[tuple[str, Auc]]:
    holdout = found.holdout
    return (("fitted", holdout.fitted), ("current", holdout.current), ("suggested", holdout.suggested))


def _auc_text(found: Auc) -> str:
    return "–" if found.value is None else decimals(found.value, 3)


def _rule_line(rule: RuleSuggestion) -> str:
    feature = rule.feature
    name = f"{feature.kind} {feature.id}"
    change = f"{feature.points:>+6g} → {rule.points:>+6g}"
    if rule.fitted is None:
        return f"  {name:<34} {change}   not fitted: too little data ({rule.evidence} lead(s) on its smaller side)"
    verdict = f"{'changed' if rule.changed else 'kept'} (evidence {rule.evidence}, fit's weight {rule.weight:.2f})"
    flip = "; SIGN FLIP: the data says the opposite of the current points" if rule.flip else ""
    return f"  {name:<34} {change}   fitted {rule.fitted:>+7.1f}, {verdict}{flip}"


def _proposal(proposal: Proposal) -> dict[str, Any]:
    return {
        "model": proposal.model,
        "diff": proposal.diff,
        "written": proposal.written,
        "backtest": None if proposal.backtest is None else backtest_document(proposal.backtest),
    }


def _effect_lines(proposal: Proposal) -> list[str]:
    report = proposal.backtest
    if report is None:
        return []
    lines = ["", "Expected effect (backtest of current against suggested; `leadflow backtest` for the whole report):"]
    for which in MODELS:
        figures = report.figures(which)
        rates = ", ".join(f"{o} {percent(figures.outcomes[o].ratio)}" for o in OUTCOMES)
        lines.append(
            f"  {which:<9} ({figures.model}): MQLs {figures.mqls}, SQLs {figures.sqls}, qualified {figures.qualified}"
            f"; {rates}"
        )
    return lines
