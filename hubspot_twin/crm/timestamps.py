"""Instants the way HubSpot writes them (ISO 8601, milliseconds, ``Z``) and reads them (ISO or epoch ms)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

Clock = Callable[[], datetime]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MILLIS = re.compile(r"-?\d{1,15}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def utc_now() -> datetime:
    """Return the current instant in UTC (the twin's default clock)."""
    return datetime.now(UTC)


def iso(instant: datetime) -> str:
    """Return ``instant`` as HubSpot writes it: ``2024-05-01T09:30:00.000Z``."""
    utc = instant.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_instant(text: str) -> datetime | None:
    """Return the instant an ISO 8601 string or epoch milliseconds names (UTC when no offset), else None."""
    text = text.strip()
    try:
        if _MILLIS.fullmatch(text):
            return _EPOCH + timedelta(milliseconds=int(text))
        parsed = datetime.fromisoformat(text.replace("z", "Z"))
    except (ValueError, OverflowError):
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_date(text: str) -> date | datetime | None:
    """Return the date of ``YYYY-MM-DD``, or the instant of any other form (the caller checks it is midnight)."""
    text = text.strip()
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    return parse_instant(text)
