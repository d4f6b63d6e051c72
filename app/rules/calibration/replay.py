"""Replaying one contact under one scoring model: its stage timeline, as `assess` would have said at every moment.

The contact's and its company's property values are given as versions over time (`Versions`: each value set holds
from its `since` until the next one's); the engagement events as they were recorded. The replay walks the timeline
from moment to moment with `assess_stage_over_time` — the code of `leadflow assess --at` — jumping from the moment
of one assessment to the earliest of: its `next_change_at` (the rounded engagement decaying, a window closing, an
event dated ahead), the next event and the next version of the values. It never samples blindly, so no change is
missed, and every stage change is placed at the first microsecond at which `assess` gives the new stage.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from app.rules.scoring.assessment import assess, in_utc
from app.rules.scoring.engagement import EngagementEvent
from app.rules.scoring.model import ScoringModel
from app.rules.scoring.timeline import TimedAssessment, assess_stage_over_time
from app.rules.values import as_utc

MICROSECOND = timedelta(microseconds=1)
EARLIEST = datetime.min.replace(tzinfo=UTC)
SETTLE = timedelta(milliseconds=3)
"""`next_change_at` lies at most 2 ms after the moment a value really changes (a solved crossing plus a margin,
rounded up to the millisecond): a stage change is looked for within this much before it."""


@dataclass(frozen=True, slots=True)
class Version:
    """Property values holding from `since` (None: from the beginning) until the next version's `since`."""

    since: datetime | None
    values: Mapping[str, object]


@dataclass(frozen=True)
class Versions:
    """An object's property values over time, oldest first; `todays`: only today's values were known (no history),
    used as if they had always held."""

    versions: tuple[Version, ...] = ()
    todays: bool = False
    _starts: tuple[datetime, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        normalized = tuple(
            Version(None if v.since is None else as_utc(v.since), v.values)
            for v in sorted(self.versions, key=lambda v: EARLIEST if v.since is None else as_utc(v.since))
        )
        object.__setattr__(self, "versions", normalized)
        object.__setattr__(self, "_starts", tuple(v.since for v in normalized if v.since is not None))

    @classmethod
    def today(cls, values: Mapping[str, object], since: datetime | None = None) -> Versions:
        """Today's values only, as if they had held since `since` (the object's creation; None: always), flagged
        `todays`."""
        return cls((Version(since, dict(values)),), todays=True)

    def at(self, moment: datetime) -> Mapping[str, object]:
        """Return the values holding at `moment` (none before the first version)."""
        current: Mapping[str, object] = {}
        for version in self.versions:
            if version.since is not None and version.since > moment:
                break
            current = version.values
        return current

    def next_after(self, moment: datetime) -> datetime | None:
        """Return the first version start after `moment`, or None."""
        index = bisect_right(self._starts, moment)
        return self._starts[index] if index < len(self._starts) else None

    @property
    def first(self) -> datetime | None:
        """The first version's start, or None (values from the beginning, or none at all)."""
        return self._starts[0] if self._starts else None


@dataclass(frozen=True)
class ReplayContact:
    """What the replay knows of one contact: its values and its company's over time, and its engagement events."""

    contact_id: str
    contact: Versions
    company: Versions
    events: tuple[EngagementEvent, ...]
    property_types: Mapping[str, str] = field(default_factory=dict)  # the portal's (setup's), as the drain reads them

    @property
    def beginning(self) -> datetime | None:
        """The earliest moment anything is known of the contact: its first event or first dated version."""
        moments = [e.occurred_at for e in self.events] + [v for v in (self.contact.first, self.company.first) if v]
        return min(moments, default=None)


@dataclass(frozen=True, slots=True)
class StageChange:
    """The contact's stage changed from `before` to `after` at `at` (the first moment `assess` gives `after`)."""

    at: datetime
    before: str | None
    after: str | None


@dataclass(frozen=True)
class StageTimeline:
    """The stage at `start` and every change of stage after it, up to `end` (excluded)."""

    start: datetime
    end: datetime
    initial: str | None
    changes: tuple[StageChange, ...]

    def stage_at(self, moment: datetime) -> str | None:
        """Return the stage at `moment` (within `[start, end)`)."""
        stage = self.initial
        for change in self.changes:
            if change.at > moment:
                break
            stage = change.after
        return stage


def replay_contact(model: ScoringModel, contact: ReplayContact, start: datetime, end: datetime) -> StageTimeline:
    """Walk the contact's stage under `model` from `start` to `end`, from change to change (none when `start` is
    not before `end`)."""
    start, end = as_utc(start), as_utc(end)
    events = tuple(in_utc(contact.events))
    contact = replace(contact, events=events)
    times = sorted({event.occurred_at for event in events})
    moment = start
    timed = _timed(model, contact, moment)
    initial = stage = timed.assessment.stage
    changes: list[StageChange] = []
    while True:
        upcoming = [m for m in (timed.next_change_at, *_next_inputs(contact, times, moment)) if m is not None]
        following = max(min(upcoming), moment + MICROSECOND) if upcoming else None
        if following is None or following >= end or moment >= end:
            break
        timed = _timed(model, contact, following)
        if timed.assessment.stage != stage:
            exact = following in _exact_moments(contact, following)
            at = following if exact else _first_moment(model, contact, moment, following, stage)
            changes.append(StageChange(at, stage, timed.assessment.stage))
            stage = timed.assessment.stage
        moment = following
    return StageTimeline(start, end, initial, tuple(changes))


def stage_of(model: ScoringModel, contact: ReplayContact, moment: datetime) -> str | None:
    """The stage `assess` gives the contact at `moment` with the values holding then (the replay's reference)."""
    values, company = contact.contact.at(moment), contact.company.at(moment)
    return assess(model, values, company, contact.events, moment, contact.property_types).stage


def _timed(model: ScoringModel, contact: ReplayContact, moment: datetime) -> TimedAssessment:
    values, company = contact.contact.at(moment), contact.company.at(moment)
    return assess_stage_over_time(model, values, company, contact.events, moment, contact.property_types)


def _next_inputs(contact: ReplayContact, times: Sequence[datetime], moment: datetime) -> Iterable[datetime | None]:
    """The next moments after `moment` at which the inputs change: a version of the values starts, an event occurs
    (`times`: the events' moments, sorted)."""
    index = bisect_right(times, moment)
    event = times[index] if index < len(times) else None
    return contact.contact.next_after(moment), contact.company.next_after(moment), event


def _exact_moments(contact: ReplayContact, moment: datetime) -> set[datetime]:
    """Moments at which a change happens exactly (an event, a new version), not by a solved crossing."""
    found = {event.occurred_at for event in contact.events if event.occurred_at == moment}
    found.update(v.since for v in (*contact.contact.versions, *contact.company.versions) if v.since == moment)
    return {m for m in found if m is not None}


def _first_moment(
    model: ScoringModel, contact: ReplayContact, before: datetime, after: datetime, stage: str | None
) -> datetime:
    """The first microsecond in `(before, after]` at which the stage is no longer `stage` (it is at `before`)."""
    low = max(before, after - SETTLE)
    if low > before and stage_of(model, contact, low) != stage:
        low = before
    high = after
    while high - low > MICROSECOND:
        middle = low + (high - low) // 2
        if stage_of(model, contact, middle) != stage:
            high = middle
        else:
            low = middle
    return high


def stages_at(timeline: StageTimeline, moments: Sequence[datetime]) -> list[str | None]:
    """The timeline's stage at each of the moments."""
    return [timeline.stage_at(as_utc(moment)) for moment in moments]
