"""The nurture planner: a contact's next step, when to offer it, or why there is none (docs/nurture.md)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, get_args

from app.rules.nurture.conditions import condition_names
from app.rules.nurture.facts import NurtureFacts, Offer
from app.rules.nurture.pace import pace
from app.rules.nurture.policy import NurtureConfig, Track
from app.rules.nurture.tracks import choose_track, natural_next_step
from app.rules.scoring.engagement import EngagementEvent
from app.rules.values import as_utc

NurtureState = Literal["active", "waiting", "paused", "exhausted", "suppressed", "none"]
NURTURE_STATES: tuple[NurtureState, ...] = get_args(NurtureState)


@dataclass(frozen=True, slots=True)
class NurturePlan:
    """The next step: offer `step` of `track` at `at` (now: active; later: waiting), or the state without one."""

    state: NurtureState
    track: str | None = None
    step: str | None = None
    at: datetime | None = None
    why: tuple[str, ...] = ()
    completed: tuple[Offer, ...] = ()  # offered steps completed since the history was written (completed_at set)


def next_nurture_step(config: NurtureConfig, contact: NurtureFacts, now: datetime) -> NurturePlan:
    """Plan a contact's next nurture step at `now`: suppressed, paused, the track, its next step, the pacing."""
    now = as_utc(now)
    events = sorted(
        (
            e
            for e in (EngagementEvent(e.type, as_utc(e.occurred_at)) for e in contact.engagements)
            if e.occurred_at <= now
        ),
        key=lambda event: event.occurred_at,
    )
    history = tuple(replace(offer, offered_at=as_utc(offer.offered_at)) for offer in contact.history)
    names = condition_names(config, contact, events, now)
    plan = _decide(config, contact, history, events, names, now)
    return replace(plan, completed=completions(config, history, events))


def _decide(
    config: NurtureConfig,
    contact: NurtureFacts,
    history: tuple[Offer, ...],
    events: Sequence[EngagementEvent],
    names: Mapping[str, object],
    now: datetime,
) -> NurturePlan:
    if config.suppress_when.matches(names):
        return NurturePlan("suppressed", why=(f"suppressed: {config.suppress_when.text}",))
    if contact.handed_over:
        return NurturePlan("paused", why=("paused: the lead is handed over to sales",))
    recycled_at = None if contact.recycled_at is None else as_utc(contact.recycled_at)
    track, why = choose_track(config, names, _since_recycle(history, recycled_at), recycled_at is not None)
    if track is None:
        return NurturePlan("none", why=why)
    offered = {offer.step for offer in history}
    pending = [step for step in track.steps if step.id not in offered]
    if not pending:
        return NurturePlan("exhausted", track.id, why=(*why, f"exhausted: every step of '{track.id}' was offered"))
    step, step_why = natural_next_step(pending, events, names, _since(track, history, recycled_at))
    if step is None:
        return NurturePlan("none", track.id, why=(*why, *step_why))
    at, pace_why = pace(config.pacing, (offer.offered_at for offer in history), now)
    state: NurtureState = "active" if at == now else "waiting"
    return NurturePlan(state, track.id, step.id, at, (*why, *step_why, *pace_why))


def _since_recycle(history: tuple[Offer, ...], recycled_at: datetime | None) -> tuple[Offer, ...]:
    """The offers that keep a contact in its track: after a recycle, only those since."""
    return history if recycled_at is None else tuple(o for o in history if o.offered_at >= recycled_at)


def _since(track: Track, history: tuple[Offer, ...], recycled_at: datetime | None) -> datetime | None:
    """Return after when an engagement counts for the next step: the track's last offer (or the recycle)."""
    moments = [offer.offered_at for offer in history if offer.track == track.id]
    if recycled_at is not None:
        moments.append(recycled_at)
    return max(moments, default=None)


def completions(
    config: NurtureConfig, history: Sequence[Offer], events: Sequence[EngagementEvent]
) -> tuple[Offer, ...]:
    """Return the offered steps not yet completed whose `completed_by` engagement has happened since the offer."""
    steps = {step.id: step for track in config.tracks for step in track.steps}
    done: list[Offer] = []
    for offer in history:
        step = steps.get(offer.step)
        if offer.completed_at is not None or step is None:
            continue
        moments = [e.occurred_at for e in events if e.type in step.completed_by and e.occurred_at >= offer.offered_at]
        if moments:
            done.append(replace(offer, completed_at=min(moments)))
    return tuple(done)
