"""config/routing.yaml: the shipped example loads, and every invalid file fails naming file, item and problem."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.rules import ConfigError, parse_routing, preview
from app.rules.config import load_config
from app.rules.handover.routing_config import ROUTING
from app.rules.handover.types import Owner, RoutingState

FILE = "config/routing.yaml"

VALID = """\
strategies: [keep-owner, account-owner, territories, fallback]
timezone: Europe/Berlin
owners:
  dana.fuchs@example.com:
    cap: 10
    out_of_office:
      - {start: 2026-12-01, end: 2026-12-02}
pools:
  - id: dach-team
    cap: 5
    owners:
      - {email: dana.fuchs@example.com, weight: 2}
      - malte.krueger@example.com
  - id: enterprise
    team: Enterprise Sales
territories:
  - id: dach
    when: contact.country == 'Germany'
    pool: dach-team
fallback: olaf.otto@example.com
"""


def load_error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_routing(text, FILE)
    return caught.value


def with_replaced(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new, 1)


def test_the_shipped_routing_file_is_a_team_of_six_in_two_territories(config_dir: Path) -> None:
    config = load_config(ROUTING, config_dir)
    assert config.strategies == ("keep-owner", "account-owner", "territories", "fallback")
    assert [territory.id for territory in config.territories] == ["dach", "international"]
    members = [member.email for pool in config.pools.values() for member in pool.members]
    assert len(members) == len(set(members)) == 6
    assert config.fallback == "olaf.otto@example.com"
    assert any(member.weight == 2 for member in config.pools["dach-team"].members)
    assert any(rules.absences for rules in config.owners.values())
    assert any(rules.cap for rules in config.owners.values())


def test_the_shipped_file_routes_dach_and_international_leads(config_dir: Path) -> None:
    config = load_config(ROUTING, config_dir)
    emails = [m.email for pool in config.pools.values() for m in pool.members] + ["olaf.otto@example.com"]
    team = {str(n): Owner(str(n), email, email.split("@")[0]) for n, email in enumerate(emails)}
    decisions = preview(config, [], team, RoutingState(), datetime(2026, 11, 27, 9, tzinfo=UTC), per_territory=4)
    assert [d.pool for d in decisions] == ["dach-team"] * 4 + ["international-team"] * 4
    assert all(d.owner_id for d in decisions)


def test_the_valid_base_file_loads() -> None:
    config = parse_routing(VALID, FILE)
    assert config.pools["enterprise"].team == "Enterprise Sales"
    assert config.owner_rules("Dana.Fuchs@example.com").cap == 10


def test_an_unknown_strategy_is_an_error() -> None:
    error = load_error(with_replaced("territories, fallback]", "territories, round-robin]"))
    assert str(error).startswith("config/routing.yaml: strategies[3]: should be 'keep-owner', 'account-owner'")
    assert "got 'round-robin'" in str(error)


def test_a_strategy_listed_twice_is_an_error() -> None:
    error = load_error(with_replaced("[keep-owner, account-owner,", "[keep-owner, keep-owner,"))
    assert str(error) == "config/routing.yaml: strategy 'keep-owner': is listed twice"


def test_no_strategies_is_an_error() -> None:
    assert (
        "'strategies'" in load_error(with_replaced("[keep-owner, account-owner, territories, fallback]", "[]")).problem
    )


def test_the_fallback_strategy_needs_a_fallback_owner() -> None:
    error = load_error(with_replaced("fallback: olaf.otto@example.com\n", ""))
    assert str(error) == "config/routing.yaml: strategy 'fallback' needs a 'fallback' owner (an email)"


def test_the_territories_strategy_needs_territories() -> None:
    text = VALID[: VALID.index("territories:\n")] + "fallback: olaf.otto@example.com\n"
    assert "strategy 'territories' needs at least one entry" in str(load_error(text))


def test_an_unknown_pool_in_a_territory_names_the_territory() -> None:
    error = load_error(with_replaced("pool: dach-team", "pool: dach"))
    assert str(error) == "config/routing.yaml: territory 'dach': unknown pool 'dach' (pools: dach-team, enterprise)"


def test_a_territory_condition_that_does_not_compile_names_the_territory() -> None:
    error = load_error(with_replaced("contact.country == 'Germany'", "contcat.country == 'Germany'"))
    assert (error.rule, error.subject) == ("dach", "territory")
    assert "unknown name 'contcat'" in error.problem


def test_a_zero_weight_names_the_pool() -> None:
    error = load_error(with_replaced("weight: 2", "weight: 0"))
    assert str(error).startswith("config/routing.yaml: pool 'dach-team': 'owners[0].weight' should be greater than")


def test_a_fractional_weight_is_an_error() -> None:
    assert load_error(with_replaced("weight: 2", "weight: 1.5")).rule == "dach-team"


def test_a_cap_below_one_is_an_error_for_pools_and_owners() -> None:
    assert load_error(with_replaced("cap: 5", "cap: 0")).rule == "dach-team"
    error = load_error(with_replaced("cap: 10", "cap: 0"))
    assert str(error).startswith("config/routing.yaml: owners.dana.fuchs@example.com: 'cap' should be greater")


def test_an_email_listed_twice_in_a_pool_is_an_error() -> None:
    error = load_error(with_replaced("- malte.krueger@example.com", "- Dana.Fuchs@example.com"))
    assert str(error) == "config/routing.yaml: pool 'dach-team': owner Dana.Fuchs@example.com is listed twice"


def test_owner_settings_given_twice_are_an_error() -> None:
    error = load_error(with_replaced("owners:\n  dana", "owners:\n  Dana.Fuchs@example.com: {cap: 3}\n  dana"))
    assert str(error) == "config/routing.yaml: owner 'dana.fuchs@example.com': is listed twice"


def test_an_owner_must_be_named_by_email() -> None:
    error = load_error(with_replaced("- malte.krueger@example.com", "- Malte Krüger"))
    assert error.rule == "dach-team"
    assert "must be an owner's email address" in error.problem


def test_a_pool_needs_owners_or_a_team_but_not_both() -> None:
    assert "either 'owners'" in load_error(with_replaced("    team: Enterprise Sales\n", "")).problem
    both = with_replaced("    team: Enterprise Sales\n", "    team: Enterprise Sales\n    owners: [a@example.com]\n")
    assert load_error(both).rule == "enterprise"


def test_duplicate_pool_ids_are_an_error() -> None:
    error = load_error(with_replaced("id: enterprise", "id: dach-team"))
    assert str(error) == "config/routing.yaml: pool 'dach-team': duplicate pool id"


def test_an_absence_that_ends_before_it_starts_is_an_error() -> None:
    error = load_error(with_replaced("{start: 2026-12-01, end: 2026-12-02}", "{start: 2026-12-05, end: 2026-12-02}"))
    assert str(error) == (
        "config/routing.yaml: owner 'dana.fuchs@example.com': "
        "out_of_office[0] ends (2026-12-02) before it starts (2026-12-05)"
    )


def test_a_one_day_absence_is_valid_but_one_ending_at_its_start_time_is_not() -> None:
    assert parse_routing(with_replaced("end: 2026-12-02", "end: 2026-12-01"), FILE)
    same = with_replaced("{start: 2026-12-01, end: 2026-12-02}", "{start: 2026-12-01 10:00, end: 2026-12-01 10:00}")
    assert "ends" in load_error(same).problem


def test_an_absence_without_end_is_an_error() -> None:
    error = load_error(with_replaced(", end: 2026-12-02}", "}"))
    assert (
        str(error) == "config/routing.yaml: owners.dana.fuchs@example.com.out_of_office[0]: missing required key 'end'"
    )


def test_an_unknown_time_zone_is_an_error() -> None:
    error = load_error(with_replaced("timezone: Europe/Berlin", "timezone: Europe/Bonn"))
    assert str(error) == "config/routing.yaml: timezone: unknown time zone 'Europe/Bonn' (e.g. Europe/Berlin)"


def test_an_unknown_key_is_an_error() -> None:
    assert (
        str(load_error(VALID + "round_robin: smooth\n")) == "config/routing.yaml: unknown top-level key 'round_robin'"
    )
    error = load_error(with_replaced("    pool: dach-team", "    pool: dach-team\n    weight: 2"))
    assert str(error) == "config/routing.yaml: territory 'dach': unknown key 'weight'"


def test_an_unknown_property_type_is_an_error() -> None:
    error = load_error("properties:\n  company.size: huge\n" + VALID)
    assert str(error).startswith("config/routing.yaml: properties.company.size: unknown property type 'huge'")


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(ROUTING, tmp_path)


def test_an_impossible_date_is_an_error_not_a_crash() -> None:
    error = load_error(with_replaced("end: 2026-12-02", "end: 2026-02-30"))
    assert str(error) == "config/routing.yaml: invalid date or time: day is out of range for month"
