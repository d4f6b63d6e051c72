"""`leadflow setup`'s nurture recipe: the HubSpot workflows a marketer builds, one per step, in config order."""

from __future__ import annotations

from app.rules.nurture.policy import NurtureConfig
from app.rules.properties import NURTURE_STEP, NURTURE_STEP_AT


def workflow_recipe(config: NurtureConfig) -> list[str]:
    """Return the lines that tell the marketer which workflow to build for each step, and how."""
    lines = [
        "Build one contact-based workflow per nurture step in HubSpot (Automation > Workflows); each sends the",
        "step's marketing email, so consent, unsubscribes and templates stay in HubSpot:",
        f"  trigger: '{NURTURE_STEP}' is any of <the step>; re-enrollment: on, when '{NURTURE_STEP_AT}' changes",
        "  action:  Send marketing email <the step's email>; nothing else (Leadflow paces and pauses nurture)",
    ]
    for track in config.tracks:
        lines.append(f"  track {track.id} ({track.label}):")
        lines += [f"    {NURTURE_STEP} is {step.id!r}: send the email for {step.label!r}" for step in track.steps]
    return lines
