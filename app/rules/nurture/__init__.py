"""Nurturing: config/nurture.yaml, and the pure planner of every contact's next step (docs/nurture.md)."""

from app.rules.nurture.config import nurture_file, parse_nurture
from app.rules.nurture.explain import explain
from app.rules.nurture.facts import NurtureFacts, Offer, OfferRecord
from app.rules.nurture.pace import leave_quiet_hours, pace
from app.rules.nurture.plan import NurturePlan, NurtureState, completions, next_nurture_step
from app.rules.nurture.policy import Delivery, NurtureConfig, Pacing, QuietHours, Step, Track
from app.rules.nurture.writes import offer_writes, reads_of

__all__ = [
    "Delivery",
    "NurtureConfig",
    "NurtureFacts",
    "NurturePlan",
    "NurtureState",
    "Offer",
    "OfferRecord",
    "Pacing",
    "QuietHours",
    "Step",
    "Track",
    "completions",
    "explain",
    "leave_quiet_hours",
    "next_nurture_step",
    "nurture_file",
    "offer_writes",
    "pace",
    "parse_nurture",
    "reads_of",
]
