"""Deadlines in business hours: only working time counts, holidays are skipped, DST changes are honoured."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules import BusinessCalendar, business_due
from app.rules.handover.calendar import parse_hours, weekday_number

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = frozenset(range(5))
OFFICE = BusinessCalendar(BERLIN, WEEKDAYS, 9 * 60, 17 * 60, frozenset({date(2026, 12, 24), date(2026, 12, 25)}))
ALWAYS = BusinessCalendar(BERLIN, frozenset(range(7)), 0, 24 * 60)


def berlin(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def test_a_deadline_within_the_day_is_plain_addition() -> None:
    assert business_due(berlin(2026, 11, 24, 10, 0), 4, OFFICE) == berlin(2026, 11, 24, 14, 0)


def test_the_result_is_aware_utc() -> None:
    due = business_due(berlin(2026, 11, 24, 10, 0), 1, OFFICE)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_a_friday_afternoon_start_lands_on_monday() -> None:
    assert business_due(berlin(2026, 11, 27, 15, 0), 4, OFFICE) == berlin(2026, 11, 30, 11, 0)


def test_a_start_before_opening_counts_from_the_opening() -> None:
    assert business_due(berlin(2026, 11, 24, 6, 30), 2, OFFICE) == berlin(2026, 11, 24, 11, 0)


def test_a_start_after_closing_counts_from_the_next_opening() -> None:
    assert business_due(berlin(2026, 11, 24, 18, 0), 1, OFFICE) == berlin(2026, 11, 25, 10, 0)


def test_a_weekend_start_counts_from_monday() -> None:
    assert business_due(berlin(2026, 11, 28, 12, 0), 8, OFFICE) == berlin(2026, 11, 30, 17, 0)


def test_a_deadline_at_closing_time_stays_on_that_day() -> None:
    assert business_due(berlin(2026, 11, 24, 9, 0), 8, OFFICE) == berlin(2026, 11, 24, 17, 0)


def test_holidays_are_skipped() -> None:
    # Wed 23 Dec, 16:00 + 3 h: one hour that day, 24 and 25 Dec are holidays, the weekend, then Monday 28 Dec
    assert business_due(berlin(2026, 12, 23, 16, 0), 3, OFFICE) == berlin(2026, 12, 28, 11, 0)


def test_a_start_on_a_holiday_counts_from_the_next_working_day() -> None:
    assert business_due(berlin(2026, 12, 24, 10, 0), 0.5, OFFICE) == berlin(2026, 12, 28, 9, 30)


def test_fractions_of_hours_count() -> None:
    assert business_due(berlin(2026, 11, 24, 16, 15), 1.5, OFFICE) == berlin(2026, 11, 25, 9, 45)


def test_zero_hours_inside_working_hours_is_the_start() -> None:
    assert business_due(berlin(2026, 11, 24, 10, 7), 0, OFFICE) == berlin(2026, 11, 24, 10, 7)


def test_zero_hours_outside_working_hours_is_the_next_opening() -> None:
    assert business_due(berlin(2026, 11, 27, 20, 0), 0, OFFICE) == berlin(2026, 11, 30, 9, 0)


def test_the_weekend_when_summer_time_ends_in_berlin() -> None:
    start = berlin(2026, 10, 23, 16, 0)  # Friday, CEST (UTC+2)
    due = business_due(start, 4, OFFICE)
    assert due == datetime(2026, 10, 26, 11, 0, tzinfo=UTC)  # Monday 12:00 CET (UTC+1)
    assert due.astimezone(BERLIN).hour == 12


def test_the_weekend_when_summer_time_starts_in_berlin() -> None:
    due = business_due(berlin(2026, 3, 27, 16, 0), 2, OFFICE)  # Friday, CET
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)  # Monday 10:00 CEST


def test_a_round_the_clock_calendar_counts_the_real_hours_of_a_short_dst_day() -> None:
    start = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    assert business_due(start, 24, ALWAYS) == start + timedelta(hours=24)
    assert business_due(start, 48, ALWAYS) == start + timedelta(hours=48)


def test_a_naive_start_is_utc() -> None:
    naive = datetime(2026, 11, 24, 9, 0)
    assert business_due(naive, 1, OFFICE) == business_due(naive.replace(tzinfo=UTC), 1, OFFICE)


def test_a_start_in_another_time_zone_is_the_same_moment() -> None:
    new_york = datetime(2026, 11, 24, 4, 0, tzinfo=ZoneInfo("America/New_York"))  # 10:00 in Berlin
    assert business_due(new_york, 1, OFFICE) == berlin(2026, 11, 24, 11, 0)


@pytest.mark.parametrize("hours", [-1, float("nan"), float("inf")])
def test_negative_or_non_finite_hours_are_rejected(hours: float) -> None:
    with pytest.raises(ValueError, match="business hours"):
        business_due(berlin(2026, 11, 24, 9, 0), hours, OFFICE)


moments = st.datetimes(datetime(2026, 1, 1), datetime(2027, 12, 31), timezones=st.just(UTC))
durations = st.floats(0, 200, allow_nan=False)


@settings(max_examples=150, deadline=None)
@given(start=moments, hours=durations, more=durations)
def test_a_deadline_is_never_earlier_than_the_working_time_it_counts(
    start: datetime, hours: float, more: float
) -> None:
    due = business_due(start, hours, OFFICE)
    assert due - start >= timedelta(hours=hours) - timedelta(microseconds=1)
    assert business_due(start, hours + more, OFFICE) >= due
    local = due.astimezone(BERLIN)
    assert OFFICE.is_working_day(local.date())
    assert 9 * 60 <= local.hour * 60 + local.minute <= 17 * 60


@settings(max_examples=100, deadline=None)
@given(start=moments, first=durations, second=durations)
def test_deadlines_add_up(start: datetime, first: float, second: float) -> None:
    chained = business_due(business_due(start, first, OFFICE), second, OFFICE)
    assert abs(chained - business_due(start, first + second, OFFICE)) <= timedelta(milliseconds=1)


@pytest.mark.parametrize(
    ("text", "minutes"), [("09:00-17:00", (540, 1020)), ("8:30 - 12:00", (510, 720)), ("00:00-24:00", (0, 1440))]
)
def test_working_hours_are_parsed(text: str, minutes: tuple[int, int]) -> None:
    assert parse_hours(text) == minutes


@pytest.mark.parametrize("text", ["9-17", "17:00-09:00", "09:00-09:00", "09:60-17:00", "09:00-24:01", "nine-five"])
def test_invalid_working_hours_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=r"working hours|time of day"):
        parse_hours(text)


def test_weekdays_are_named_short_or_long_in_any_case() -> None:
    assert [weekday_number(name) for name in ("mon", "Tuesday", "SUN")] == [0, 1, 6]
    with pytest.raises(ValueError, match="unknown weekday 'mo'"):
        weekday_number("mo")
