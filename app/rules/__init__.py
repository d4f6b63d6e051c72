"""Pure lead-qualification rules: the scoring model, assessments and signal rules; no I/O, no project imports.

Apart from `load_scoring_model` and `load_signal_rules`, which read their YAML file, everything here takes and
returns frozen values. See docs/scoring-model.md and docs/signals.md.
"""

from __future__ import annotations

from app.rules.assessment import Assessment, Blocked, Reason, assess, render_reasons, round_half_up
from app.rules.batch import assess_line, assessment_to_json, run_assess
from app.rules.engagement import EngagementEvent
from app.rules.errors import ConfigError
from app.rules.loading import (
    load_rules,
    load_scoring_model,
    load_signal_rules,
    parse_scoring_model,
    parse_signal_rules,
)
from app.rules.model import ScoringModel
from app.rules.signals import SignalRules

__all__ = [
    "Assessment",
    "Blocked",
    "ConfigError",
    "EngagementEvent",
    "Reason",
    "ScoringModel",
    "SignalRules",
    "assess",
    "assess_line",
    "assessment_to_json",
    "load_rules",
    "load_scoring_model",
    "load_signal_rules",
    "parse_scoring_model",
    "parse_signal_rules",
    "render_reasons",
    "round_half_up",
    "run_assess",
]
