"""Pacing of nurture offers: the gap, the cap that makes a step wait (never skip it), quiet hours across DST
changes, and hypothesis properties: no rolling window ever holds more than the cap, offers keep the gap."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules import ScoringModel
from app.rules.nurture import (
    NurtureConfig,
    NurtureFacts,
    Offer,
    Pacing,
    QuietHours,
    leave_quiet_hours,
    next_nurture_step,
    pace,
    parse_nurture,
)
from app.rules.scoring.engagement import EngagementEvent

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
BERLIN = ZoneInfo("Europe/Berlin")
NIGHTS = QuietHours(time(20), time(8), BERLIN)

DRIP = """\
pacing: {max_touches: 3, window_days: 30, min_gap_days: 5}
tracks:
  - id: drip
    priority: 1
    steps:
      - {id: one}
      - {id: two}
      - {id: three}
      - {id: four}
      - {id: five}
"""


@pytest.fixture(scope="module")
def drip(default_model: ScoringModel) -> NurtureConfig:
    return parse_nurture(DRIP, default_model, "nurture.yaml")


def offers(*days_ago: float) -> tuple[Offer, ...]:
    steps = ("one", "two", "three", "four", "five")
    return tuple(Offer("drip", steps[i], NOW - ago * DAY) for i, ago in enumerate(days_ago))


def test_the_next_offer_waits_the_minimum_gap(drip: NurtureConfig) -> None:
    plan = next_nurture_step(drip, NurtureFacts(history=offers(2)), NOW)
    assert (plan.state, plan.step, plan.at) == ("waiting", "two", NOW + 3 * DAY)
    gap = "gap: at least 5 days after the last offer (2026-12-05 10:00 UTC), 2026-12-10 10:00 UTC"
    assert plan.why[-1] == gap


def test_after_the_gap_the_step_is_offered_now(drip: NurtureConfig) -> None:
    plan = next_nurture_step(drip, NurtureFacts(history=offers(5)), NOW)
    assert (plan.state, plan.step, plan.at) == ("active", "two", NOW)


def test_a_capped_step_waits_until_the_oldest_offer_leaves_the_window(drip: NurtureConfig) -> None:
    plan = next_nurture_step(drip, NurtureFacts(history=offers(20, 12, 6)), NOW)
    assert (plan.state, plan.step, plan.at) == ("waiting", "four", NOW + 10 * DAY)
    assert plan.why[-1].startswith("cap: 3 offers in 30 days; the next when the offer of 2026-11-17 10:00 UTC leaves")
    then = next_nurture_step(drip, NurtureFacts(history=offers(20, 12, 6)), NOW + 10 * DAY)
    assert (then.state, then.step, then.at) == ("active", "four", NOW + 10 * DAY)  # waited, not skipped


def test_the_cap_counts_offers_of_every_track(drip: NurtureConfig) -> None:
    history = (
        Offer("awareness", "checklist", NOW - 20 * DAY),
        Offer("decision", "roi-calculator", NOW - 12 * DAY),
        Offer("drip", "one", NOW - 6 * DAY),
    )
    plan = next_nurture_step(drip, NurtureFacts(history=history), NOW)
    assert (plan.state, plan.at) == ("waiting", NOW + 10 * DAY)


def test_pace_without_offers_is_now() -> None:
    assert pace(Pacing(), (), NOW) == (NOW, ())


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 12, 7, 18, 59, tzinfo=UTC), datetime(2026, 12, 7, 18, 59, tzinfo=UTC)),  # 19:59 in Berlin
        (datetime(2026, 12, 7, 19, 0, tzinfo=UTC), datetime(2026, 12, 8, 7, 0, tzinfo=UTC)),  # 20:00 → 08:00 CET
        (datetime(2026, 12, 8, 3, 0, tzinfo=UTC), datetime(2026, 12, 8, 7, 0, tzinfo=UTC)),  # after midnight
        (datetime(2026, 12, 8, 7, 0, tzinfo=UTC), datetime(2026, 12, 8, 7, 0, tzinfo=UTC)),  # 08:00 is not quiet
        # autumn: summer time ends in the night of 25 October 2026; 08:00 CET is 07:00 UTC, not 06:00
        (datetime(2026, 10, 24, 21, 0, tzinfo=UTC), datetime(2026, 10, 25, 7, 0, tzinfo=UTC)),
        # spring: summer time starts in the night of 28 March 2027; 08:00 CEST is 06:00 UTC, not 07:00
        (datetime(2027, 3, 27, 20, 0, tzinfo=UTC), datetime(2027, 3, 28, 6, 0, tzinfo=UTC)),
        (datetime(2027, 3, 28, 1, 30, tzinfo=UTC), datetime(2027, 3, 28, 6, 0, tzinfo=UTC)),  # 03:30 CEST
    ],
)
def test_quiet_hours_end_at_the_local_time_across_dst_changes(moment: datetime, expected: datetime) -> None:
    assert leave_quiet_hours(NIGHTS, moment) == expected


def test_quiet_hours_ending_in_the_hour_skipped_by_dst_end_after_the_gap() -> None:
    quiet = QuietHours(time(22), time(2, 30), BERLIN)  # 02:30 does not exist on 28 March 2027
    assert leave_quiet_hours(quiet, datetime(2027, 3, 28, 0, 30, tzinfo=UTC)) == datetime(
        2027, 3, 28, 1, 30, tzinfo=UTC
    )


def test_quiet_hours_within_a_day() -> None:
    lunch = QuietHours(time(12), time(14), BERLIN)
    assert leave_quiet_hours(lunch, datetime(2026, 12, 7, 11, 30, tzinfo=UTC)) == datetime(
        2026, 12, 7, 13, 0, tzinfo=UTC
    )
    assert leave_quiet_hours(lunch, datetime(2026, 12, 7, 13, 0, tzinfo=UTC)) == datetime(
        2026, 12, 7, 13, 0, tzinfo=UTC
    )


def test_a_gap_ending_in_the_quiet_hours_of_the_dst_night_waits_for_the_morning(default_model: ScoringModel) -> None:
    text = DRIP.replace("min_gap_days: 5}", "min_gap_days: 5, quiet_hours: {start: '20:00', end: '08:00', "
                        "time_zone: Europe/Berlin}}")  # fmt: skip
    config = parse_nurture(text, default_model, "nurture.yaml")
    last = datetime(2026, 10, 19, 21, 0, tzinfo=UTC)  # 23:00 CEST; five days later is 22:00 CET on the 24th
    plan = next_nurture_step(config, NurtureFacts(history=(Offer("drip", "one", last),)), last + DAY)
    assert (plan.state, plan.step, plan.at) == ("waiting", "two", datetime(2026, 10, 25, 7, 0, tzinfo=UTC))
    assert plan.why[-1].startswith("quiet hours: 2026-10-24 21:00 UTC is in the quiet hours 20:00–08:00 Europe/Berlin")


# Properties: a simulated contact planned at random moments, each planned step offered at its `at`.

EVENT_TYPES = ("whitepaper_download", "checklist_download", "newsletter_click", "pricing_page_view")
START = datetime(2026, 10, 1, tzinfo=UTC)  # the run spans both DST changes of Europe/Berlin


def paced_config(model: ScoringModel, touches: int, window: int, gap: float, quiet: bool) -> NurtureConfig:
    quiet_hours = ", quiet_hours: {start: '20:00', end: '08:00', time_zone: Europe/Berlin}" if quiet else ""
    text = f"""\
pacing: {{max_touches: {touches}, window_days: {window}, min_gap_days: {gap}{quiet_hours}}}
tracks:
  - id: awareness
    priority: 2
    enter: "'whitepaper_download' in events_ever"
    steps:
      - {{id: a1}}
      - {{id: a2, after: [checklist_download, newsletter_click]}}
      - {{id: a3, after: [whitepaper_download]}}
      - {{id: a4}}
  - id: open
    priority: 1
    steps:
      - {{id: o1}}
      - {{id: o2, after: [newsletter_click]}}
      - {{id: o3, after: [pricing_page_view]}}
      - {{id: o4}}
      - {{id: o5}}
"""
    return parse_nurture(text, model, "nurture.yaml")


@st.composite
def journeys(draw: st.DrawFn) -> tuple[list[EngagementEvent], list[datetime]]:
    minutes = st.integers(min_value=0, max_value=180 * 24 * 60)
    events = draw(st.lists(st.tuples(st.sampled_from(EVENT_TYPES), minutes), max_size=25))
    moments = sorted(draw(st.lists(minutes, min_size=1, max_size=30)))
    return (
        [EngagementEvent(kind, START + timedelta(minutes=m)) for kind, m in events],
        [START + timedelta(minutes=m) for m in moments],
    )


def simulate(config: NurtureConfig, events: list[EngagementEvent], moments: list[datetime]) -> list[Offer]:
    """Plan at every moment; offer each planned step at its `at` (recorded at once, as the drain would)."""
    history: list[Offer] = []
    for moment in moments:
        plan = next_nurture_step(config, NurtureFacts(engagements=tuple(events), history=tuple(history)), moment)
        if plan.step is not None:
            assert plan.state in ("active", "waiting") and plan.at is not None and plan.track is not None
            assert plan.at >= moment and (plan.state == "active") == (plan.at == moment)
            history.append(Offer(plan.track, plan.step, plan.at))
    return history


@settings(max_examples=300, deadline=None)
@given(
    journey=journeys(),
    touches=st.integers(min_value=1, max_value=4),
    window=st.integers(min_value=1, max_value=40),
    gap=st.sampled_from([0, 0.5, 1, 2, 5, 7.5]),
    quiet=st.booleans(),
)
def test_no_rolling_window_ever_holds_more_than_the_cap_and_offers_keep_the_gap(
    default_model: ScoringModel,
    journey: tuple[list[EngagementEvent], list[datetime]],
    touches: int,
    window: int,
    gap: float,
    quiet: bool,
) -> None:
    config = paced_config(default_model, touches, window, gap, quiet)
    history = simulate(config, *journey)
    times = sorted(offer.offered_at for offer in history)
    for i, start in enumerate(times):
        assert sum(start <= t < start + timedelta(days=window) for t in times[i:]) <= touches
    for earlier, later in pairwise(times):
        assert later - earlier >= timedelta(days=gap)
    assert len({offer.step for offer in history}) == len(history)  # never a step twice
    if quiet:
        assert not any(NIGHTS.holds(t.astimezone(BERLIN).time()) for t in times)


@settings(max_examples=200, deadline=None)
@given(
    offered=st.lists(st.integers(min_value=0, max_value=90 * 24 * 60), max_size=8),
    now=st.integers(min_value=0, max_value=120 * 24 * 60),
    touches=st.integers(min_value=1, max_value=4),
    window=st.integers(min_value=1, max_value=40),
    gap=st.integers(min_value=0, max_value=10),
)
def test_pace_returns_the_earliest_moment_that_keeps_the_cap_and_the_gap(
    offered: list[int], now: int, touches: int, window: int, gap: int
) -> None:
    pacing = Pacing(touches, timedelta(days=window), timedelta(days=gap))
    times = [START + timedelta(minutes=m) for m in offered]
    at, _ = pace(pacing, times, START + timedelta(minutes=now))

    def keeps(moment: datetime) -> bool:
        in_window = sum(moment - timedelta(days=window) < t <= moment for t in times)
        return in_window < touches and all(moment - t >= timedelta(days=gap) for t in times)

    assert at >= START + timedelta(minutes=now) and keeps(at)
    earlier = at - timedelta(minutes=1)
    assert earlier < START + timedelta(minutes=now) or not keeps(earlier)
