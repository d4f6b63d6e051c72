"""The SLA watch's pure decisions: a clock's named steps, which fire now, rerouting without earlier owners, the
escalation's recipient and what the contact shows."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta

import pytest

from app.rules import ConfigError, parse_routing
from app.rules.handover.types import Lead, Owner, RoutingState
from app.rules.scoring.assessment import Assessment
from app.rules.sla import SlaConfig, SlaStatus, parse_sla
from app.rules.sla.escalation import escalation_recipient
from app.rules.sla.reassignment import reassignment_reason, reroute
from app.rules.sla.steps import ClockStep, DueSteps, clock_steps, due_steps, start_clock, step_kind
from app.rules.sla.visible import SlaView

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Berlin
SLA = """\
calendars:
  - {id: office, timezone: Europe/Berlin, hours: {mon-fri: "09:00-17:00"}}
targets:
  - {id: sql, stage: sql, hours: 1}
reminders: [50, 80]
escalation:
  to: manager
  managers: {Dana.Fuchs@example.com: olaf.otto@example.com}
  team_leads: {DACH: bo.chen@example.com}
reassignment: {at: 150, max_times: 2}
"""


def sla(text: str = SLA) -> SlaConfig:
    return parse_sla(textwrap.dedent(text), ("sql", "mql"), frozenset({"A", "A1"}), "sla.yaml")


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def steps() -> tuple[ClockStep, ...]:
    started = start_clock(sla(), "sql", "A1", T0)
    assert started is not None
    return started.steps


def names(chosen: tuple[ClockStep, ...]) -> list[str]:
    return [step.name for step in chosen]


def test_a_clock_names_its_steps_in_time_order() -> None:
    assert [(s.name, s.due_at) for s in steps()] == [
        ("reminder:50", minutes(30)),
        ("reminder:80", minutes(48)),
        ("escalation", minutes(60)),
        ("reassignment:1", minutes(90)),
    ]


def test_a_reassigned_owners_clock_has_its_own_names_and_no_reassignment_past_max_times() -> None:
    config = sla()
    started = start_clock(config, "sql", None, T0)
    assert started is not None
    assert names(clock_steps(config, started.points, 1)) == [
        "reminder:50/1", "reminder:80/1", "escalation/1", "reassignment:2"
    ]  # fmt: skip
    assert names(clock_steps(config, started.points, 2)) == ["reminder:50/2", "reminder:80/2", "escalation/2"]


def test_a_stage_without_target_starts_no_clock() -> None:
    assert start_clock(sla(), "mql", "A1", T0) is None


def test_without_reassignment_the_clock_ends_with_the_escalation() -> None:
    config = sla(
        SLA.replace("reassignment: {at: 150, max_times: 2}\n", "reminders: []\n").replace("reminders: [50, 80]\n", "")
    )
    started = start_clock(config, "sql", None, T0)
    assert started is not None and names(started.steps) == ["escalation"]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("reminder:50", "reminder"),
        ("reminder:80/1", "reminder"),
        ("escalation/2", "escalation"),
        ("reassignment:1", "reassignment"),
    ],
)
def test_a_steps_kind_is_read_from_its_name(name: str, kind: str) -> None:
    assert step_kind(name) == kind


def test_an_unknown_step_name_is_an_error() -> None:
    with pytest.raises(ValueError, match="not an SLA step"):
        step_kind("party:1")


@pytest.mark.parametrize(
    ("at", "fire", "skip"),
    [
        (29.99, [], []),
        (30, ["reminder:50"], []),  # exactly at the point: due
        (47, ["reminder:50"], []),
        (48, ["reminder:80"], ["reminder:50"]),  # the watch was away: only the latest reminder
        (60, ["escalation"], ["reminder:50", "reminder:80"]),
        (90, ["escalation", "reassignment:1"], ["reminder:50", "reminder:80"]),
    ],
)
def test_the_steps_due_fire_and_the_reminders_a_later_step_made_pointless_are_skipped(
    at: float, fire: list[str], skip: list[str]
) -> None:
    decided = due_steps(steps(), (), None, minutes(at))
    assert (names(decided.fire), names(decided.skip)) == (fire, skip)


def test_a_step_fired_already_does_not_fire_again() -> None:
    decided = due_steps(steps(), {"reminder:50", "reminder:80", "escalation"}, None, minutes(60))
    assert decided == DueSteps()
    assert names(due_steps(steps(), {"reminder:50", "reminder:80"}, None, minutes(95)).fire) == [
        "escalation", "reassignment:1"
    ]  # fmt: skip


@pytest.mark.parametrize("touched", [0, 29, 30, 59, 60, 61, 120])
def test_a_touch_stops_the_clock_whenever_it_came(touched: float) -> None:
    assert due_steps(steps(), (), minutes(touched), minutes(200)) == DueSteps()


def owner(owner_id: str, email: str, *teams: str, active: bool = True) -> Owner:
    return Owner(owner_id, email, email.split("@", maxsplit=1)[0], tuple(teams), active)


TEAM = {
    o.id: o
    for o in (
        owner("1", "dana.fuchs@example.com", "DACH"),
        owner("2", "malte.krueger@example.com"),
        owner("3", "sam.taylor@example.com"),
        owner("4", "olaf.otto@example.com"),
        owner("6", "bo.chen@example.com", "DACH"),
    )
}
ROUTING = """\
strategies: [keep-owner, account-owner, territories, fallback]
pools:
  - id: dach-team
    owners: [dana.fuchs@example.com, malte.krueger@example.com]
territories:
  - {id: dach, when: "true", pool: dach-team}
fallback: olaf.otto@example.com
"""


def lead(current: str | None = "1", company_owner: str | None = None) -> Lead:
    assessment = Assessment(90, 30, 120, "A1", "sql", (), "m", ())
    return Lead("101", {"country": "Germany"}, "55", {"name": "Kessler"}, assessment, current, company_owner)


def test_rerouting_never_hands_the_lead_back_to_an_earlier_owner() -> None:
    config = parse_routing(ROUTING, "routing.yaml")
    decision, state = reroute(config, lead(), TEAM, RoutingState(), T0, ["1"])
    assert decision.owner_id == "2"
    assert state.open_handovers == {"2": 1}


def test_rerouting_skips_an_earlier_owner_who_owns_the_company() -> None:
    config = parse_routing(ROUTING, "routing.yaml")
    decision, _ = reroute(config, lead(current="2", company_owner="1"), TEAM, RoutingState(), T0, ["1", "2"])
    assert (decision.owner_id, decision.strategy) == ("4", "fallback")


def test_with_every_eligible_owner_excluded_nobody_is_chosen_and_the_reason_says_so() -> None:
    config = parse_routing(ROUTING, "routing.yaml")
    decision, state = reroute(config, lead(), TEAM, RoutingState(), T0, ["1", "2", "4"])
    assert decision.owner_id is None
    assert state == RoutingState()
    reason = reassignment_reason("sql", 150, 90, ["1", "2", "4"], decision)
    assert reason.startswith("not reassigned: no first touch after 90 business minutes (150 % of target sql); no owner")


def test_the_reason_of_a_reassignment_names_the_wait_the_earlier_owners_and_routing() -> None:
    config = parse_routing(ROUTING, "routing.yaml")
    decision, _ = reroute(config, lead(), TEAM, RoutingState(), T0, ["1"])
    reason = reassignment_reason("sql", 150, 90.4, ["1"], decision)
    assert reason.startswith(
        "reassigned: no first touch after 90 business minutes (150 % of target sql); earlier owners 1"
    )
    assert "territory dach" in reason


def test_the_escalation_goes_to_the_owners_manager_by_email_whatever_its_case() -> None:
    assert escalation_recipient(sla().escalation, TEAM["1"], TEAM) == TEAM["4"]


def test_an_owner_without_a_configured_manager_has_no_recipient() -> None:
    assert escalation_recipient(sla().escalation, TEAM["2"], TEAM) is None
    assert escalation_recipient(sla().escalation, None, TEAM) is None


def test_the_escalation_goes_to_the_lead_of_the_owners_team_or_to_a_named_user() -> None:
    to_lead = sla(SLA.replace("to: manager", "to: team_lead")).escalation
    assert escalation_recipient(to_lead, TEAM["1"], TEAM) == TEAM["6"]
    assert escalation_recipient(to_lead, TEAM["2"], TEAM) is None
    to_user = sla(SLA.replace("to: manager", "to: user\n  user: sam.taylor@example.com")).escalation
    assert escalation_recipient(to_user, TEAM["2"], TEAM) == TEAM["3"]


def test_an_archived_recipient_receives_nothing() -> None:
    team = {**TEAM, "4": owner("4", "olaf.otto@example.com", active=False)}
    assert escalation_recipient(sla().escalation, TEAM["1"], team) is None


def test_the_reassignment_moves_the_deal_by_default_and_may_leave_it() -> None:
    assert sla().reassignment is not None and sla().reassignment.move_deal  # type: ignore[union-attr]
    kept = sla(SLA.replace("max_times: 2}", "max_times: 2, move_deal: false}"))
    assert kept.reassignment is not None and not kept.reassignment.move_deal


def test_the_contact_shows_status_due_time_first_touch_and_business_minutes() -> None:
    view = SlaView(SlaStatus.MET, minutes(60), minutes(20), 20.4)
    assert view.writes() == {
        "leadflow_sla_status": "met",
        "leadflow_sla_due_at": "2026-11-24T10:00:00.000Z",
        "leadflow_first_touch_at": "2026-11-24T09:20:00.000Z",
        "leadflow_response_business_minutes": "20",
    }
    untouched = SlaView(SlaStatus.AT_RISK, minutes(60))
    assert untouched.writes()["leadflow_first_touch_at"] == ""
    assert untouched.fingerprint() != SlaView(SlaStatus.BREACHED, minutes(60)).fingerprint()
    assert untouched.fingerprint() != SlaView(SlaStatus.AT_RISK, minutes(61)).fingerprint()
    assert view.fingerprint().startswith("met|")


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("managers: {Dana.Fuchs@example.com: olaf.otto@example.com}", "managers: {dana: olaf}", "escalation"),
        ("max_times: 2}", "max_times: 2, move_deal: maybe}", "move_deal"),
    ],
)
def test_a_bad_manager_email_or_move_deal_is_a_config_error_naming_it(old: str, new: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem) as raised:
        sla(SLA.replace(old, new))
    assert "sla.yaml" in str(raised.value)
