"""Engagement: decayed, capped contributions of engagement events, and the event windows of stage rules."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.rules.scoring.model import EventWeight, ScoringModel

SECONDS_PER_DAY = 86_400
EVENT_WINDOWS = {"events_last_7d": 7, "events_last_30d": 30, "events_last_90d": 90}


@dataclass(frozen=True, slots=True)
class EngagementEvent:
    """An engagement event of a contact; `occurred_at` is an aware UTC datetime."""

    type: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class EventContribution:
    """What the counted events of one type add to engagement."""

    weight: EventWeight
    count: int
    contribution: float
    decayed: bool
    capped: bool
    raw: float = 0.0  # the decayed sum before the cap


def event_contributions(
    model: ScoringModel, events: Sequence[EngagementEvent], now: datetime
) -> tuple[EventContribution, ...]:
    """Return the contribution of every event type of the model; `events` must not lie after `now`."""
    ages_by_type: dict[str, list[float]] = {weight.type: [] for weight in model.events}
    for event in events:
        if event.type in ages_by_type:
            ages_by_type[event.type].append((now - event.occurred_at).total_seconds() / SECONDS_PER_DAY)
    return tuple(_contribution(weight, ages_by_type[weight.type], model.half_life_days) for weight in model.events)


def _contribution(weight: EventWeight, ages: list[float], half_life_days: float | None) -> EventContribution:
    decays = [1.0 if half_life_days is None else 0.5 ** (age / half_life_days) for age in ages]
    raw = math.fsum(weight.points * decay for decay in decays)
    capped = weight.cap is not None and abs(raw) > weight.cap
    contribution = _capped(raw, weight.cap)
    # Shown as "decayed" only where decay cost whole points: a click a minute ago is not "decayed".
    undecayed = _capped(weight.points * len(ages), weight.cap)
    decayed = math.floor(undecayed + 0.5) != math.floor(contribution + 0.5)
    return EventContribution(weight, len(ages), contribution, decayed, capped, raw)


def _capped(raw: float, cap: float | None) -> float:
    return math.copysign(cap, raw) if cap is not None and abs(raw) > cap else raw


def event_windows(events: Sequence[EngagementEvent], now: datetime) -> dict[str, list[str]]:
    """Return the sorted distinct event types per window (`events_last_7d`, …, `events_ever`)."""
    windows = {
        name: sorted({event.type for event in events if now - timedelta(days=days) <= event.occurred_at})
        for name, days in EVENT_WINDOWS.items()
    }
    windows["events_ever"] = sorted({event.type for event in events})
    return windows
