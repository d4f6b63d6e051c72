"""What nurture reads and writes in HubSpot: the properties its conditions name, and an offer's contact writes."""

from __future__ import annotations

from datetime import datetime

from app.rules.nurture.policy import NurtureConfig
from app.rules.properties import NURTURE_STEP, NURTURE_STEP_AT, NURTURE_TRACK
from app.rules.scoring.writes import format_datetime


def reads_of(config: NurtureConfig) -> tuple[frozenset[str], frozenset[str]]:
    """Return the contact and the company property names nurture's conditions read (suppression included)."""
    references: dict[str, set[str]] = {"contact": set(), "company": set()}
    conditions = [config.suppress_when]
    for track in config.tracks:
        conditions += [condition for condition in (track.enter, track.exit) if condition is not None]
        conditions += [step.when for step in track.steps if step.when is not None]
    for condition in conditions:
        for object_name, name in condition.property_references():
            references[object_name].add(name)
    return frozenset(references["contact"]), frozenset(references["company"])


def offer_writes(track: str, step: str, now: datetime) -> dict[str, str]:
    """Return the contact writes that offer `step` of `track` now (a workflow per step sends its content)."""
    return {NURTURE_TRACK: track, NURTURE_STEP: step, NURTURE_STEP_AT: format_datetime(now)}
