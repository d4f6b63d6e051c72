"""The pure core of `leadflow assess`: one JSON Lines input line in, one output line out."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.rules.scoring.assessment import Assessment, assess
from app.rules.scoring.engagement import EngagementEvent
from app.rules.scoring.model import ScoringModel
from app.rules.values import to_timestamp

LINE_KEYS = ("id", "contact", "company", "events")  # the documented shape of an input line
EVENT_KEYS = ("type", "occurred_at")


@dataclass(frozen=True, slots=True)
class AssessRequest:
    """One parsed input line of `leadflow assess`."""

    id: str | int | None
    contact: Mapping[str, object]
    company: Mapping[str, object]
    events: tuple[EngagementEvent, ...]


class MalformedLineError(Exception):
    """An input line that cannot be assessed; `record_id` is its id where one could be read."""

    def __init__(self, problem: str, record_id: str | int | None = None) -> None:
        super().__init__(problem)
        self.record_id = record_id


def run_assess(
    model: ScoringModel, lines: Iterable[str], now: datetime, property_types: Mapping[str, str] | None = None
) -> Iterator[tuple[str, bool]]:
    """Yield one output JSON line and whether it is an assessment (not an error) per non-blank input line."""
    for line in lines:
        if not line.strip():
            continue
        output, ok = assess_line(model, line, now, property_types)
        yield json.dumps(output, ensure_ascii=False), ok


def assess_line(
    model: ScoringModel, line: str, now: datetime, property_types: Mapping[str, str] | None = None
) -> tuple[dict[str, Any], bool]:
    """Assess one JSON Lines input line; a malformed one gives `{"id": ..., "error": ...}` and False."""
    try:
        request = parse_request(line)
    except MalformedLineError as error:
        return {"id": error.record_id, "error": str(error)}, False
    assessment = assess(model, request.contact, request.company, request.events, now, property_types)
    return assessment_to_json(assessment, request.id), True


def assessment_to_json(assessment: Assessment, id: str | int | None) -> dict[str, Any]:
    """Return the output object of `leadflow assess` for an assessment."""
    return {
        "id": id,
        "fit": assessment.fit,
        "engagement": assessment.engagement,
        "score": assessment.score,
        "grade": assessment.grade,
        "stage": assessment.stage,
        "blocked": [{"stage": b.stage, "missing": list(b.missing)} for b in assessment.blocked],
        "model": assessment.model,
        "reasons": [
            {
                "id": r.id,
                "label": r.label,
                "points": r.points,
                **({} if r.count is None else {"count": r.count}),
            }
            for r in assessment.reasons
        ],
    }


def parse_request(line: str) -> AssessRequest:
    """Parse one input line: `{"id", "contact", "company", "events": [{"type", "occurred_at"}]}`."""
    try:
        document = json.loads(line)
    except (ValueError, RecursionError) as error:
        raise MalformedLineError(f"invalid JSON: {error}") from None
    if not isinstance(document, dict):
        raise MalformedLineError("the line is not a JSON object")
    record_id = document.get("id")
    if record_id is not None and (isinstance(record_id, bool) or not isinstance(record_id, str | int)):
        raise MalformedLineError("'id' must be a string or an integer")
    try:
        _only_known_keys(document, LINE_KEYS, "the line")
        return AssessRequest(
            record_id,
            _properties(document, "contact"),
            _properties(document, "company"),
            _events(document.get("events")),
        )
    except MalformedLineError as error:
        raise MalformedLineError(str(error), record_id) from None


def _only_known_keys(document: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    """Refuse keys outside the documented shape: a misspelt key would otherwise score as absent, silently."""
    unknown = [key for key in document if key not in known]
    if unknown:
        names = ", ".join(repr(key) for key in unknown)
        raise MalformedLineError(f"{where} has unknown keys {names}; expected only {', '.join(map(repr, known))}")


def _properties(document: Mapping[str, Any], key: str) -> Mapping[str, object]:
    values = document.get(key)
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise MalformedLineError(f"'{key}' must be an object of properties")
    for name, value in values.items():
        if isinstance(value, dict | list):
            raise MalformedLineError(f"'{key}.{name}' must be a string, a number, a boolean or null")
    return values


def _events(events: object) -> tuple[EngagementEvent, ...]:
    if events is None:
        return ()
    if not isinstance(events, list):
        raise MalformedLineError("'events' must be a list")
    return tuple(_event(index, event) for index, event in enumerate(events))


def _event(index: int, event: object) -> EngagementEvent:
    where = f"events[{index}]"
    if not isinstance(event, dict):
        raise MalformedLineError(f"{where} must be an object with 'type' and 'occurred_at'")
    _only_known_keys(event, EVENT_KEYS, where)
    event_type = event.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedLineError(f"{where} has no 'type' (a non-empty string)")
    occurred_at = event.get("occurred_at")
    moment = to_timestamp(occurred_at) if isinstance(occurred_at, str | int) else None
    if moment is None:
        problem = "'occurred_at' must be an ISO 8601 timestamp or epoch milliseconds"
        raise MalformedLineError(f"{where}: {problem}, got {occurred_at!r}")
    return EngagementEvent(event_type, moment)
