"""Weighted round robin in a pool: exact shares, smooth order, and caps, absences and archived owners skipped."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.rules import RoutingConfig, parse_routing, route
from app.rules.handover.pools import smooth_cycle
from app.rules.handover.types import Lead, Owner, RoutingState
from app.rules.scoring.assessment import Assessment

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LEAD = Lead("1", {"country": "Germany"}, None, {}, Assessment(60, 30, 90, "B2", "mql", (), "m", ()))
NAMES = "abcdefgh"


def team_of(count: int, archived: str = "") -> dict[str, Owner]:
    return {n: Owner(n, f"{n}@example.com", n.upper(), (), n not in archived) for n in NAMES[:count]}


def pool_config(weights: list[int], *, owners: str = "", pool_cap: str = "") -> RoutingConfig:
    members = "\n".join(f"      - {{email: {NAMES[i]}@example.com, weight: {w}}}" for i, w in enumerate(weights))
    owner_settings = f"owners:\n{owners}\n" if owners else ""
    text = (
        f"strategies: [territories]\n{owner_settings}"
        f"pools:\n  - id: p\n{pool_cap}    owners:\n{members}\n"
        "territories:\n  - {id: t, when: 'true', pool: p}\n"
    )
    return parse_routing(text, "routing.yaml")


def owners_of(
    config: RoutingConfig, team: dict[str, Owner], leads: int, state: RoutingState | None = None
) -> list[str]:
    state = state or RoutingState()
    chosen = []
    for _ in range(leads):
        decision, state = route(config, LEAD, team, state, NOW)
        chosen.append(decision.owner_id or "-")
    return chosen


def test_weights_three_to_one_give_the_smooth_order() -> None:
    assert smooth_cycle((3, 1)) == (0, 0, 1, 0)
    assert owners_of(pool_config([3, 1]), team_of(2), 8) == list("aabaaaba")


def test_equal_weights_take_turns_in_the_listed_order() -> None:
    assert owners_of(pool_config([1, 1, 1]), team_of(3), 7) == list("abcabca")


def test_a_weight_of_two_spreads_its_slots() -> None:
    assert smooth_cycle((2, 1, 1)) == (0, 1, 2, 0)


@settings(max_examples=60, deadline=None)
@given(weights=st.lists(st.integers(1, 6), min_size=1, max_size=5), cycles=st.integers(1, 3))
def test_over_full_cycles_every_owner_gets_exactly_its_weight_per_cycle(weights: list[int], cycles: int) -> None:
    chosen = owners_of(pool_config(weights), team_of(len(weights)), sum(weights) * cycles)
    assert Counter(chosen) == {NAMES[i]: weight * cycles for i, weight in enumerate(weights)}


@settings(max_examples=60, deadline=None)
@given(weights=st.lists(st.integers(1, 20), min_size=1, max_size=6))
def test_one_cycle_holds_each_index_weight_times(weights: list[int]) -> None:
    cycle = smooth_cycle(tuple(weights))
    assert Counter(cycle) == dict(enumerate(weights))


@settings(max_examples=60, deadline=None)
@given(weights=st.lists(st.integers(1, 6), min_size=1, max_size=5), cursor=st.integers(0, 10_000))
def test_the_cursor_alone_decides_the_owner(weights: list[int], cursor: int) -> None:
    state = RoutingState({"p": cursor})
    first, after = route(pool_config(weights), LEAD, team_of(len(weights)), state, NOW)
    again, _ = route(pool_config(weights), LEAD, team_of(len(weights)), state, NOW)
    assert first == again
    assert first.owner_id == NAMES[smooth_cycle(tuple(weights))[cursor % sum(weights)]]
    assert after.cursors == {"p": cursor + 1}


def test_an_archived_owner_is_skipped_and_its_slot_consumed() -> None:
    chosen = owners_of(pool_config([1, 1, 1]), team_of(3, archived="b"), 6)
    assert chosen == list("acacac")


def test_skipping_keeps_the_others_shares_in_their_weights() -> None:
    chosen = owners_of(pool_config([2, 1, 1]), team_of(3, archived="b"), 30)
    assert Counter(chosen) == {"a": 20, "c": 10}


def test_an_owner_at_cap_is_skipped_until_a_handover_closes() -> None:
    config = pool_config([1, 1], owners="  a@example.com: {cap: 2}")
    state = RoutingState({}, {"a": 2})
    decision, state = route(config, LEAD, team_of(2), state, NOW)
    assert decision.owner_id == "b"
    assert "skipped A (at cap, 2 open of 2)" in decision.reason
    decision, state = route(config, LEAD, team_of(2), state, NOW)
    assert decision.owner_id == "b"  # slot 0 (a) again, still at cap
    closed = RoutingState(state.cursors, {**state.open_handovers, "a": 1})
    decision, state = route(config, LEAD, team_of(2), closed, NOW)
    assert decision.owner_id == "a"
    assert decision.reason.endswith("A (weight 1, 1 open of cap 2)")
    assert state.open_handovers["a"] == 2


def test_a_pool_cap_holds_for_every_member_without_its_own() -> None:
    config = pool_config([1, 1], owners="  a@example.com: {cap: 5}", pool_cap="    cap: 1\n")
    state = RoutingState({}, {"a": 1, "b": 1})
    decision, _ = route(config, LEAD, team_of(2), state, NOW)
    assert decision.owner_id == "a"
    decision, _ = route(config, LEAD, team_of(2), RoutingState({"p": 1}, {"a": 1, "b": 1}), NOW)
    assert decision.owner_id == "a"  # b is at the pool's cap of 1


def test_every_owner_at_cap_means_nobody_is_available() -> None:
    config = pool_config([1, 1], pool_cap="    cap: 1\n")
    decision, state = route(config, LEAD, team_of(2), RoutingState({"p": 4}, {"a": 1, "b": 1}), NOW)
    assert decision.owner_id is None
    assert state == RoutingState({"p": 4}, {"a": 1, "b": 1})


def test_the_chosen_owner_open_count_rises_by_one() -> None:
    _, state = route(pool_config([1]), LEAD, team_of(1), RoutingState({}, {"a": 4, "z": 1}), NOW)
    assert state.open_handovers == {"a": 5, "z": 1}


def test_an_owner_is_away_from_the_start_date_through_the_end_date() -> None:
    owners = "  a@example.com:\n    out_of_office: [{start: 2026-12-01, end: 2026-12-02}]"
    config = pool_config([1], owners=owners)
    at = datetime(2026, 12, 1, tzinfo=UTC)
    available = [
        route(config, LEAD, team_of(1), RoutingState(), at + timedelta(hours=h))[0].owner_id for h in (-1, 0, 47, 48)
    ]
    assert available == ["a", None, None, "a"]


def test_absence_dates_are_read_in_the_owner_time_zone() -> None:
    owners = "  a@example.com:\n    timezone: Europe/Berlin\n    out_of_office: [{start: 2026-12-01, end: 2026-12-01}]"
    config = pool_config([1], owners=owners)
    berlin_midnight = datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert route(config, LEAD, team_of(1), RoutingState(), berlin_midnight - timedelta(seconds=1))[0].owner_id == "a"
    assert route(config, LEAD, team_of(1), RoutingState(), berlin_midnight)[0].owner_id is None
    assert route(config, LEAD, team_of(1), RoutingState(), datetime(2026, 12, 1, 23, 0, tzinfo=UTC))[0].owner_id == "a"


def test_an_absence_with_times_ends_at_that_time() -> None:
    owners = (
        "  a@example.com:\n    out_of_office: [{start: '2026-12-01T08:00:00+01:00', end: '2026-12-01T12:30:00+01:00'}]"
    )
    config = pool_config([1, 1], owners=owners)
    during = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    decision, _ = route(config, LEAD, team_of(2), RoutingState(), during)
    assert decision.owner_id == "b"
    assert "A (out of office until 2026-12-01 11:30 UTC)" in decision.reason
    assert route(config, LEAD, team_of(2), RoutingState(), during + timedelta(minutes=90))[0].owner_id == "a"


def test_an_absent_owner_gets_no_catch_up_on_return() -> None:
    owners = "  b@example.com:\n    out_of_office: [{start: 2026-11-27, end: 2026-11-27}]"
    config, team, state = pool_config([1, 1], owners=owners), team_of(2), RoutingState()
    during, after = [], []
    for _ in range(4):
        decision, state = route(config, LEAD, team, state, NOW)
        during.append(decision.owner_id)
    for _ in range(4):
        decision, state = route(config, LEAD, team, state, NOW + timedelta(days=1))
        after.append(decision.owner_id)
    assert during == ["a"] * 4
    assert after == ["b", "a", "b", "a"]
