"""`leadflow nurture --explain`: a plan as lines of text, the decision first, then every reason."""

from __future__ import annotations

from datetime import UTC

from app.rules.nurture.plan import NurturePlan

HEADLINES = {
    "active": "offer now",
    "waiting": "waiting (pacing)",
    "paused": "paused",
    "exhausted": "exhausted",
    "suppressed": "suppressed",
    "none": "no step",
}


def explain(plan: NurturePlan) -> list[str]:
    """Render a plan: `waiting (pacing): step 'webinar' of track 'awareness' at …`, then `  · reason` lines."""
    headline = HEADLINES[plan.state]
    if plan.step is not None and plan.at is not None:
        headline += f": step '{plan.step}' of track '{plan.track}' at {plan.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    elif plan.track is not None:
        headline += f": track '{plan.track}'"
    lines = [headline, *(f"  · {reason}" for reason in plan.why)]
    lines += [f"  · completed '{offer.step}' ({offer.completed_at:%Y-%m-%d %H:%M} UTC)" for offer in plan.completed]
    return lines
