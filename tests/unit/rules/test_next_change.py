"""`next_change_at`: the moment a contact's written values change with nothing new happening.

The solved moment is checked against `assess` itself: up to shortly before it the written values (and the blocked
stages) stay those of `now`; at it they differ. Random models cover caps, negative points, limits and windows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules import EngagementEvent, ScoringModel, assess
from app.rules.expressions import FIT_NAMES, STAGE_NAMES, compile_condition
from app.rules.scoring.assessment import Assessment
from app.rules.scoring.model import EventWeight, FitRule, GradeBand, PropertyRef, Stage
from app.rules.scoring.timeline import assess_over_time, stage_window_days
from app.rules.scoring.writes import score_values

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
ACCURACY = timedelta(milliseconds=2)  # the solved moment lies at most this far past the change (margin, rounding)


def written(assessment: Assessment) -> tuple[object, ...]:
    return (tuple(sorted(score_values(assessment).items())), assessment.blocked)


def check_next_change(
    model: ScoringModel, contact: dict[str, str], events: list[EngagementEvent], now: datetime = NOW
) -> datetime | None:
    """Assert that the values hold until shortly before next_change_at and differ at it (unless it is the moment
    of an event dated ahead, which is always looked at again); return it."""
    timed = assess_over_time(model, contact, {}, events, now)
    assert timed.assessment == assess(model, contact, {}, events, now)
    before = written(timed.assessment)
    moment = timed.next_change_at
    horizon = moment if moment is not None else now + timedelta(days=3650)
    assert horizon > now
    for step in range(1, 9):  # sample the quiet interval, its end included
        at = now + (horizon - ACCURACY - now) * step / 8
        if at > now:
            assert written(assess(model, contact, {}, events, at)) == before, f"changed at {at} before {moment}"
    ahead = any(now < e.occurred_at <= (moment or now) for e in events)  # one dated ahead: looked at, always
    if moment is not None and not ahead:
        assert written(assess(model, contact, {}, events, moment)) != before, f"nothing changed at {moment}"
    return moment


def weights(*entries: tuple[str, float, float | None]) -> tuple[EventWeight, ...]:
    return tuple(EventWeight(name, name.title(), points, cap) for name, points, cap in entries)


def model_with(
    events: tuple[EventWeight, ...],
    half_life: float | None = 90,
    stages: tuple[Stage, ...] = (),
    limit: float = 100,
    engagement_grades: tuple[GradeBand, ...] = (),
) -> ScoringModel:
    rule = FitRule("vip", "VIP", compile_condition("contact.vip == 'yes'", FIT_NAMES), 40)
    return ScoringModel("m", 100, (rule,), limit, events, half_life, engagement_grades=engagement_grades, stages=stages)


def stage(stage_id: str, when: str, requires: tuple[str, ...] = ()) -> Stage:
    refs = tuple(PropertyRef("contact", name, name) for name in requires)
    return Stage(stage_id, stage_id.upper(), compile_condition(when, STAGE_NAMES), refs)


def event(kind: str, days_ago: float) -> EngagementEvent:
    return EngagementEvent(kind, NOW - timedelta(days=days_ago))


class TestDecay:
    def test_one_download_loses_its_first_point_when_five_decays_below_four_and_a_half(self) -> None:
        model = model_with(weights(("download", 5, None)))
        moment = check_next_change(model, {}, [event("download", 0)])
        # 5 × 0.5^(d/90) < 4.5  ⇔  d > 90 × log2(5/4.5) = 13.68 days
        assert moment is not None
        assert abs((moment - NOW) / DAY - 90 * 0.152003093) < 0.001

    def test_a_capped_type_changes_its_reason_when_the_cap_stops_biting(self) -> None:
        model = model_with(weights(("click", 2, 10)))  # 8 clicks: 16 raw, capped at 10
        moment = check_next_change(model, {}, [event("click", 0)] * 8)
        # capped while 16 × f >= 10: f = 0.625 → 90 × log2(1.6) = 61.03 days; the text loses "capped" then
        assert moment is not None
        assert abs((moment - NOW) / DAY - 61.03) < 0.01

    def test_an_unsubscribe_decaying_toward_zero_raises_engagement(self) -> None:
        model = model_with(weights(("download", 5, None), ("unsubscribe", -20, None)))
        events = [event("download", 1)] * 6 + [event("unsubscribe", 1)]
        check_next_change(model, {}, events)

    def test_engagement_over_the_limit_holds_until_the_total_falls_below_it(self) -> None:
        model = model_with(weights(("demo", 60, None)), limit=100)
        moment = check_next_change(model, {}, [event("demo", 0)] * 3)  # 180 raw, engagement 100, reason +180
        assert moment is not None

    def test_without_decay_and_windows_nothing_ever_changes(self) -> None:
        model = model_with(weights(("download", 5, None)), half_life=None)
        assert check_next_change(model, {"vip": "yes"}, [event("download", 3)]) is None

    def test_no_events_no_change(self) -> None:
        assert check_next_change(model_with(weights(("download", 5, None))), {"vip": "yes"}, []) is None

    def test_a_reason_that_rounds_to_zero_is_gone_and_changes_nothing_more(self) -> None:
        model = model_with(weights(("open", 0.4, None)))
        assert check_next_change(model, {}, [event("open", 0)]) is None


class TestWindows:
    def test_an_sql_whose_demo_request_leaves_the_30_day_window_becomes_mql(self) -> None:
        stages = (
            stage("sql", "fit >= 40 and 'demo' in events_last_30d"),
            stage("mql", "fit >= 40"),
        )
        model = model_with(weights(("demo", 10, None)), half_life=None, stages=stages)
        moment = check_next_change(model, {"vip": "yes"}, [event("demo", 10)])
        assert moment == NOW + 20 * DAY + timedelta(milliseconds=1)  # 30 days after the request, to the next ms
        assert assess(model, {"vip": "yes"}, {}, [event("demo", 10)], moment).stage == "mql"

    def test_a_window_closing_that_changes_no_stage_is_not_a_change(self) -> None:
        stages = (stage("sql", "fit >= 40 and 'demo' in events_last_30d"),)
        model = model_with(weights(("demo", 10, None)), half_life=None, stages=stages)
        # Not SQL (fit too low) either way: the window closing changes nothing written.
        assert check_next_change(model, {}, [event("demo", 10)]) is None

    def test_the_latest_event_of_a_type_keeps_it_in_the_window(self) -> None:
        stages = (stage("hot", "'demo' in events_last_7d"),)
        model = model_with(weights(("demo", 10, None)), half_life=None, stages=stages)
        moment = check_next_change(model, {}, [event("demo", 6), event("demo", 2)])
        assert moment == NOW + 5 * DAY + timedelta(milliseconds=1)

    def test_a_blocked_stage_that_stops_matching_is_a_change(self) -> None:
        stages = (stage("sql", "'demo' in events_last_7d", requires=("phone",)),)
        model = model_with(weights(("demo", 10, None)), half_life=None, stages=stages)
        moment = check_next_change(model, {}, [event("demo", 1)])
        assert moment == NOW + 6 * DAY + timedelta(milliseconds=1)

    def test_an_event_dated_ahead_counts_from_its_moment(self) -> None:
        model = model_with(weights(("demo", 10, None)), half_life=None)
        ahead = EngagementEvent("demo", NOW + timedelta(hours=5, seconds=30, milliseconds=250))
        assert check_next_change(model, {}, [ahead]) == ahead.occurred_at

    def test_the_windows_stage_rules_read(self) -> None:
        stages = (stage("sql", "'demo' in events_last_30d"), stage("mql", "events_last_7d != []"))
        assert stage_window_days(stages) == (7, 30)
        assert stage_window_days((stage("mql", "fit >= 40"),)) == ()
        assert stage_window_days((stage("now", "$now != null"),)) == (7, 30, 90)


class TestDefaultModel:
    def test_an_mql_by_recent_events_only_drops_out_when_assess_says(self, default_model: ScoringModel) -> None:
        contact = {"email": "a@b.de", "hs_buying_role": "DECISION_MAKER", "country": "Germany"}
        events = [event("whitepaper_download", 0), event("whitepaper_download", 0), event("webinar_registration", 0)]
        moment = check_next_change(default_model, contact, events)
        assert moment is not None

    def test_the_sweep_follows_a_contact_through_every_change_until_none_is_left(
        self, default_model: ScoringModel
    ) -> None:
        contact = {"email": "a@b.de", "hs_buying_role": "DECISION_MAKER", "country": "Germany", "phone": "1",
                   "firstname": "A", "lastname": "B", "company": "C"}  # fmt: skip
        events = [event("demo_request", 0), event("whitepaper_download", 3), event("pricing_page_view", 1)]
        now, stages = NOW, []
        for _ in range(200):
            moment = check_next_change(default_model, contact, events, now)
            if moment is None:
                break
            now = moment
            stages.append(assess(default_model, contact, {}, events, now).stage)
        else:
            pytest.fail("the changes never end")
        assert "sql" not in stages[-1:] and stages[-1] is None


RANDOM = settings(max_examples=150, deadline=None)


@st.composite
def random_cases(draw: st.DrawFn) -> tuple[ScoringModel, list[EngagementEvent]]:
    names = ("a", "b", "c")
    entries = tuple(
        (
            name,
            draw(st.one_of(st.integers(-25, 25), st.floats(-25, 25, allow_nan=False))),
            draw(st.none() | st.floats(0.5, 40)),
        )
        for name in names
    )
    window = draw(st.sampled_from(("events_last_7d", "events_last_30d", "events_last_90d")))
    threshold = draw(st.integers(0, 40))
    stages = (
        stage("hot", f"engagement >= {threshold} and 'a' in {window}"),
        stage("warm", f"engagement >= {threshold // 2}"),
    )
    model = model_with(
        weights(*entries),
        half_life=draw(st.none() | st.floats(1, 200)),
        stages=stages,
        limit=draw(st.floats(5, 100)),
        engagement_grades=(GradeBand("1", 20), GradeBand("2", 0)),
    )
    ages = draw(st.lists(st.tuples(st.sampled_from(names), st.floats(-3, 120)), max_size=12))
    return model, [event(name, age) for name, age in ages]


@RANDOM
@given(random_cases())
def test_random_models_hold_until_the_solved_moment_and_change_at_it(
    case: tuple[ScoringModel, list[EngagementEvent]],
) -> None:
    model, events = case
    check_next_change(model, {}, events)


def test_check_next_change_would_catch_a_wrong_moment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The checker itself fails on a moment that is too late: the assertions above are not vacuous."""
    from app.rules.scoring import timeline

    model = model_with(weights(("download", 5, None)))
    late: Callable[..., object] = timeline._decay_change
    monkeypatch.setattr(timeline, "_decay_change", lambda *args: late(*args) + 5 * DAY)  # type: ignore[operator]
    with pytest.raises(AssertionError, match="changed at"):
        check_next_change(model, {}, [event("download", 0)])
