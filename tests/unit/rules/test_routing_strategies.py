"""Routing tries its strategies in the configured order and says why it chose whom."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from app.rules import RoutingConfig, parse_routing, preview, route
from app.rules.handover.routing import MAX_REASON_LENGTH
from app.rules.handover.types import Lead, Owner, RoutingState
from app.rules.scoring.assessment import Assessment

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ASSESSMENT = Assessment(60, 30, 90, "B2", "mql", (), "m-1", ())

CONFIG = """\
strategies: [keep-owner, account-owner, territories, fallback]
properties:
  company.numberofemployees: number
owners:
  malte.krueger@example.com:
    out_of_office: [{start: 2026-11-20, end: 2026-12-02}]
pools:
  - id: dach-team
    owners:
      - {email: dana.fuchs@example.com, weight: 2}
      - malte.krueger@example.com
  - id: big-accounts
    team: Enterprise Sales
  - id: international-team
    owners: [sam.taylor@example.com]
territories:
  - id: enterprise
    when: company.numberofemployees >= 1000
    pool: big-accounts
  - id: dach
    when: contact.country in ['Germany', 'Austria'] or company.country == 'Germany'
    pool: dach-team
  - id: international
    when: contact.country != null
    pool: international-team
fallback: olaf.otto@example.com
"""


def owner(owner_id: str, email: str, name: str, *teams: str, active: bool = True) -> Owner:
    return Owner(owner_id, email, name, tuple(teams), active)


TEAM = {
    o.id: o
    for o in (
        owner("1", "dana.fuchs@example.com", "Dana Fuchs"),
        owner("2", "malte.krueger@example.com", "Malte Krüger"),
        owner("3", "sam.taylor@example.com", "Sam Taylor"),
        owner("4", "olaf.otto@example.com", "Olaf Otto"),
        owner("5", "eve.adams@example.com", "Eve Adams", "Enterprise Sales"),
        owner("6", "bo.chen@example.com", "Bo Chen", "Enterprise Sales", "DACH"),
        owner("7", "al.old@example.com", "Al Old", "Enterprise Sales", active=False),
    )
}


def config(text: str = CONFIG) -> RoutingConfig:
    return parse_routing(textwrap.dedent(text), "config/routing.yaml")


def lead(
    contact: Mapping[str, str | None] | None = None,
    company: Mapping[str, str | None] | None = None,
    current: str | None = None,
    company_owner: str | None = None,
) -> Lead:
    return Lead("101", contact or {}, "55" if company else None, company or {}, ASSESSMENT, current, company_owner)


def test_an_active_current_owner_is_kept() -> None:
    decision, state = route(config(), lead({"country": "Germany"}, current="3"), TEAM, RoutingState(), NOW)
    assert (decision.owner_id, decision.strategy, decision.pool) == ("3", "keep-owner", None)
    assert decision.reason == "keep-owner: Sam Taylor already owns the contact"
    assert state == RoutingState({}, {"3": 1})


def test_an_archived_current_owner_is_not_kept_and_the_reason_says_so() -> None:
    decision, _ = route(config(), lead({"country": "Germany"}, current="7"), TEAM, RoutingState(), NOW)
    assert decision.strategy == "territories"
    assert decision.reason.endswith("; current owner Al Old is archived")


def test_a_current_owner_unknown_to_hubspot_is_not_kept() -> None:
    decision, _ = route(config(), lead({"country": "Germany"}, current="999"), TEAM, RoutingState(), NOW)
    assert decision.owner_id == "1"
    assert "current owner 999 is not a HubSpot owner" in decision.reason


def test_the_company_owner_wins_over_the_territories() -> None:
    the_lead = lead({"country": "Germany"}, {"name": "Acme GmbH"}, company_owner="3")
    decision, state = route(config(), the_lead, TEAM, RoutingState(), NOW)
    assert (decision.owner_id, decision.strategy) == ("3", "account-owner")
    assert decision.reason == "account-owner: Sam Taylor owns the company Acme GmbH"
    assert state.cursors == {}


def test_keeping_the_owner_comes_before_the_account_match_in_the_default_order() -> None:
    decision, _ = route(config(), lead(current="1", company_owner="3"), TEAM, RoutingState(), NOW)
    assert decision.owner_id == "1"


def test_the_configured_order_is_the_order_tried() -> None:
    reordered = config(CONFIG.replace("[keep-owner, account-owner,", "[account-owner, keep-owner,"))
    decision, _ = route(reordered, lead(current="1", company_owner="3"), TEAM, RoutingState(), NOW)
    assert (decision.owner_id, decision.strategy) == ("3", "account-owner")


def test_a_strategy_left_out_is_never_tried() -> None:
    territories_only = config(CONFIG.replace("[keep-owner, account-owner, territories, fallback]", "[territories]"))
    decision, _ = route(territories_only, lead({"country": "Germany"}, current="3"), TEAM, RoutingState(), NOW)
    assert (decision.owner_id, decision.strategy) == ("1", "territories")


def test_the_first_matching_territory_routes_the_lead() -> None:
    the_lead = lead({"country": "Germany"}, {"numberofemployees": "5000"})
    decision, state = route(config(), the_lead, TEAM, RoutingState(), NOW)
    assert (decision.strategy, decision.pool) == ("territories", "big-accounts")
    assert state.cursors == {"big-accounts": 1}


@pytest.mark.parametrize(
    ("contact", "company", "pool"),
    [
        ({"country": "Austria"}, {}, "dach-team"),
        ({}, {"country": "Germany"}, "dach-team"),
        ({"country": "France"}, {"country": "Germany"}, "dach-team"),
        ({"country": "France"}, {}, "international-team"),
        ({"country": "France"}, {"numberofemployees": "999"}, "international-team"),
        ({"country": "France"}, {"numberofemployees": "1000"}, "big-accounts"),
        ({"country": "France"}, {"numberofemployees": "lots"}, "international-team"),
    ],
)
def test_territory_conditions_read_converted_contact_and_company_properties(
    contact: dict[str, str], company: dict[str, str], pool: str
) -> None:
    decision, _ = route(config(), lead(contact, company), TEAM, RoutingState(), NOW)
    assert decision.pool == pool


def test_no_matching_territory_goes_on_to_the_fallback() -> None:
    decision, state = route(config(), lead(), TEAM, RoutingState(), NOW)
    assert (decision.owner_id, decision.strategy) == ("4", "fallback")
    assert decision.reason == "fallback: Olaf Otto; no territory matched"
    assert state == RoutingState({}, {"4": 1})


def test_a_pool_with_nobody_available_goes_on_to_the_next_strategy_not_the_next_territory() -> None:
    with_typo = config(
        CONFIG.replace(
            "      - malte.krueger@example.com\n", "      - malte.krueger@example.com\n      - x@example.com\n"
        )
    )
    team = {key: value for key, value in TEAM.items() if key != "1"}  # Dana has left
    decision, _ = route(with_typo, lead({"country": "Germany"}), team, RoutingState(), NOW)
    assert decision.strategy == "fallback"
    assert decision.reason == (
        "fallback: Olaf Otto; territory dach: nobody available in pool dach-team: "
        "dana.fuchs@example.com (not a HubSpot owner), Malte Krüger (out of office until 2026-12-02), "
        "x@example.com (not a HubSpot owner)"
    )


def test_a_team_pool_holds_the_active_owners_of_that_hubspot_team_in_email_order() -> None:
    big = lead({"country": "France"}, {"numberofemployees": "5000"})
    owners = [d.owner_id for d in preview(config(), [big] * 4, TEAM, RoutingState(), NOW)]
    assert owners == ["6", "5", "6", "5"]  # bo.chen before eve.adams; Al Old is archived


def test_a_team_pool_whose_team_has_no_active_owner_is_noted() -> None:
    team = {key: value for key, value in TEAM.items() if key not in {"5", "6"}}
    decision, _ = route(config(), lead({}, {"numberofemployees": "5000"}), team, RoutingState(), NOW)
    assert decision.strategy == "fallback"
    assert "territory enterprise: pool big-accounts has no owners (team 'Enterprise Sales')" in decision.reason


def test_an_unavailable_fallback_leaves_the_lead_without_owner() -> None:
    team = {key: value for key, value in TEAM.items() if key != "4"}
    decision, state = route(config(), lead(), team, RoutingState(), NOW)
    assert (decision.owner_id, decision.strategy, decision.pool) == (None, "none", None)
    expected = (
        "no owner available: no territory matched; fallback olaf.otto@example.com unavailable (not a HubSpot owner)"
    )
    assert decision.reason == expected
    assert state == RoutingState()


def test_a_fallback_owner_out_of_office_is_unavailable() -> None:
    olaf_away = "  olaf.otto@example.com:\n    out_of_office: [{start: 2026-11-27, end: 2026-11-27}]\n"
    away = config(CONFIG.replace("owners:\n", "owners:\n" + olaf_away, 1))
    decision, _ = route(away, lead(), TEAM, RoutingState(), NOW)
    assert decision.owner_id is None
    assert "fallback Olaf Otto unavailable (out of office until 2026-11-27)" in decision.reason


def test_without_any_strategy_that_applies_the_reason_says_so() -> None:
    keep_only = config(CONFIG.replace("[keep-owner, account-owner, territories, fallback]", "[keep-owner]"))
    decision, _ = route(keep_only, lead(), TEAM, RoutingState(), NOW)
    assert decision.reason == "no owner available: no strategy applied"


def test_the_same_state_gives_the_same_decision() -> None:
    state = RoutingState({"dach-team": 7}, {"1": 2})
    first = route(config(), lead({"country": "Germany"}), TEAM, state, NOW)
    second = route(config(), lead({"country": "Germany"}), TEAM, state, NOW)
    assert first == second
    assert state == RoutingState({"dach-team": 7}, {"1": 2})  # the given state is not changed


def test_the_territory_reason_names_pool_weight_open_count_cap_and_skips() -> None:
    capped = config(CONFIG.replace("  - id: dach-team\n", "  - id: dach-team\n    cap: 10\n"))
    state = RoutingState({"dach-team": 1}, {"1": 3})  # the cycle is [Dana, Malte, Dana]: slot 1 is Malte's
    decision, _ = route(capped, lead({"country": "Germany"}), TEAM, state, NOW)
    assert decision.reason == (
        "territory dach: round robin in pool dach-team, Dana Fuchs (weight 2, 3 open of cap 10); "
        "skipped Malte Krüger (out of office until 2026-12-02)"
    )


def test_a_long_reason_is_cut_to_the_limit() -> None:
    many = "\n".join(f"      - owner{n}@example.com" for n in range(60))
    crowded = config(CONFIG.replace("    owners: [sam.taylor@example.com]", f"    owners:\n{many}"))
    decision, _ = route(crowded, lead({"country": "France"}), {}, RoutingState(), NOW)
    assert len(decision.reason) == MAX_REASON_LENGTH
    assert decision.reason.endswith("…")


def test_preview_is_the_sequence_of_route_calls() -> None:
    leads = [lead({"country": c}) for c in ("Germany", "France", "Germany", "Austria", "", "Germany")]
    state = RoutingState({"dach-team": 5}, {"3": 1})
    expected = []
    for each in leads:
        decision, state = route(config(), each, TEAM, state, NOW)
        expected.append(decision)
    assert preview(config(), leads, TEAM, RoutingState({"dach-team": 5}, {"3": 1}), NOW) == expected


def test_preview_without_leads_shows_the_next_owners_of_every_territory() -> None:
    decisions = preview(config(), [], TEAM, RoutingState(), NOW, per_territory=3)
    assert [(d.pool, d.owner_id) for d in decisions] == [
        ("big-accounts", "6"),
        ("big-accounts", "5"),
        ("big-accounts", "6"),
        ("dach-team", "1"),
        ("dach-team", "1"),  # Malte is out of office: his slot is skipped
        ("dach-team", "1"),
        ("international-team", "3"),
        ("international-team", "3"),
        ("international-team", "3"),
    ]


def test_preview_of_synthetic_leads_agrees_with_routing_real_ones() -> None:
    german = lead({"country": "Germany"})
    synthetic = [d for d in preview(config(), [], TEAM, RoutingState(), NOW, per_territory=4) if d.pool == "dach-team"]
    assert synthetic == preview(config(), [german] * 4, TEAM, RoutingState(), NOW)


def test_emails_match_owners_case_insensitively() -> None:
    team = {"1": owner("1", "Dana.Fuchs@Example.com", "Dana Fuchs")}
    decision, _ = route(config(), lead({"country": "Germany"}), team, RoutingState(), NOW)
    assert decision.owner_id == "1"


def test_the_team_mapping_may_be_keyed_by_anything() -> None:
    by_email = {o.email: o for o in TEAM.values()}
    assert route(config(), lead(current="3"), by_email, RoutingState(), NOW)[0].owner_id == "3"
    assert route(config(), lead({"country": "Germany"}), by_email, RoutingState(), NOW)[0].owner_id == "1"


def test_a_naive_time_is_read_as_utc() -> None:
    naive = route(
        config(), lead({"country": "Germany"}), TEAM, RoutingState({"dach-team": 1}), NOW.replace(tzinfo=None)
    )
    assert naive == route(config(), lead({"country": "Germany"}), TEAM, RoutingState({"dach-team": 1}), NOW)
