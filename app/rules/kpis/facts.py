"""Lead-cycle facts (docs/kpis.md): one contact in one qualification cycle, read from and written to JSON Lines.

Times are instants in UTC: an ISO 8601 time with an offset is converted, one without an offset is UTC, a bare
date is 00:00 UTC. An absent key is null; keys the contract does not name are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from app.rules.errors import FactsError
from app.rules.values import as_utc


@dataclass(frozen=True)
class LeadCycle:
    """The facts of one lead cycle; any field may be None; times are aware and in UTC (as parse_facts makes them)."""

    contact: str | None = None
    cycle: int | None = None
    created_at: datetime | None = None
    qualified_signal_at: datetime | None = None
    mql_at: datetime | None = None
    sql_at: datetime | None = None
    grade_at_mql: str | None = None
    score_at_mql: int | float | None = None
    handed_over_at: datetime | None = None
    owner: str | None = None
    due_at: datetime | None = None
    first_touch_at: datetime | None = None
    accepted_at: datetime | None = None
    rejected_at: datetime | None = None
    rejection_reason: str | None = None
    deal_created_at: datetime | None = None
    won_at: datetime | None = None
    lost_at: datetime | None = None
    model_at_mql: str | None = None  # beyond the contract: the scoring model that set `mql_at` (its breakdown)


TEXT_KEYS = frozenset({"contact", "grade_at_mql", "owner", "rejection_reason", "model_at_mql"})
TIME_KEYS = frozenset(
    {"created_at", "qualified_signal_at", "mql_at", "sql_at", "handed_over_at", "due_at", "first_touch_at",
     "accepted_at", "rejected_at", "deal_created_at", "won_at", "lost_at"}
)  # fmt: skip
KEYS = tuple(field.name for field in fields(LeadCycle))


def parse_instant(text: str) -> datetime:
    """Return the instant an ISO 8601 date or time names, in UTC (no offset: UTC; a bare date: 00:00 UTC)."""
    return in_utc(datetime.fromisoformat(text.strip()))


in_utc = as_utc  # the instant in UTC; a time without an offset is UTC (app/rules/values.py)


def utc_or_none(moment: datetime | None) -> datetime | None:
    """Return the instant in UTC, or None."""
    return as_utc(moment) if moment is not None else None


def parse_facts(text: str) -> list[LeadCycle]:
    """Return the lead cycles of a JSON Lines text, one per non-blank line, in order; raise FactsError on a bad one."""
    return [parse_fact(line, number) for number, line in enumerate(text.split("\n"), start=1) if line.strip()]


def parse_fact(line: str, number: int) -> LeadCycle:
    """Return the lead cycle of one JSON line (`number` names it in errors)."""
    try:
        document = json.loads(line)
    except ValueError as exc:
        raise FactsError(number, None, f"not valid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise FactsError(number, None, f"not a JSON object but {_json_type(document)}")
    values = {key: _value(key, document.get(key), number) for key in KEYS}
    return LeadCycle(**values)


def _value(key: str, value: Any, number: int) -> Any:
    if value is None:
        return None
    kind = _kind(key)
    accepts, expected = VALUE_KINDS[kind]
    if not accepts(value):
        raise FactsError(number, key, f"expected {expected} or null, got {_json_type(value)} {json.dumps(value)}")
    return _time(value, number, key) if kind == "time" else value


def _kind(key: str) -> str:
    if key in TIME_KEYS:
        return "time"
    return "text" if key in TEXT_KEYS else key


def _time(value: str, number: int, key: str) -> datetime:
    try:
        return parse_instant(value)
    except ValueError:
        raise FactsError(number, key, f"{value!r} is not an ISO 8601 date or time") from None
    except OverflowError:  # an offset moved year 1 or 9999 out of datetime's range
        raise FactsError(number, key, f"{value!r} lies outside the years 1 to 9999 in UTC") from None


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return _is_integer(value) or isinstance(value, float)


def _is_text(value: Any) -> bool:
    return isinstance(value, str)


VALUE_KINDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "time": (_is_text, "an ISO 8601 time (a string)"),
    "text": (_is_text, "a string"),
    "cycle": (_is_integer, "an integer"),
    "score_at_mql": (_is_number, "a number"),
}


def _json_type(value: Any) -> str:
    names = {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "an object",
    }
    return names.get(type(value), "null" if value is None else type(value).__name__)


def fact_line(fact: LeadCycle) -> str:
    """Return one fact as a JSON object on one line (no newline)."""
    return json.dumps(fact_document(fact), ensure_ascii=False)


def facts_to_json_lines(facts: Iterable[LeadCycle]) -> str:
    """Return the facts as JSON Lines (every key, in the contract's order; times in UTC with a Z), one per line."""
    return "".join(fact_line(fact) + "\n" for fact in facts)


def fact_document(fact: LeadCycle) -> dict[str, Any]:
    """Return one lead cycle as the JSON object of the facts format."""
    return {key: _json_value(getattr(fact, key)) for key in KEYS}


def _json_value(value: Any) -> Any:
    return format_instant(value, exact=True) if isinstance(value, datetime) else value


def format_instant(moment: datetime, *, exact: bool = False) -> str:
    """Return `YYYY-MM-DDTHH:MM:SSZ` in UTC (with the microseconds when `exact` and there are some)."""
    utc = in_utc(moment).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds" if exact and utc.microsecond else "seconds") + "Z"
