"""The weekly capacity (docs/calibration.md, Capacity-aware threshold; docs/routing.md, Weekly capacity): given in
routing.yaml at the top, per pool or per owner, else derived from caps and the SLA's response target (an upper
bound), else unknown with what to add; and its validation naming file, item and problem."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from app.rules import ConfigError, parse_routing
from app.rules.calibration.capacity import ResponseTarget, response_target, week_hours, weekly_capacity
from app.rules.configuration import load_configuration

ROOT = Path(__file__).resolve().parents[3]
EIGHT_HOURS = ResponseTarget(8, 40, "sla.yaml target 'mql'")  # five a week
ROUTING = textwrap.dedent("""\
    strategies: [keep-owner, territories, fallback]
    owners:
      malte@example.com: {cap: 4}
      lena@example.com: {weekly_capacity: 7}
      olaf@example.com: {cap: 2}
    pools:
      - id: dach
        cap: 3
        owners: [dana@example.com, malte@example.com, lena@example.com]
      - id: intl
        weekly_capacity: 11
        owners: [sam@example.com]
      - id: unused
        owners: [nobody@example.com]
    territories:
      - {id: dach, when: "contact.country == 'Germany'", pool: dach}
      - {id: rest, when: "true", pool: intl}
    fallback: olaf@example.com
    """)


def test_caps_times_response_targets_a_week_are_summed_over_the_routed_owners() -> None:
    capacity = weekly_capacity(parse_routing(ROUTING, "routing.yaml"), EIGHT_HOURS)
    shares = {share.who: share.weekly for share in capacity.shares}
    assert shares == {
        "dana@example.com (pool dach)": 15,  # the pool's cap 3 × 5
        "malte@example.com (pool dach)": 20,  # its own cap 4 × 5
        "lena@example.com (pool dach)": 7,  # its own weekly capacity
        "pool intl": 11,  # the pool's weekly capacity, whatever its members
        "olaf@example.com (fallback owner)": 10,
    }  # the unused pool is routed to by no territory
    assert capacity.weekly == 63 and capacity.upper_bound and capacity.missing is None
    assert "upper bound" in capacity.assumptions[0] and "absences are not counted" in capacity.assumptions[0]


def test_the_top_level_weekly_capacity_is_the_capacity() -> None:
    capacity = weekly_capacity(parse_routing(ROUTING + "weekly_capacity: 30\n"), EIGHT_HOURS)
    assert (capacity.weekly, capacity.upper_bound, capacity.assumptions) == (30, False, ())


def test_an_owner_without_cap_or_weekly_capacity_leaves_it_unknown_and_says_what_to_add() -> None:
    text = ROUTING.replace("    weekly_capacity: 11\n    owners: [sam@example.com]", "    owners: [sam@example.com]")
    capacity = weekly_capacity(parse_routing(text), EIGHT_HOURS)
    assert capacity.weekly is None
    assert capacity.missing == (
        "capacity unknown for sam@example.com (pool intl): give a 'weekly_capacity' in routing.yaml"
    )


def test_a_team_pool_or_a_missing_response_target_leaves_it_unknown() -> None:
    team = ROUTING.replace("    weekly_capacity: 11\n    owners: [sam@example.com]", "    team: Intl Sales")
    found = weekly_capacity(parse_routing(team), EIGHT_HOURS)
    assert found.weekly is None and "pool intl" in (found.missing or "")
    without_target = weekly_capacity(parse_routing(ROUTING), None)
    assert without_target.weekly is None
    assert "dana@example.com (pool dach)" in (without_target.missing or "")
    assert weekly_capacity(None, EIGHT_HOURS).missing == "no routing.yaml: add one with a 'weekly_capacity'"


def test_an_owner_in_two_routed_pools_counts_once() -> None:
    text = ROUTING.replace("owners: [sam@example.com]", "owners: [sam@example.com, dana@example.com]")
    text = text.replace("    weekly_capacity: 11\n", "    cap: 1\n")
    shares = [share.who for share in weekly_capacity(parse_routing(text), EIGHT_HOURS).shares]
    assert shares.count("dana@example.com (pool dach)") == 1 and "dana@example.com (pool intl)" not in shares


def test_the_shipped_configuration_gives_the_mql_target_and_a_weekly_capacity() -> None:
    config = load_configuration(ROOT / "config")
    target = response_target("mql", config.sla, config.handover)
    assert target is not None and (target.hours, target.week_hours, target.per_week) == (8, 40, 5)
    assert target.source == "sla.yaml target 'mql'"
    assert week_hours(config.handover.calendar) == 40  # type: ignore[union-attr]
    capacity = weekly_capacity(config.routing, target)
    assert capacity.weekly is not None and capacity.missing is None


def test_without_an_sla_target_handover_response_hours_are_the_target() -> None:
    config = load_configuration(ROOT / "config")
    target = response_target("sql", None, config.handover)
    assert target is not None and (target.hours, target.source) == (4, "handover.yaml stage 'sql' response_hours")
    assert response_target("sql", None, None) is None


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ("olaf@example.com: {cap: 2}", "olaf@example.com: {weekly_capacity: 0}",
         "routing.yaml: owners.olaf@example.com: 'weekly_capacity' should be greater than or equal to 1, got 0"),
        ("    weekly_capacity: 11\n", "    weekly_capacity: many\n",
         "routing.yaml: pool 'intl': 'weekly_capacity' should be a valid integer, got 'many'"),
        ("fallback: olaf@example.com\n", "fallback: olaf@example.com\nweekly_capacity: 2.5\n",
         "routing.yaml: 'weekly_capacity' should be a valid integer, got 2.5"),
    ],
)  # fmt: skip
def test_a_bad_weekly_capacity_names_file_item_and_problem(replace: str, by: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_routing(ROUTING.replace(replace, by), "routing.yaml")
    assert str(raised.value) == message
