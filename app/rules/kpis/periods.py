"""The periods of a report `--by week|month`: the window cut at every ISO week or calendar month start inside it."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

Period = Literal["week", "month"]
Window = tuple[datetime, datetime]


def periods(window_from: datetime, window_to: datetime, by: Period) -> list[Window]:
    """Return `[from, to)` cut at each boundary strictly inside it; the first starts at from, the last ends at to."""
    cuts = [window_from]
    boundary = _following(window_from, by)
    while boundary is not None and boundary < window_to:
        cuts.append(boundary)
        boundary = _following(boundary, by)
    cuts.append(window_to)
    return list(itertools.pairwise(cuts))


def _following(moment: datetime, by: Period) -> datetime | None:
    """Return the next boundary after `moment`, or None past the last year a datetime holds."""
    try:
        return BOUNDARIES[by](moment)
    except (OverflowError, ValueError):
        return None


def week_start(moment: datetime) -> datetime:
    """Return the Monday 00:00 UTC of the ISO week holding `moment`."""
    utc = moment.astimezone(UTC)
    return datetime(utc.year, utc.month, utc.day, tzinfo=UTC) - timedelta(days=utc.weekday())


def next_week_start(moment: datetime) -> datetime:
    """Return the first Monday 00:00 UTC after `moment`."""
    return week_start(moment) + timedelta(days=7)


def next_month_start(moment: datetime) -> datetime:
    """Return the first 1st of a month, 00:00 UTC, after `moment`."""
    utc = moment.astimezone(UTC)
    return datetime(utc.year + utc.month // 12, utc.month % 12 + 1, 1, tzinfo=UTC)


BOUNDARIES: dict[Period, Callable[[datetime], datetime]] = {"week": next_week_start, "month": next_month_start}
