"""Loading config/nurture.yaml: check steps and conditions against the scoring model, build the pacing, freeze."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import time, timedelta
from typing import Any

from rule_engine.types import DataType

from app.rules.config import ConfigFile, declared_property_types, parse_config, reject_duplicates
from app.rules.config import time_zone as named_time_zone
from app.rules.errors import ConfigError
from app.rules.expressions import STAGE_NAMES, Condition, ExpressionError, compile_condition, literal_values
from app.rules.nurture.policy import Delivery, NurtureConfig, Pacing, QuietHours, Step, Track
from app.rules.nurture.schema import DeliverySpec, NurtureSpec, PacingSpec, QuietHoursSpec, StepSpec, TrackSpec
from app.rules.scoring.model import ScoringModel

NURTURE_NAMES: Mapping[str, Any] = {**STAGE_NAMES, "stage": DataType.STRING}
"""What nurture conditions read: the stage rules' names plus the contact's stage (null when it has none)."""
ANCHORS = ((("tracks",), "track"),)


def nurture_file(model: ScoringModel) -> ConfigFile[NurtureSpec, NurtureConfig]:
    """config/nurture.yaml, for a scoring model (its event types, stages and property types)."""

    def compile_nurture(spec: NurtureSpec, file: str) -> NurtureConfig:
        return _compile(spec, file, model)

    return ConfigFile("nurture.yaml", NurtureSpec, compile_nurture, ANCHORS)


def parse_nurture(text: str, model: ScoringModel, file: str = "<nurture>") -> NurtureConfig:
    """Validate and compile the text of a nurture file; `file` names it in errors."""
    return parse_config(nurture_file(model), text, file)


def _compile(spec: NurtureSpec, file: str, model: ScoringModel) -> NurtureConfig:
    reject_duplicates(file, "track", (track.id for track in spec.tracks))
    reject_duplicates(file, "step", (step.id for track in spec.tracks for step in track.steps))
    _reject_same_priority(file, spec.tracks)
    tracks = tuple(_track(file, track, model) for track in sorted(spec.tracks, key=lambda t: -t.priority))
    if spec.recycled_track is not None and spec.recycled_track not in {track.id for track in tracks}:
        problem = f"no track {spec.recycled_track!r} (tracks: {', '.join(track.id for track in spec.tracks)})"
        raise ConfigError(file, "recycled_track", problem, subject="")
    declared = declared_property_types(file, spec.properties)
    return NurtureConfig(
        tracks=tracks,
        pacing=_pacing(file, spec.pacing),
        suppress_when=_condition(file, ("pacing", ""), "suppress_when", spec.pacing.suppress_when, model),
        recycled_track=spec.recycled_track,
        property_types={**model.property_types, **declared},
        delivery=_delivery(file, spec.delivery, [step.id for track in spec.tracks for step in track.steps]),
    )


def _delivery(file: str, spec: DeliverySpec, step_ids: list[str]) -> Delivery:
    for step_id in spec.lists:
        if step_id not in step_ids:
            problem = f"no step {step_id!r} (steps: {', '.join(step_ids)})"
            raise ConfigError(file, "delivery.lists", problem, subject="")
    sequence_id = spec.sequence.id if spec.sequence is not None else None
    return Delivery(dict(spec.lists), sequence_id)


def _reject_same_priority(file: str, tracks: list[TrackSpec]) -> None:
    seen: dict[int, str] = {}
    for track in tracks:
        if track.priority in seen:
            problem = f"track {seen[track.priority]!r} has priority {track.priority} too: which one wins?"
            raise ConfigError(file, track.id, problem, subject="track")
        seen[track.priority] = track.id


def _track(file: str, spec: TrackSpec, model: ScoringModel) -> Track:
    def condition(key: str, text: str | None) -> Condition | None:
        return None if text is None else _condition(file, (spec.id, "track"), key, text, model)

    steps = tuple(_step(file, step, model) for step in spec.steps)
    enter, exit_ = condition("enter", spec.enter), condition("exit", spec.exit)
    return Track(spec.id, spec.label or spec.id, spec.priority, steps, enter, exit_)


def _step(file: str, spec: StepSpec, model: ScoringModel) -> Step:
    _known_events(file, spec.id, "after", spec.after, model.event_types)
    _known_events(file, spec.id, "completed_by", spec.completed_by, model.event_types)
    when = None if spec.when is None else _condition(file, (spec.id, "step"), "when", spec.when, model)
    return Step(spec.id, spec.label or spec.id, frozenset(spec.after), when, frozenset(spec.completed_by))


def _known_events(file: str, step_id: str, key: str, types: list[str], known: Collection[str]) -> None:
    for event_type in types:
        if event_type not in known:
            problem = (
                f"'{key}': {event_type!r} is not an event type of the scoring model (its types: {', '.join(known)})"
            )
            raise ConfigError(file, step_id, problem, subject="step")


def _condition(file: str, where: tuple[str, str], key: str, text: str, model: ScoringModel) -> Condition:
    """Compile a condition of the file; `where` is (rule, subject) as the error names it, `key` its key."""
    try:
        condition = compile_condition(text, NURTURE_NAMES)
    except ExpressionError as error:
        raise ConfigError(file, where[0], f"'{key}': {error.detail}", subject=where[1]) from None
    unknown = sorted(literal_values(condition, "stage") - set(model.stage_ids))
    if unknown:
        problem = f"{unknown[0]!r} is not a stage of the scoring model (its stages: {', '.join(model.stage_ids)})"
        raise ConfigError(file, where[0], f"'{key}': {problem}", subject=where[1])
    return condition


def _pacing(file: str, spec: PacingSpec) -> Pacing:
    quiet = None if spec.quiet_hours is None else _quiet_hours(file, spec.quiet_hours)
    return Pacing(spec.max_touches, timedelta(days=spec.window_days), timedelta(days=spec.min_gap_days), quiet)


def _quiet_hours(file: str, spec: QuietHoursSpec) -> QuietHours:
    zone = named_time_zone(file, "pacing.quiet_hours", spec.time_zone)
    start, end = time.fromisoformat(spec.start), time.fromisoformat(spec.end)
    if start == end:
        raise ConfigError(file, "pacing.quiet_hours", "'start' and 'end' are the same time", subject="")
    return QuietHours(start, end, zone)
