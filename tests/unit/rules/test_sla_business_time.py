"""Business time of SLA calendars: only working windows count, across nights, weekends, holidays and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules.calendar import WorkingCalendar, add_business_minutes, business_minutes_between

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NINE_TO_FIVE = ((9 * 60, 17 * 60),)
WEEKDAYS = (NINE_TO_FIVE,) * 5 + ((), ())
OFFICE = WorkingCalendar(BERLIN, WEEKDAYS)
ALWAYS = WorkingCalendar(BERLIN, (((0, 24 * 60),),) * 7)
LUNCH = WorkingCalendar(BERLIN, (((9 * 60, 12 * 60), (13 * 60, 17 * 60)),) * 5 + ((), ()))
NIGHTS_NY = WorkingCalendar(NEW_YORK, (((0, 6 * 60), (22 * 60, 24 * 60)),) * 7)


def berlin(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def new_york(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=NEW_YORK)


def bavaria_or_berlin(subdivision: str) -> WorkingCalendar:
    return WorkingCalendar(
        BERLIN, WEEKDAYS, is_public_holiday=holidays.country_holidays("DE", subdiv=subdivision).__contains__
    )


def test_time_within_a_window_is_plain_addition_and_comes_back_as_utc() -> None:
    due = add_business_minutes(OFFICE, berlin(11, 24, 10), 90)
    assert due == berlin(11, 24, 11, 30)
    assert due.tzinfo is UTC


def test_a_naive_start_is_utc() -> None:
    assert add_business_minutes(OFFICE, datetime(2026, 11, 24, 9, 0), 60) == berlin(11, 24, 11)


@pytest.mark.parametrize(
    ("start", "minutes", "due"),
    [
        (berlin(11, 24, 6, 30), 60, berlin(11, 24, 10)),  # before opening: counts from the opening
        (berlin(11, 24, 18), 60, berlin(11, 25, 10)),  # after closing: counts from the next opening
        (berlin(11, 28, 12), 60, berlin(11, 30, 10)),  # Saturday: counts from Monday
        (berlin(11, 27, 16, 30), 60, berlin(11, 30, 9, 30)),  # Friday evening: the night and weekend are skipped
        (berlin(11, 24, 16), 8 * 60, berlin(11, 25, 16)),  # one business day spans the night
    ],
)
def test_time_outside_the_windows_does_not_count(start: datetime, minutes: int, due: datetime) -> None:
    assert add_business_minutes(OFFICE, start, minutes) == due


def test_measuring_skips_nights_and_weekends() -> None:
    assert business_minutes_between(OFFICE, berlin(11, 27, 16), berlin(11, 30, 10)) == 120
    assert business_minutes_between(OFFICE, berlin(11, 27, 18), berlin(11, 30, 8)) == 0


def test_an_end_before_the_start_measures_zero() -> None:
    assert business_minutes_between(OFFICE, berlin(11, 24, 12), berlin(11, 24, 10)) == 0


@pytest.mark.parametrize(
    ("start", "due"),
    [
        (berlin(11, 24, 10), berlin(11, 24, 10)),  # in hours: now
        (berlin(11, 24, 17), berlin(11, 24, 17)),  # at closing: still that instant
        (berlin(11, 24, 20), berlin(11, 25, 9)),  # after hours: the next opening
        (berlin(11, 28, 10), berlin(11, 30, 9)),  # weekend: Monday's opening
    ],
)
def test_a_zero_target_is_due_at_the_next_working_instant(start: datetime, due: datetime) -> None:
    assert add_business_minutes(OFFICE, start, 0) == due


def test_several_windows_a_day_skip_the_gap_between_them() -> None:
    assert add_business_minutes(LUNCH, berlin(11, 24, 11, 30), 60) == berlin(11, 24, 13, 30)
    assert business_minutes_between(LUNCH, berlin(11, 24, 11), berlin(11, 24, 14)) == 120
    assert add_business_minutes(LUNCH, berlin(11, 24, 12, 15), 0) == berlin(11, 24, 13)


def test_a_weekday_without_windows_is_closed() -> None:
    assert not OFFICE.is_working_day(date(2026, 11, 28))
    assert OFFICE.spans(date(2026, 11, 29)) == ()


def test_epiphany_is_a_holiday_in_bavaria_but_not_in_berlin() -> None:
    start = berlin(1, 5, 16)  # Monday; Tuesday 6 January is Epiphany
    assert add_business_minutes(bavaria_or_berlin("BY"), start, 120) == berlin(1, 7, 10)
    assert add_business_minutes(bavaria_or_berlin("BE"), start, 120) == berlin(1, 6, 10)


def test_corpus_christi_closes_bavaria_for_a_day() -> None:
    start, end = berlin(6, 3, 9), berlin(6, 5, 17)  # Wednesday to Friday; Thursday 4 June is Corpus Christi
    assert business_minutes_between(bavaria_or_berlin("BY"), start, end) == 16 * 60
    assert business_minutes_between(bavaria_or_berlin("BE"), start, end) == 24 * 60


def test_a_closed_date_counts_like_a_holiday() -> None:
    calendar = WorkingCalendar(BERLIN, WEEKDAYS, frozenset({date(2026, 12, 24)}))
    assert add_business_minutes(calendar, berlin(12, 23, 16), 120) == berlin(12, 25, 10)


def test_a_calendar_without_working_time_cannot_place_a_due_time() -> None:
    with pytest.raises(ValueError, match="no working time"):
        add_business_minutes(WorkingCalendar(BERLIN, ((),) * 7), berlin(11, 24, 10), 1)


def test_negative_time_is_rejected() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        add_business_minutes(OFFICE, berlin(11, 24, 10), -1)


def test_berlin_spring_forward_day_has_23_hours() -> None:
    assert business_minutes_between(ALWAYS, berlin(3, 29, 0), berlin(3, 30, 0)) == 23 * 60
    assert add_business_minutes(ALWAYS, berlin(3, 29, 1), 60) == berlin(3, 29, 3)


def test_a_window_in_the_skipped_hour_is_empty_and_one_across_it_starts_after_it() -> None:
    early = WorkingCalendar(BERLIN, (((150, 180),),) * 7)  # 02:30-03:00
    across = WorkingCalendar(BERLIN, (((150, 240),),) * 7)  # 02:30-04:00
    assert early.spans(date(2026, 3, 29))[0][0] == early.spans(date(2026, 3, 29))[0][1]
    assert business_minutes_between(across, berlin(3, 29, 0), berlin(3, 29, 12)) == 30
    assert add_business_minutes(early, berlin(3, 29, 0), 10) == berlin(3, 30, 2, 40)


def test_berlin_fall_back_day_has_25_hours() -> None:
    assert business_minutes_between(ALWAYS, berlin(10, 25, 0), berlin(10, 26, 0)) == 25 * 60


def test_office_hours_keep_their_local_time_across_a_dst_weekend() -> None:
    due = add_business_minutes(OFFICE, berlin(3, 27, 16), 120)  # Friday CET → Monday CEST
    assert due == berlin(3, 30, 10)
    assert due == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert business_minutes_between(OFFICE, berlin(10, 23, 9), berlin(10, 26, 17)) == 16 * 60


def test_a_new_york_night_shift_loses_an_hour_in_march_and_gains_one_in_november() -> None:
    assert business_minutes_between(NIGHTS_NY, new_york(3, 7, 22), new_york(3, 8, 6)) == 7 * 60
    assert business_minutes_between(NIGHTS_NY, new_york(10, 31, 22), new_york(11, 1, 6)) == 9 * 60


def test_a_new_york_night_shift_spans_midnight() -> None:
    assert add_business_minutes(NIGHTS_NY, new_york(11, 24, 23), 120) == new_york(11, 25, 1)
    assert add_business_minutes(NIGHTS_NY, new_york(11, 24, 5), 120) == new_york(11, 24, 23)


INSTANTS = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC))
CALENDARS = st.sampled_from([OFFICE, LUNCH, ALWAYS, NIGHTS_NY, bavaria_or_berlin("BY")])


@settings(max_examples=300, deadline=None)
@given(calendar=CALENDARS, start=INSTANTS, minutes=st.integers(min_value=0, max_value=5000))
def test_measuring_what_was_added_gives_it_back(calendar: WorkingCalendar, start: datetime, minutes: int) -> None:
    due = add_business_minutes(calendar, start, minutes)
    assert due >= start
    assert business_minutes_between(calendar, start, due) == pytest.approx(minutes, abs=1e-6)


@settings(max_examples=200, deadline=None)
@given(calendar=CALENDARS, start=INSTANTS, first=st.integers(0, 3000), second=st.integers(0, 3000))
def test_adding_in_two_steps_is_adding_once(
    calendar: WorkingCalendar, start: datetime, first: int, second: int
) -> None:
    halfway = add_business_minutes(calendar, start, first)
    assert add_business_minutes(calendar, halfway, second) == add_business_minutes(calendar, start, first + second)


@settings(max_examples=200, deadline=None)
@given(start=INSTANTS, hours=st.integers(0, 24))
def test_a_window_never_includes_more_than_real_time(start: datetime, hours: int) -> None:
    end = start + timedelta(hours=hours)
    assert 0 <= business_minutes_between(NIGHTS_NY, start, end) <= hours * 60
