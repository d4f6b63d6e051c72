"""Business hours of handover.yaml: one daily window on working days in one time zone, minus holidays.

The special case of app/rules/calendar.py that handover.yaml's `calendar:` section describes; the arithmetic is
that module's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.rules.calendar import Span, add_business_time, local_span

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Working days and one daily window of working hours (minutes after local midnight), minus holidays."""

    timezone: ZoneInfo
    workdays: frozenset[int]  # 0 = Monday, as `date.weekday()`
    opens: int
    closes: int  # up to 1440: "24:00" closes at the next midnight
    holidays: frozenset[date] = frozenset()

    def is_working_day(self, day: date) -> bool:
        """Return whether `day` (a local date) has working hours."""
        return day.weekday() in self.workdays and day not in self.holidays

    def window(self, day: date) -> tuple[datetime, datetime]:
        """Return the working window of a local date as aware UTC instants (DST-correct)."""
        return local_span(day, (self.opens, self.closes), self.timezone)

    def spans(self, day: date) -> tuple[Span, ...]:
        """Return the working windows of a local date (one, or none on a closed day), as `Calendar` asks."""
        return (self.window(day),) if self.is_working_day(day) else ()


DEFAULT_CALENDAR = BusinessCalendar(ZoneInfo("UTC"), frozenset(range(5)), 9 * 60, 17 * 60)


def business_due(start: datetime, hours: float, calendar: BusinessCalendar) -> datetime:
    """Return the aware UTC moment `hours` of working time after `start` (naive means UTC)."""
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"business hours must be a finite number >= 0, got {hours!r}")
    return add_business_time(calendar, start, timedelta(hours=hours))


def parse_hours(text: str) -> tuple[int, int]:
    """Parse working hours written as `09:00-17:00` into minutes after midnight; raise ValueError if invalid."""
    opens_text, dash, closes_text = text.replace(" ", "").partition("-")
    if not dash:
        raise ValueError(f"working hours must look like '09:00-17:00', got {text!r}")
    opens, closes = _minutes(opens_text, text), _minutes(closes_text, text)
    if closes <= opens:
        raise ValueError(f"working hours must close after they open, got {text!r}")
    return opens, closes


def _minutes(clock: str, text: str) -> int:
    hour, colon, minute = clock.partition(":")
    if not (colon and hour.isdigit() and minute.isdigit() and len(minute) == 2 and 1 <= len(hour) <= 2):
        raise ValueError(f"working hours must look like '09:00-17:00', got {text!r}")
    minutes = int(hour) * 60 + int(minute)
    if int(minute) >= 60 or minutes > MINUTES_PER_DAY:
        raise ValueError(f"{clock!r} is not a time of day in {text!r}")
    return minutes


def weekday_number(name: str) -> int:
    """Return 0 for `mon` (or `Monday`) through 6 for `sun`; raise ValueError for anything else."""
    number = _WEEKDAY_NUMBERS.get(name.strip().lower())
    if number is None:
        raise ValueError(f"unknown weekday {name!r} (expected one of: {', '.join(WEEKDAYS)})")
    return number


_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY_NUMBERS = {**{name: n for n, name in enumerate(WEEKDAYS)}, **{name: n for n, name in enumerate(_FULL_NAMES)}}
