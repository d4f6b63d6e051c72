"""Business time: working windows per weekday in one IANA time zone, minus closed dates, and arithmetic over it.

A calendar says, for a local date, which working windows it has (none on a weekend or a holiday). The arithmetic
counts elapsed real time inside those windows, so a DST change shortens or lengthens a window that spans it, and a
window written in local time stays at that local time across the change. Every instant goes in aware (naive means
UTC) and comes out aware UTC. `handover.calendar.BusinessCalendar` (one window, the same every working day) and
`WorkingCalendar` (windows per weekday, public holidays) both satisfy `Calendar`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from app.rules.values import as_utc

Window = tuple[int, int]
"""Working hours of one day as minutes after local midnight, opening before closing; closing may be 1440."""
Span = tuple[datetime, datetime]
"""A working window of one date as aware UTC instants."""
SEARCH_DAYS = 20 * 366
"""How far arithmetic looks ahead for working time before it gives up (a calendar closed for twenty years)."""


class Calendar(Protocol):
    """What business-time arithmetic needs: the time zone and the working windows of a local date."""

    @property
    def timezone(self) -> ZoneInfo: ...

    def spans(self, day: date) -> tuple[Span, ...]: ...


@dataclass(frozen=True, slots=True)
class WorkingCalendar:
    """Working windows per weekday (Monday first, several or none a day), minus public holidays and closed dates."""

    timezone: ZoneInfo
    week: tuple[tuple[Window, ...], ...]  # seven entries, 0 = Monday as `date.weekday()`
    closed: frozenset[date] = frozenset()  # extra dates without working hours
    is_public_holiday: Callable[[date], bool] = field(default=lambda day: False, compare=False)

    def is_working_day(self, day: date) -> bool:
        """Return whether the local date has any working hours."""
        return bool(self.week[day.weekday()]) and day not in self.closed and not self.is_public_holiday(day)

    def spans(self, day: date) -> tuple[Span, ...]:
        """Return the working windows of a local date as aware UTC instants (none on a closed day)."""
        if not self.is_working_day(day):
            return ()
        return tuple(local_span(day, window, self.timezone) for window in self.week[day.weekday()])


def local_span(day: date, window: Window, zone: ZoneInfo) -> Span:
    """Return a window of a local date as UTC instants; a local time skipped by DST reads as before the change."""
    midnight = datetime.combine(day, time(0))
    opens = (midnight + timedelta(minutes=window[0])).replace(tzinfo=zone)
    closes = (midnight + timedelta(minutes=window[1])).replace(tzinfo=zone)
    start, end = opens.astimezone(UTC), closes.astimezone(UTC)
    return start, max(start, end)  # a window wholly inside the hour skipped in spring is empty


def add_business_time(calendar: Calendar, start: datetime, amount: timedelta) -> datetime:
    """Return the UTC instant `amount` of working time after `start`; zero is the next working instant."""
    if amount < timedelta(0):
        raise ValueError(f"business time must be >= 0, got {amount}")
    moment, remaining = as_utc(start), amount
    for opens, closes in _spans_from(calendar, moment):
        begin = max(moment, opens)
        if begin > closes:
            continue
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    raise ValueError(f"the calendar has no working time within {SEARCH_DAYS} days of {moment.isoformat()}")


def business_time_between(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """Return the working time from `start` to `end` (zero when `end` is not after `start`)."""
    begin, finish = as_utc(start), as_utc(end)
    total = timedelta(0)
    if finish <= begin:
        return total
    for opens, closes in _spans_from(calendar, begin):
        if opens >= finish:
            break
        total += max(timedelta(0), min(closes, finish) - max(opens, begin))
    return total


def add_business_minutes(calendar: Calendar, start: datetime, minutes: float) -> datetime:
    """Return the UTC instant `minutes` of working time after `start` (the due time of a target)."""
    return add_business_time(calendar, start, timedelta(minutes=minutes))


def business_minutes_between(calendar: Calendar, start: datetime, end: datetime) -> float:
    """Return the minutes of working time from `start` to `end` (zero when `end` is not after `start`)."""
    return business_time_between(calendar, start, end) / timedelta(minutes=1)


def _spans_from(calendar: Calendar, moment: datetime) -> Iterator[Span]:
    """Yield the working windows in time order from the local date of `moment` (no window reaches past the
    midnight that ends its date, so none before that date can hold `moment`)."""
    day = moment.astimezone(calendar.timezone).date()
    for offset in range(SEARCH_DAYS + 1):
        yield from calendar.spans(day + timedelta(days=offset))
