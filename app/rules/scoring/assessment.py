"""Assessment of one contact: fit, engagement, score, grade, stage and reasons (SCORING-MODEL.md)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.rules.expressions import FactMemo, PropertyRecord, RecordMemo
from app.rules.scoring.engagement import EngagementEvent, EventContribution, event_contributions, event_windows
from app.rules.scoring.model import GradeBand, ScoringModel
from app.rules.values import as_utc, convert_properties

SEPARATOR = " · "
ELLIPSIS = "…"
MAX_REASONS_LENGTH = 1000
"""`leadflow_score_reasons` is read in a HubSpot sidebar card: keep it short."""


@dataclass(frozen=True, slots=True)
class Reason:
    """Why the score is what it is: a matched fit rule, or an event type with a contribution."""

    id: str
    label: str
    points: int
    count: int | None = None
    decayed: bool = False
    capped: bool = False


@dataclass(frozen=True, slots=True)
class Blocked:
    """A stage whose condition matched but whose required properties are missing."""

    stage: str
    missing: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Assessment:
    """The result of assessing one contact with one scoring model."""

    fit: int
    engagement: int
    score: int
    grade: str
    stage: str | None
    blocked: tuple[Blocked, ...]
    model: str
    reasons: tuple[Reason, ...]


def assess(
    model: ScoringModel,
    contact: Mapping[str, object],
    company: Mapping[str, object],
    events: Iterable[EngagementEvent],
    now: datetime,
    property_types: Mapping[str, str] | None = None,
) -> Assessment:
    """Assess a contact, its primary company and its engagement events at `now`."""
    now = as_utc(now)
    records = property_records(model, contact, company, property_types)
    counted = [event for event in in_utc(events) if event.occurred_at <= now]
    return assess_counted(model, records, counted, now)[0]


def property_records(
    model: ScoringModel,
    contact: Mapping[str, object],
    company: Mapping[str, object],
    property_types: Mapping[str, str] | None = None,
) -> dict[str, PropertyRecord]:
    """Return the contact's and the company's values converted to their types, as the rules read them."""
    types = {**(property_types or {}), **model.property_types}
    return {
        "contact": PropertyRecord(convert_properties(contact, "contact", types)),
        "company": PropertyRecord(convert_properties(company, "company", types)),
    }


def assess_counted(
    model: ScoringModel,
    records: Mapping[str, PropertyRecord],
    counted: Sequence[EngagementEvent],
    now: datetime,
    fitted: tuple[int, list[Reason]] | None = None,
) -> tuple[Assessment, tuple[EventContribution, ...]]:
    """Assess converted records and the UTC events that count at `now`; also return each event type's share.
    `fitted`: the records' `fit_of`, when the caller already has it (the replay: once per version of the values)."""
    fit, fit_reasons = fitted if fitted is not None else fit_of(model, records)
    contributions = event_contributions(model, counted, now)
    engagement, event_reasons = _engagement(model, contributions)
    grade = grade_of(model, fit, engagement)
    stage, blocked = stage_at(model, records, counted, now, fit, engagement, grade)
    reasons = sorted([*fit_reasons, *event_reasons], key=lambda reason: (-abs(reason.points), reason.id))
    assessment = Assessment(fit, engagement, fit + engagement, grade, stage, blocked, model.model, tuple(reasons))
    return assessment, contributions


def grade_of(model: ScoringModel, fit: int, engagement: int) -> str:
    """Return the grade of a fit and an engagement: the fit band's label, then the engagement band's."""
    return _grade_label(model.fit_grades, fit) + _grade_label(model.engagement_grades, engagement)


def stage_at(
    model: ScoringModel,
    records: Mapping[str, PropertyRecord],
    counted: Sequence[EngagementEvent],
    now: datetime,
    fit: int,
    engagement: int,
    grade: str,
) -> tuple[str | None, tuple[Blocked, ...]]:
    """Return the stage and the blocked stages of these values, with the event windows as they are at `now`."""
    return stage_of_facts(model, stage_facts(records, counted, now, fit, engagement, grade))


def stage_facts(
    records: Mapping[str, PropertyRecord],
    counted: Sequence[EngagementEvent],
    now: datetime,
    fit: int,
    engagement: int,
    grade: str,
) -> dict[str, object]:
    """Return the names a stage's condition reads (and nurture's, which adds `stage`): the converted records, the
    event windows as they are at `now`, fit, engagement, score and grade."""
    return {
        **records,
        **event_windows(counted, now),
        "fit": fit,
        "engagement": engagement,
        "score": fit + engagement,
        "grade": grade,
    }


def render_reasons(reasons: Iterable[Reason], max_length: int = MAX_REASONS_LENGTH) -> str:
    """Render reasons as `+30 Decision maker · +4 Whitepaper download (1×, decayed)`, cut to max_length."""
    parts = [render_reason(reason) for reason in reasons]
    text = SEPARATOR.join(parts)
    if len(text) <= max_length:
        return text
    kept: list[str] = []
    for part in parts:
        if len(SEPARATOR.join([*kept, part, ELLIPSIS])) > max_length:
            break
        kept.append(part)
    if kept:
        return SEPARATOR.join([*kept, ELLIPSIS])
    return text[: max(max_length - len(ELLIPSIS), 0)] + ELLIPSIS


def render_reason(reason: Reason) -> str:
    """Render one reason: signed points, label and, for events, the count and flags."""
    text = f"{reason.points:+d} {reason.label}"
    if reason.count is None:
        return text
    details = [f"{reason.count}×"]
    if reason.decayed:
        details.append("decayed")
    if reason.capped:
        details.append("capped")
    return f"{text} ({', '.join(details)})"


def round_half_up(value: float) -> int:
    """Round to the nearest integer, halves up: floor(x + 0.5)."""
    return math.floor(value + 0.5)


def clamp(value: float, low: float, high: float) -> float:
    """Clamp a value into [low, high]."""
    return min(max(value, low), high)


def in_utc(events: Iterable[EngagementEvent]) -> list[EngagementEvent]:
    """Return the events with naive times read as UTC."""
    return [
        event if event.occurred_at.utcoffset() is not None else EngagementEvent(event.type, as_utc(event.occurred_at))
        for event in events
    ]


FIT_MEMO = RecordMemo()
STAGE_MEMO = FactMemo()


def fit_of(model: ScoringModel, records: Mapping[str, PropertyRecord]) -> tuple[int, list[Reason]]:
    """Return the fit of converted records and the reasons of the fit rules that matched."""
    matched = [rule for rule in model.fit_rules if FIT_MEMO.matches(rule.condition, records)]
    fit_raw = math.fsum(rule.points for rule in matched)
    reasons = [Reason(rule.id, rule.label, points) for rule in matched if (points := round_half_up(rule.points))]
    return round_half_up(clamp(fit_raw, 0, model.fit_limit)), reasons


def _engagement(model: ScoringModel, every: tuple[EventContribution, ...]) -> tuple[int, list[Reason]]:
    contributions = [c for c in every if c.contribution != 0]
    engagement_raw = math.fsum(c.contribution for c in contributions)
    # A contribution that rounds to 0 explains nothing: it is left out of the reasons (it still counts above).
    reasons = [reason for reason in map(_event_reason, contributions) if reason.points]
    return round_half_up(clamp(engagement_raw, 0, model.engagement_limit)), reasons


def _grade_label(bands: tuple[GradeBand, ...], value: int) -> str:
    return next((band.label for band in bands if band.threshold <= value), "")


def stage_of_facts(model: ScoringModel, facts: Mapping[str, object]) -> tuple[str | None, tuple[Blocked, ...]]:
    """Return the stage and the blocked stages of `stage_facts`: the first stage whose condition matches and whose
    required properties are present."""
    blocked: list[Blocked] = []
    for stage in model.stages:
        if not STAGE_MEMO.matches(stage.condition, facts):
            continue
        missing = tuple(ref.text for ref in stage.requires if not _present(facts[ref.object_name], ref.name))
        if not missing:
            return stage.id, tuple(blocked)
        blocked.append(Blocked(stage.id, missing))
    return None, tuple(blocked)


def _present(record: object, name: str) -> bool:
    return isinstance(record, PropertyRecord) and name in record.values


def _event_reason(contribution: EventContribution) -> Reason:
    weight = contribution.weight
    points = round_half_up(contribution.contribution)
    return Reason(weight.type, weight.label, points, contribution.count, contribution.decayed, contribution.capped)
