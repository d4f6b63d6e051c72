"""Which track a contact is in, and which of its steps is the natural next one."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from app.rules.nurture.facts import Offer
from app.rules.nurture.policy import NurtureConfig, Step, Track
from app.rules.scoring.engagement import EngagementEvent


def choose_track(
    config: NurtureConfig, names: Mapping[str, object], history: Sequence[Offer], recycled: bool
) -> tuple[Track | None, tuple[str, ...]]:
    """Return the highest-priority track the contact is in (entered, or holding a step of it, and not exited)."""
    why: list[str] = []
    candidates = [track for track in config.tracks if track.id != config.recycled_track]
    if recycled and config.recycled_track is not None:
        candidates = [track for track in config.tracks if track.id == config.recycled_track]
        why.append(f"recycled: only the track '{config.recycled_track}'")
    held = {offer.track for offer in history}
    for track in candidates:
        if track.exit is not None and track.exit.matches(names):
            why.append(f"track '{track.id}': left ({track.exit.text})")
        elif track.id in held:
            return track, (*why, f"track '{track.id}' (priority {track.priority}): already in it")
        elif track.enter is None or track.enter.matches(names):
            entered = f"entered ({track.enter.text})" if track.enter is not None else "open to every contact"
            return track, (*why, f"track '{track.id}' (priority {track.priority}): {entered}")
    return None, (*why, "no track: no entry condition holds")


def natural_next_step(
    steps: Sequence[Step], events: Sequence[EngagementEvent], names: Mapping[str, object], since: datetime | None
) -> tuple[Step | None, tuple[str, ...]]:
    """Return the first step whose `after` engagement happened since `since` (ever: None) and whose `when` holds."""
    why: list[str] = []
    for step in steps:
        trigger = _trigger(step, events, since)
        if step.after and trigger is None:
            waits = " or ".join(sorted(step.after))
            why.append(f"step '{step.id}': waits for {waits}" + (f" after {_stamp(since)}" if since else ""))
        elif step.when is not None and not step.when.matches(names):
            why.append(f"step '{step.id}': its condition does not hold ({step.when.text})")
        else:
            because = f"after {trigger.type} on {_stamp(trigger.occurred_at)}" if trigger else "needs no engagement"
            return step, (*why, f"step '{step.id}': {because}")
    return None, tuple(why)


def _trigger(step: Step, events: Sequence[EngagementEvent], since: datetime | None) -> EngagementEvent | None:
    """Return the latest engagement among the step's `after` types that happened after `since`."""
    found = [e for e in events if e.type in step.after and (since is None or e.occurred_at > since)]
    return max(found, key=lambda event: event.occurred_at, default=None)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")
