"""Pure lead-qualification rules: the scoring model, assessments and signal rules; no I/O, no project imports.

Apart from `load_scoring_model` and `load_signal_rules`, which read their YAML file, everything here takes and
returns frozen values. See docs/scoring-model.md and docs/signals.md.
"""

from __future__ import annotations

from app.rules.configuration import Configuration, load_configuration
from app.rules.errors import ConfigError
from app.rules.handover.calendar import BusinessCalendar, business_due
from app.rules.handover.config import HandoverConfig, parse_handover
from app.rules.handover.notification import notification
from app.rules.handover.plan import classify_feedback, plan_blocked, plan_handover, plan_recycle, plan_unblocked
from app.rules.handover.routing import preview, route
from app.rules.handover.routing_config import RoutingConfig, parse_routing
from app.rules.scoring.assessment import Assessment, Blocked, Reason, assess, render_reasons, round_half_up
from app.rules.scoring.batch import assess_line, assessment_to_json, run_assess
from app.rules.scoring.config import load_scoring_model, load_signal_rules, parse_scoring_model, parse_signal_rules
from app.rules.scoring.engagement import EngagementEvent
from app.rules.scoring.model import ScoringModel
from app.rules.scoring.signals import SignalRules
from app.rules.scoring.timeline import TimedAssessment, assess_over_time

__all__ = [
    "Assessment",
    "Blocked",
    "BusinessCalendar",
    "ConfigError",
    "Configuration",
    "EngagementEvent",
    "HandoverConfig",
    "Reason",
    "RoutingConfig",
    "ScoringModel",
    "SignalRules",
    "TimedAssessment",
    "assess",
    "assess_line",
    "assess_over_time",
    "assessment_to_json",
    "business_due",
    "classify_feedback",
    "load_configuration",
    "load_scoring_model",
    "load_signal_rules",
    "notification",
    "parse_handover",
    "parse_routing",
    "parse_scoring_model",
    "parse_signal_rules",
    "plan_blocked",
    "plan_handover",
    "plan_recycle",
    "plan_unblocked",
    "preview",
    "render_reasons",
    "round_half_up",
    "route",
    "run_assess",
]
