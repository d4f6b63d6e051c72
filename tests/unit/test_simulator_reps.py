"""The simulated reps' pace: a profile per rep from the seed, working hours in Berlin, the first touch's entry."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from hubspot_twin.simulator.portal import SALES_TEAM, SimOwner
from hubspot_twin.simulator.reps import (
    FAST_HOURS,
    FIELD_TEAMS,
    SLOW_HOURS,
    RepProfile,
    after_working_hours,
    log_entry,
    rep_profiles,
)

START = datetime(2026, 9, 1, 8, 0, tzinfo=UTC)  # a Tuesday, 10:00 in Berlin
OWNERS = [SimOwner(str(70000001 + i), name, team, territories) for i, (name, _, team, territories) in
          enumerate(SALES_TEAM)]  # fmt: skip
FIELD = {owner.id for owner in OWNERS if owner.team in FIELD_TEAMS}


def test_most_reps_are_fast_two_field_reps_slow_and_one_other_field_rep_on_holiday() -> None:
    profiles = rep_profiles(OWNERS, seed=7, holiday=(START, 6))
    assert set(profiles) == {owner.id for owner in OWNERS}
    slow = {o for o, p in profiles.items() if p.pace == "slow"}
    away = [o for o, p in profiles.items() if p.away is not None]
    assert len(slow) == 2 and slow <= FIELD
    assert len(away) == 1 and away[0] in FIELD - slow
    assert sum(p.pace == "fast" for p in profiles.values()) == len(OWNERS) - 2
    assert {p.touch_hours for p in profiles.values() if p.pace == "fast"} == {FAST_HOURS}
    assert {profiles[o].touch_hours for o in slow} == {SLOW_HOURS}


def test_the_holiday_is_half_the_run_and_starts_within_its_first_third() -> None:
    for seed in range(20):
        (away,) = [p.away for p in rep_profiles(OWNERS, seed, holiday=(START, 9)).values() if p.away]
        assert START <= away[0] <= START + timedelta(days=3)
        assert away[1] - away[0] == timedelta(days=4)
    (short,) = [p.away for p in rep_profiles(OWNERS, 1, holiday=(START, 2)).values() if p.away]
    assert short == (START, START + timedelta(days=2))  # at least two days
    (long,) = [p.away for p in rep_profiles(OWNERS, 1, holiday=(START, 60)).values() if p.away]
    assert long[1] - long[0] == timedelta(days=14)  # two weeks at most


def test_the_same_seed_gives_the_same_profiles_and_without_a_holiday_nobody_is_away() -> None:
    assert rep_profiles(OWNERS, 3, (START, 6)) == rep_profiles(OWNERS, 3, (START, 6))
    assert len({tuple(sorted((o, p.pace, p.away) for o, p in rep_profiles(OWNERS, s, (START, 6)).items()))
                for s in range(10)}) > 1  # fmt: skip
    assert all(p.away is None for p in rep_profiles(OWNERS, 3).values())
    assert rep_profiles([], 3, (START, 6)) == {}


def test_a_rep_away_acts_when_back() -> None:
    back = START + timedelta(days=2)
    profile = RepProfile("1", "fast", FAST_HOURS, (START, back))
    assert profile.is_away(START) and not profile.is_away(back)
    assert profile.back_at(START + timedelta(hours=5)) == back
    assert profile.back_at(START - timedelta(hours=1)) == START - timedelta(hours=1)
    assert profile.back_at(back + timedelta(hours=1)) == back + timedelta(hours=1)
    assert RepProfile("1", "fast", FAST_HOURS).back_at(START) == START


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (START, 0.5, datetime(2026, 9, 1, 8, 30, tzinfo=UTC)),  # Tuesday 10:30 in Berlin
        (START, 7, datetime(2026, 9, 1, 15, 0, tzinfo=UTC)),  # to Tuesday's closing at 17:00
        (START, 8, datetime(2026, 9, 2, 8, 0, tzinfo=UTC)),  # 7 h on Tuesday, 1 h on Wednesday
        (datetime(2026, 9, 1, 20, 0, tzinfo=UTC), 1, datetime(2026, 9, 2, 8, 0, tzinfo=UTC)),  # 22:00: next morning
        (datetime(2026, 9, 4, 14, 0, tzinfo=UTC), 2, datetime(2026, 9, 7, 8, 0, tzinfo=UTC)),  # Friday 16:00 → Monday
        (datetime(2026, 9, 5, 10, 0, tzinfo=UTC), 0, datetime(2026, 9, 7, 7, 0, tzinfo=UTC)),  # Saturday → Monday 09:00
        (START, 40, datetime(2026, 9, 8, 8, 0, tzinfo=UTC)),  # five working days, over a weekend
        (datetime(2026, 10, 23, 13, 0, tzinfo=UTC), 3, datetime(2026, 10, 26, 9, 0, tzinfo=UTC)),  # over the DST end
    ],
)
def test_a_delay_counts_only_working_hours_in_berlin(start: datetime, hours: float, expected: datetime) -> None:
    assert after_working_hours(start, hours) == expected


def test_a_first_touch_is_a_call_or_a_sales_email_owned_by_the_rep_and_dated_when_made() -> None:
    at = datetime(2026, 9, 1, 9, 17, 30, tzinfo=UTC)
    entries = [log_entry(random.Random(i), "70000003", at) for i in range(40)]
    assert {kind for kind, _ in entries} == {"calls", "emails"}
    for kind, values in entries:
        assert values["hubspot_owner_id"] == "70000003"
        assert values["hs_timestamp"] == str(int(at.timestamp() * 1000))
        if kind == "emails":
            assert values["hs_email_direction"] == "EMAIL"  # a rep's e-mail, not the contact's reply
        else:
            assert values["hs_call_direction"] == "OUTBOUND"
