"""When an assessment changes with no new signal: decay, event windows that close, events dated ahead.

`next_change_at` is the earliest moment at which the values Leadflow writes for a contact (fit, engagement, score,
grade, stage, the stages blocked on missing data, and the reasons text) would differ from the assessment at `now`
if nothing else happened. The decay sweep re-assesses a contact once that moment has passed (docs/scoring-model.md).

Decay scales every event by the same factor: Δ days later, `f = 0.5 ** (Δ / half_life_days)`, so an event type's
decayed sum becomes `raw × f` and its contribution `sign × min(|raw| × f, cap)`. Their total is piecewise linear
in `f` (one piece per cap that stops biting), so the moment each rounded value changes is solved exactly, piece by
piece, never searched by stepping through time. Fit rules do not depend on time (a rule that reads rule-engine's
`$now` is the exception and is not followed). An event dated ahead of `now` (a clock running fast) makes its moment
a change, whether or not it changes a value: it is rare, and looking again then costs one re-assessment.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from app.rules.expressions import PropertyRecord, read_names
from app.rules.scoring.assessment import (
    Assessment,
    Reason,
    assess_counted,
    grade_of,
    in_utc,
    property_records,
    round_half_up,
    stage_at,
    stage_facts,
    stage_of_facts,
)
from app.rules.scoring.engagement import EVENT_WINDOWS, EngagementEvent, EventContribution
from app.rules.scoring.model import ScoringModel, Stage
from app.rules.values import as_utc

MARGIN = timedelta(milliseconds=1)
"""Added to a solved crossing, so the re-assessment lands past it whatever floating point did (the solved moment
is off by far less than a microsecond)."""
HORIZON_DAYS = 36_500.0  # a change further off than a century is no change
STAGE_DECAY_VALUES = 1_000  # engagement values followed along the decay before the walk looks again anyway


@dataclass(frozen=True, slots=True)
class TimedAssessment:
    """An assessment and the moment its written values change by time alone (None: never)."""

    assessment: Assessment
    next_change_at: datetime | None


def assess_over_time(
    model: ScoringModel,
    contact: Mapping[str, object],
    company: Mapping[str, object],
    events: Iterable[EngagementEvent],
    now: datetime,
    property_types: Mapping[str, str] | None = None,
) -> TimedAssessment:
    """Assess a contact at `now` (exactly as `assess`) and find when that assessment stops being true."""
    return _over_time(model, contact, company, events, now, property_types, stage_only=False)


def assess_stage_over_time(
    model: ScoringModel,
    contact: Mapping[str, object],
    company: Mapping[str, object],
    events: Iterable[EngagementEvent],
    now: datetime,
    property_types: Mapping[str, str] | None = None,
) -> TimedAssessment:
    """As `assess_over_time`, but `next_change_at` is the first moment the **stage** may change by time alone:
    decay brings the rounded engagement (score and grade with it) to a value whose stage differs — followed from
    value to value while the events and the windows stay as they are — or an event window the stage rules read
    closes; changes of the reasons alone, and of engagement values that keep the stage, are passed over (the
    backtest's replay walks stages, not written values)."""
    return _over_time(model, contact, company, events, now, property_types, stage_only=True)


def _over_time(
    model: ScoringModel,
    contact: Mapping[str, object],
    company: Mapping[str, object],
    events: Iterable[EngagementEvent],
    now: datetime,
    property_types: Mapping[str, str] | None,
    *,
    stage_only: bool,
) -> TimedAssessment:
    now = as_utc(now)
    records = property_records(model, contact, company, property_types)
    every = in_utc(events)
    counted = [event for event in every if event.occurred_at <= now]
    dated_ahead = min((event.occurred_at for event in every if event.occurred_at > now), default=None)
    return _timed(model, records, None, counted, dated_ahead, now, stage_only)


def stage_over_time_counted(
    model: ScoringModel,
    records: Mapping[str, PropertyRecord],
    fitted: tuple[int, list[Reason]],
    counted: Sequence[EngagementEvent],
    dated_ahead: datetime | None,
    now: datetime,
) -> TimedAssessment:
    """As `assess_stage_over_time`, on inputs already converted: the records with their `fit_of`, the UTC events
    that count at `now` and the first event dated after it (the backtest's replay converts them once per version
    of the values, not at every moment)."""
    return _timed(model, records, fitted, counted, dated_ahead, now, stage_only=True)


def _timed(
    model: ScoringModel,
    records: Mapping[str, PropertyRecord],
    fitted: tuple[int, list[Reason]] | None,
    counted: Sequence[EngagementEvent],
    dated_ahead: datetime | None,
    now: datetime,
    stage_only: bool,
) -> TimedAssessment:
    assessment, contributions = assess_counted(model, records, counted, now, fitted)
    decay = _decay_change(model, assessment, contributions, now, stage_only)
    window = _window_change(model, records, counted, now, assessment, _earliest(dated_ahead, decay))
    if stage_only and window is None and decay is not None and (dated_ahead is None or decay < dated_ahead):
        until = _earliest(dated_ahead, _first_closing(model, counted, now))
        decay = _stage_decay_change(model, records, counted, now, assessment, contributions, until)
    return TimedAssessment(assessment, _next_millisecond(_earliest(window, dated_ahead, decay)))


def decay_factor_of_change(contributions: Iterable[EventContribution], limit: float, engagement: int) -> float | None:
    """Return the largest decay factor below the present one (1) at which the rounded engagement, an event
    type's rounded points or its "capped" mark changes; None when decay changes none of them."""
    parts = [contribution for contribution in contributions if contribution.raw]
    factors = [factor for part in parts for factor in _reason_factors(part)]
    total = _total_factor([(part.raw, part.weight.cap) for part in parts], limit, engagement)
    if total is not None:
        factors.append(total)
    return max(factors, default=None)


def _decay_change(
    model: ScoringModel,
    assessment: Assessment,
    contributions: tuple[EventContribution, ...],
    now: datetime,
    stage_only: bool = False,
) -> datetime | None:
    if model.half_life_days is None:
        return None
    if stage_only:  # only the rounded engagement: the stage reads it, not the reasons
        parts = [(part.raw, part.weight.cap) for part in contributions if part.raw]
        factor = _total_factor(parts, model.engagement_limit, assessment.engagement)
    else:
        factor = decay_factor_of_change(contributions, model.engagement_limit, assessment.engagement)
    return _decay_moment(model.half_life_days, now, factor)


def _decay_moment(half_life_days: float, now: datetime, factor: float | None) -> datetime | None:
    """The moment decay has scaled every event by `factor` since `now` (plus the margin); None: never."""
    if factor is None or factor <= 0:
        return None
    days = half_life_days * math.log2(1 / min(factor, 1.0))
    return now + timedelta(days=days) + MARGIN if days <= HORIZON_DAYS else None


def _stage_decay_change(
    model: ScoringModel,
    records: Mapping[str, PropertyRecord],
    counted: Sequence[EngagementEvent],
    now: datetime,
    assessment: Assessment,
    contributions: tuple[EventContribution, ...],
    until: datetime | None,
) -> datetime | None:
    """The first moment decay alone brings the rounded engagement to a value whose stage differs, following the
    engagement from value to value without re-assessing: the inputs and the event windows stay as they are at `now`
    until `until` (the next event, the next window closing), so only engagement, score and grade move. A crossing
    at or after `until` ends the search there (at the first crossing itself when no value was passed over)."""
    assert model.half_life_days is not None
    parts = [(part.raw, part.weight.cap) for part in contributions if part.raw]
    engagement, factor, passed = assessment.engagement, 1.0, False
    fit = assessment.fit
    facts = stage_facts(records, counted, now, fit, engagement, assessment.grade)
    for _ in range(STAGE_DECAY_VALUES):
        crossing = _total_crossing(parts, model.engagement_limit, engagement, factor)
        moment = _decay_moment(model.half_life_days, now, None if crossing is None else crossing[0])
        if crossing is None or moment is None:
            return None
        if until is not None and moment >= until:
            return until if passed else moment
        factor, engagement = crossing
        facts.update(engagement=engagement, score=fit + engagement, grade=grade_of(model, fit, engagement))
        if stage_of_facts(model, facts)[0] != assessment.stage:
            return moment
        passed = True
    return moment


def _first_closing(model: ScoringModel, counted: Sequence[EngagementEvent], now: datetime) -> datetime | None:
    """The first window closing at or after `now`: the last moment an event type is still in a window the stage
    rules read (it leaves the window a microsecond later)."""
    windows = stage_window_days(model.stages)
    latest: dict[str, datetime] = {}
    for event in counted:
        if event.type not in latest or latest[event.type] < event.occurred_at:
            latest[event.type] = event.occurred_at
    closing = [at + timedelta(days=days) for at in latest.values() for days in windows]
    return min((closes for closes in closing if closes >= now), default=None) if closing else None


def _reason_factors(part: EventContribution) -> Iterator[float]:
    """The factors at which the type's shown reason changes: its rounded points move by one, its cap stops biting."""
    points = round_half_up(part.contribution)
    if not points:
        return  # a reason of 0 points is not shown; decay only brings it closer to 0
    yield (abs(points) - 0.5) / abs(part.raw)
    if part.capped and part.weight.cap is not None:
        yield part.weight.cap / abs(part.raw)


def _total_factor(parts: list[tuple[float, float | None]], limit: float, engagement: int) -> float | None:
    """The largest factor at which round_half_up(clamp(Σ contributions, 0, limit)) leaves `engagement`."""
    crossing = _total_crossing(parts, limit, engagement)
    return None if crossing is None else crossing[0]


def _total_crossing(
    parts: list[tuple[float, float | None]], limit: float, engagement: int, start: float = 1.0
) -> tuple[float, int] | None:
    """The largest factor at (below `start`: strictly) which round_half_up(clamp(Σ contributions, 0, limit))
    leaves `engagement`, and the value it takes then (one less or one more); `parts`: (raw, cap) at factor 1."""
    if not parts:
        return None
    low = engagement - 0.5 if engagement >= 1 else None  # clamped at 0, the value cannot fall below 0
    high = engagement + 0.5 if limit >= engagement + 0.5 else None  # clamped at the limit
    caps_end = sorted({cap / abs(raw) for raw, cap in parts if cap is not None and abs(raw) > cap}, reverse=True)
    upper = start
    for lower in [*(end for end in caps_end if end < start), 0.0]:
        middle = (lower + upper) / 2
        capped = [math.copysign(cap, raw) for raw, cap in parts if cap is not None and abs(raw) * middle >= cap]
        free = [raw for raw, cap in parts if cap is None or abs(raw) * middle < cap]
        fixed, slope = math.fsum(capped), math.fsum(free)  # on [lower, upper]: total = fixed + slope × f
        crossing = _crossing(fixed, slope, low if slope > 0 else high if slope < 0 else None)
        if crossing is not None and lower <= crossing <= upper and (start == 1.0 or crossing < start):
            return crossing, engagement - 1 if slope > 0 else engagement + 1
        upper = lower
    return None


def _crossing(fixed: float, slope: float, threshold: float | None) -> float | None:
    return None if threshold is None or slope == 0 else (threshold - fixed) / slope


def _window_change(
    model: ScoringModel,
    records: Mapping[str, PropertyRecord],
    counted: Sequence[EngagementEvent],
    now: datetime,
    assessment: Assessment,
    before: datetime | None,
) -> datetime | None:
    """The first moment before `before` at which an event type leaving a window the stage rules read changes the
    stage or the blocked stages (fit and engagement keep their values until `before`)."""
    windows = stage_window_days(model.stages)
    if not windows or not counted:
        return None
    latest: dict[str, datetime] = {}
    for event in counted:
        if event.type not in latest or latest[event.type] < event.occurred_at:
            latest[event.type] = event.occurred_at
    closing = sorted({at + timedelta(days=days) for at in latest.values() for days in windows})
    current = (assessment.stage, assessment.blocked)
    for closes in closing:
        if closes < now:
            continue
        if before is not None and closes >= before:
            break
        after = closes + timedelta(microseconds=1)  # a window holds events up to exactly its length ago
        if stage_at(model, records, counted, after, assessment.fit, assessment.engagement, assessment.grade) != current:
            return after
    return None


@lru_cache(maxsize=64)
def stage_window_days(stages: tuple[Stage, ...]) -> tuple[int, ...]:
    """The lengths of the event windows (`events_last_30d`, …) the stage rules read; all of them where a rule
    reads a built-in symbol (its names cannot be known)."""
    names: set[str] = set()
    for stage in stages:
        read = read_names(stage.condition)
        if read is None:
            return tuple(sorted(EVENT_WINDOWS.values()))
        names.update(read)
    return tuple(sorted(days for name, days in EVENT_WINDOWS.items() if name in names))


def _earliest(*moments: datetime | None) -> datetime | None:
    return min((moment for moment in moments if moment is not None), default=None)


def _next_millisecond(moment: datetime | None) -> datetime | None:
    """Round up to the millisecond (HubSpot's and the ledger's time stamps need no finer time)."""
    if moment is None or not moment.microsecond % 1000:
        return moment
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000) + timedelta(milliseconds=1)
