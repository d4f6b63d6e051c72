"""The compiled content of config/nurture.yaml: tracks of ordered steps, and the pacing of offers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from app.rules.expressions import Condition


@dataclass(frozen=True, slots=True)
class Step:
    """A piece of content: offered once `after` engagements happened (any of them; none: at once) and `when` holds."""

    id: str
    label: str
    after: frozenset[str] = frozenset()
    when: Condition | None = None
    completed_by: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Track:
    """The steps of one funnel phase, for contacts that `enter` (or already hold a step of it) and do not `exit`."""

    id: str
    label: str
    priority: int
    steps: tuple[Step, ...]
    enter: Condition | None = None
    exit: Condition | None = None


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local times without offers, from `start` up to `end` (over midnight when `end` is not after `start`)."""

    start: time
    end: time
    zone: ZoneInfo

    def holds(self, local: time) -> bool:
        """Return whether a local wall-clock time lies in the quiet hours."""
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True, slots=True)
class Pacing:
    """At most `max_touches` offers in any `window`, `min_gap` apart, outside the quiet hours."""

    max_touches: int = 3
    window: timedelta = timedelta(days=30)
    min_gap: timedelta = timedelta(days=5)
    quiet_hours: QuietHours | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    """The optional delivery adapters (off unless configured): the MANUAL list (ILS id) a step's contacts join when
    it is offered, by step id; the sales sequence a contact is enrolled in when it is handed over."""

    lists: Mapping[str, str] = field(default_factory=dict)
    sequence_id: str | None = None


@dataclass(frozen=True, slots=True)
class NurtureConfig:
    """A loaded config/nurture.yaml (see docs/nurture.md)."""

    tracks: tuple[Track, ...]  # highest priority first
    pacing: Pacing
    suppress_when: Condition
    recycled_track: str | None = None
    property_types: Mapping[str, str] = field(default_factory=dict)
    delivery: Delivery = field(default_factory=Delivery)

    def track(self, track_id: str) -> Track | None:
        """Return the track with this id, if there is one."""
        return next((track for track in self.tracks if track.id == track_id), None)

    @property
    def step_ids(self) -> tuple[str, ...]:
        """Every step's content id, track by track (the options of `leadflow_nurture_step`)."""
        return tuple(step.id for track in self.tracks for step in track.steps)
