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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.rules.expressions import PropertyRecord
from app.rules.scoring.assessment import Reason, assess, assess_counted, fit_of, in_utc, property_records
from app.rules.scoring.engagement import EngagementEvent
from app.rules.scoring.model import ScoringModel
from app.rules.scoring.timeline import TimedAssessment, stage_over_time_counted
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
        index = self.index_at(moment)
        return self.versions[index].values if index >= 0 else {}

    def index_at(self, moment: datetime) -> int:
        """Return the index of the version holding at `moment`; -1 before the first one."""
        return len(self.versions) - len(self._starts) + bisect_right(self._starts, moment) - 1

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
    walk = ContactWalk(model, contact)
    moment = start
    timed = walk.timed(moment)
    initial = stage = timed.assessment.stage
    changes: list[StageChange] = []
    while True:
        upcoming = [m for m in (timed.next_change_at, *walk.next_inputs(moment)) if m is not None]
        following = max(min(upcoming), moment + MICROSECOND) if upcoming else None
        if following is None or following >= end or moment >= end:
            break
        timed = walk.timed(following)
        if timed.assessment.stage != stage:
            exact = following in walk.exact_moments
            at = following if exact else _first_moment(walk, moment, following, stage)
            changes.append(StageChange(at, stage, timed.assessment.stage))
            stage = timed.assessment.stage
        moment = following
    return StageTimeline(start, end, initial, tuple(changes))


def stage_of(model: ScoringModel, contact: ReplayContact, moment: datetime) -> str | None:
    """The stage `assess` gives the contact at `moment` with the values holding then (the replay's reference)."""
    values, company = contact.contact.at(moment), contact.company.at(moment)
    return assess(model, values, company, contact.events, moment, contact.property_types).stage


class ContactWalk:
    """One contact's inputs as `assess` reads them at any moment, prepared once for its replay under one model:
    its events in UTC and in order (those counted at a moment are a prefix), and its values converted to their
    types, with their fit, once per version of the contact's and the company's values — the same inputs, so the
    same results, as `assess` on the raw values at every moment."""

    def __init__(self, model: ScoringModel, contact: ReplayContact) -> None:
        self.model = model
        self.contact = contact
        self.events = sorted(in_utc(contact.events), key=lambda event: event.occurred_at)
        self.times = [event.occurred_at for event in self.events]
        starts = (v.since for v in (*contact.contact.versions, *contact.company.versions) if v.since is not None)
        self.exact_moments = {*self.times, *starts}
        """Moments at which a change happens exactly (an event, a new version), not by a solved crossing."""
        self._converted: dict[tuple[int, int], tuple[dict[str, PropertyRecord], tuple[int, list[Reason]]]] = {}

    def timed(self, moment: datetime) -> TimedAssessment:
        """`assess_stage_over_time` of the contact at `moment`, with the values holding then."""
        records, fitted = self._values(moment)
        count = bisect_right(self.times, moment)
        ahead = self.times[count] if count < len(self.times) else None
        return stage_over_time_counted(self.model, records, fitted, self.events[:count], ahead, moment)

    def stage(self, moment: datetime) -> str | None:
        """The stage `assess` gives the contact at `moment` (as `stage_of`)."""
        records, fitted = self._values(moment)
        counted = self.events[: bisect_right(self.times, moment)]
        return assess_counted(self.model, records, counted, moment, fitted)[0].stage

    def next_inputs(self, moment: datetime) -> tuple[datetime | None, ...]:
        """The next moments after `moment` at which the inputs change: a version of the values starts, an event
        occurs."""
        index = bisect_right(self.times, moment)
        event = self.times[index] if index < len(self.times) else None
        return self.contact.contact.next_after(moment), self.contact.company.next_after(moment), event

    def _values(self, moment: datetime) -> tuple[dict[str, PropertyRecord], tuple[int, list[Reason]]]:
        contact, company = self.contact.contact, self.contact.company
        key = contact.index_at(moment), company.index_at(moment)
        if key not in self._converted:
            types = self.contact.property_types
            records = property_records(self.model, contact.at(moment), company.at(moment), types)
            self._converted[key] = records, fit_of(self.model, records)
        return self._converted[key]


def _first_moment(walk: ContactWalk, before: datetime, after: datetime, stage: str | None) -> datetime:
    """The first microsecond in `(before, after]` at which the stage is no longer `stage` (it is at `before`)."""
    low = max(before, after - SETTLE)
    if low > before and walk.stage(low) != stage:
        low = before
    high = after
    while high - low > MICROSECOND:
        middle = low + (high - low) // 2
        if walk.stage(middle) != stage:
            high = middle
        else:
            low = middle
    return high


def stages_at(timeline: StageTimeline, moments: Sequence[datetime]) -> list[str | None]:
    """The timeline's stage at each of the moments."""
    return [timeline.stage_at(as_utc(moment)) for moment in moments]
