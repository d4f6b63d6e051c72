"""Handover plans: owner, lifecycle stage (forward only), lead status, task, deal, blocked note, feedback, recycle."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from datetime import UTC, datetime

import pytest

from app.rules import (
    HandoverConfig,
    classify_feedback,
    parse_handover,
    plan_blocked,
    plan_handover,
    plan_recycle,
    plan_unblocked,
)
from app.rules.handover.plan import format_amount, is_ahead
from app.rules.handover.types import Feedback, Lead, Owner, RoutingDecision, handover_key
from app.rules.scoring.assessment import Assessment, Blocked, Reason

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday, 10:00 in Berlin
STAGES = ("sql", "mql")
LABELS = {"sql": "Sales qualified lead", "mql": "Marketing qualified lead"}
REASONS = (Reason("decision-maker", "Decision maker", 30), Reason("demo_request", "Demo request", 10, 1))

CONFIG = """\
calendar: {timezone: Europe/Berlin, hours: "09:00-17:00"}
defaults:
  contact.firstname: there
stages:
  - id: mql
    lifecyclestage: marketingqualifiedlead
    lead_status: NEW
    response_hours: 8
    task:
      subject: "MQL {contact.firstname} {contact.lastname} at {company.name} ({grade}): {reasons}"
      body: |
        Hello {owner.name}, {contact.firstname} is a {stage_label} ({stage}).
        Score {score} = fit {fit} + engagement {engagement}; due {due_at}.
        {reasons}
      type: EMAIL
      priority: {by_grade: {A: HIGH, B2: HIGH, B: MEDIUM, default: LOW}}
      queue_id: 4711
  - id: sql
    lifecyclestage: salesqualifiedlead
    lead_status: OPEN
    response_hours: 4
    task: {subject: "Call {contact.firstname}", type: CALL, priority: HIGH}
    deal:
      pipeline: sales
      stage: "1234"
      name: "{company.name} – {contact.lastname}"
      amount_property: company.annualrevenue
    notify: true
gate:
  data_task:
    owner: ops@example.com
    subject: "Complete {contact.lastname} for {stage_label}: {missing}"
    body: "Missing for {stage}: {missing}. By {due_at}, {owner.name}."
    due_hours: 2
    priority: HIGH
feedback:
  accepted: [CONNECTED, IN_PROGRESS]
  rejected: {UNQUALIFIED: not qualified, BAD_TIMING: bad timing}
recycle:
  lifecyclestage: lead
  lead_status: ""
  engagement_from_recycle: true
"""

DANA = Owner("11", "dana.fuchs@example.com", "Dana Fuchs")
OPS = Owner("99", "ops@example.com", "Olga Ops")
TEAM = {owner.id: owner for owner in (DANA, OPS, Owner("12", "old@example.com", "Al Old", (), False))}
ROUTED = RoutingDecision("11", "territories", "territory dach: round robin in pool dach-team, Dana Fuchs", "dach-team")
NOBODY = RoutingDecision(None, "none", "no owner available: no territory matched")


def config(text: str = CONFIG) -> HandoverConfig:
    return parse_handover(textwrap.dedent(text), STAGES, "config/handover.yaml", LABELS)


def lead(
    contact: Mapping[str, str | None] | None = None,
    company: Mapping[str, str | None] | None = None,
    grade: str = "B2",
    current: str | None = None,
) -> Lead:
    assessment = Assessment(62, 33, 95, grade, "mql", (), "m-1", REASONS)
    base_contact = {"firstname": "Jane", "lastname": "Doe", "lifecyclestage": "lead"}
    base_company = {"name": "Acme GmbH", "annualrevenue": "2500000"}
    contact = {**base_contact, **(contact or {})}
    return Lead("123", contact, "55", {**base_company, **(company or {})}, assessment, current)


def test_a_stage_without_a_handover_section_plans_nothing() -> None:
    assert plan_handover(config(), "opportunity", lead(), ROUTED, 1, NOW, TEAM) is None


def test_the_plan_is_keyed_by_contact_stage_and_cycle() -> None:
    plan = plan_handover(config(), "mql", lead(), ROUTED, 2, NOW, TEAM)
    assert plan is not None
    assert (plan.contact_id, plan.stage, plan.cycle, plan.key) == ("123", "mql", 2, handover_key("123", "mql", 2))
    assert plan.key == "123-mql-2"


def test_the_contact_gets_owner_lifecycle_stage_lead_status_and_routing_reason() -> None:
    plan = plan_handover(config(), "mql", lead(), ROUTED, 1, NOW, TEAM)
    assert plan is not None
    assert plan.contact_writes == {
        "hubspot_owner_id": "11",
        "lifecyclestage": "marketingqualifiedlead",
        "hs_lead_status": "NEW",
        "leadflow_routing_reason": ROUTED.reason,
    }
    assert plan.decision == ROUTED


def test_the_owner_is_not_written_when_it_does_not_change() -> None:
    plan = plan_handover(config(), "mql", lead(current="11"), ROUTED, 1, NOW, TEAM)
    assert plan is not None
    assert "hubspot_owner_id" not in plan.contact_writes


@pytest.mark.parametrize(
    ("current", "written"),
    [
        (None, True),
        ("", True),
        ("subscriber", True),
        ("lead", True),
        ("marketingqualifiedlead", False),
        ("salesqualifiedlead", False),
        ("customer", False),
        ("other", False),
        ("12345678", False),  # a custom stage: its place in the order is unknown
    ],
)
def test_the_lifecycle_stage_only_moves_forward(current: str | None, written: bool) -> None:
    plan = plan_handover(config(), "mql", lead({"lifecyclestage": current}), ROUTED, 1, NOW, TEAM)
    assert plan is not None
    assert ("lifecyclestage" in plan.contact_writes) is written


def test_forward_order_is_hubspots_default_order() -> None:
    assert is_ahead("salesqualifiedlead", "marketingqualifiedlead")
    assert not is_ahead("lead", "opportunity")
    assert not is_ahead("lead", "lead")
    assert not is_ahead("98765", "lead")


def test_the_task_renders_templates_with_contact_company_score_reasons_owner_and_due_date() -> None:
    plan = plan_handover(config(), "mql", lead(), ROUTED, 1, NOW, TEAM)
    assert plan is not None and plan.task is not None
    task = plan.task
    assert task.subject == "MQL Jane Doe at Acme GmbH (B2): +30 Decision maker · +10 Demo request (1×)"
    assert task.body == (
        "Hello Dana Fuchs, Jane is a Marketing qualified lead (mql).\n"
        "Score 95 = fit 62 + engagement 33; due 2026-11-25 10:00 CET.\n"
        "+30 Decision maker\n+10 Demo request (1×)\n"
    )
    assert (task.task_type, task.owner_id, task.queue_id) == ("EMAIL", "11", "4711")
    assert task.due_at == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # 8 business hours from Tuesday 10:00


def test_a_missing_value_renders_as_its_default_or_empty() -> None:
    plan = plan_handover(
        config(), "mql", lead({"firstname": None, "lastname": ""}, {"name": None}), ROUTED, 1, NOW, TEAM
    )
    assert plan is not None and plan.task is not None
    assert plan.task.subject.startswith("MQL there at (B2):")


def test_a_value_with_line_breaks_stays_on_one_line_in_a_subject() -> None:
    plan = plan_handover(config(), "mql", lead({"lastname": "Doe\nSmith"}), ROUTED, 1, NOW, TEAM)
    assert plan is not None and plan.task is not None
    assert plan.task.subject.startswith("MQL Jane Doe · Smith at Acme GmbH")


@pytest.mark.parametrize(
    ("grade", "priority"), [("A1", "HIGH"), ("B2", "HIGH"), ("B3", "MEDIUM"), ("C1", "LOW"), ("", "LOW")]
)
def test_the_task_priority_follows_the_grade(grade: str, priority: str) -> None:
    plan = plan_handover(config(), "mql", lead(grade=grade), ROUTED, 1, NOW, TEAM)
    assert plan is not None and plan.task is not None
    assert plan.task.priority == priority


def test_a_fixed_priority_ignores_the_grade() -> None:
    plan = plan_handover(config(), "sql", lead(grade="D4"), ROUTED, 1, NOW, TEAM)
    assert plan is not None and plan.task is not None
    assert plan.task.priority == "HIGH"


def test_without_an_owner_there_is_no_task_or_deal_and_the_reason_says_so() -> None:
    plan = plan_handover(config(), "sql", lead(), NOBODY, 1, NOW, TEAM)
    assert plan is not None
    assert (plan.task, plan.deal) == (None, None)
    assert plan.decision.reason == "no owner available: no territory matched; no task or deal without an owner"
    assert plan.contact_writes["leadflow_routing_reason"] == plan.decision.reason
    assert "hubspot_owner_id" not in plan.contact_writes


def test_the_sql_stage_creates_a_deal_with_name_pipeline_stage_owner_and_amount() -> None:
    plan = plan_handover(config(), "sql", lead(), ROUTED, 1, NOW, TEAM)
    assert plan is not None and plan.deal is not None
    deal = plan.deal
    assert (deal.name, deal.pipeline, deal.stage, deal.owner_id, deal.amount) == (
        "Acme GmbH – Doe",
        "sales",
        "1234",
        "11",
        "2500000",
    )
    assert plan.notify is True


@pytest.mark.parametrize(
    ("raw", "amount"),
    [
        ("2500000", "2500000"),
        ("2500000.50", "2500000.50"),
        ("1e3", "1000"),
        (" 42 ", "42"),
        ("0.1", "0.1"),
        ("123456789012345678901234", "123456789012345678901234"),
        ("", None),
        (None, None),
        ("a lot", None),
        ("nan", None),
        ("inf", None),
        ("1,000", None),
    ],
)
def test_the_deal_amount_is_a_plain_number_or_none(raw: str | None, amount: str | None) -> None:
    assert format_amount(raw) == amount
    plan = plan_handover(config(), "sql", lead(company={"annualrevenue": raw}), ROUTED, 1, NOW, TEAM)
    assert plan is not None and plan.deal is not None
    assert plan.deal.amount == amount


def test_a_deal_without_amount_property_has_no_amount() -> None:
    plan = plan_handover(
        config(CONFIG.replace("      amount_property: company.annualrevenue\n", "")),
        "sql",
        lead(),
        ROUTED,
        1,
        NOW,
        TEAM,
    )
    assert plan is not None and plan.deal is not None
    assert plan.deal.amount is None


def test_a_stage_that_keeps_the_owner_gives_the_task_to_the_current_owner() -> None:
    keep = config(CONFIG.replace("  - id: mql\n", "  - id: mql\n    owner: keep\n"))
    plan = plan_handover(keep, "mql", lead(current="11"), NOBODY, 1, NOW, TEAM)
    assert plan is not None and plan.task is not None
    assert (plan.decision.owner_id, plan.decision.strategy, plan.task.owner_id) == ("11", "keep-owner", "11")
    assert plan.decision.reason == "stage mql keeps the current owner, Dana Fuchs"


def test_a_stage_that_keeps_the_owner_has_no_task_when_the_owner_is_archived_or_missing() -> None:
    keep = config(CONFIG.replace("  - id: mql\n", "  - id: mql\n    owner: keep\n"))
    archived = plan_handover(keep, "mql", lead(current="12"), ROUTED, 1, NOW, TEAM)
    assert archived is not None and archived.task is None
    assert archived.decision.reason.startswith("stage mql keeps the current owner, but Al Old is archived")
    nobody = plan_handover(keep, "mql", lead(), ROUTED, 1, NOW, TEAM)
    assert nobody is not None and nobody.decision.reason.startswith("stage mql keeps the current owner, but the")


def test_a_stage_with_owner_none_leaves_the_owner_alone() -> None:
    text = CONFIG.replace("  - id: mql\n", "  - id: mql\n    owner: none\n")
    text = text[: text.index('    task:\n      subject: "MQL')] + text[text.index("  - id: sql") :]
    plan = plan_handover(config(text), "mql", lead(current="11"), ROUTED, 1, NOW, TEAM)
    assert plan is not None
    assert (plan.decision.owner_id, plan.task) == (None, None)
    assert "hubspot_owner_id" not in plan.contact_writes
    assert config(text).routes("mql") is False
    assert config().routes("mql") is True


def test_a_blocked_handover_names_stage_and_missing_properties_and_asks_marketing_ops() -> None:
    blocked = plan_blocked(config(), lead(), Blocked("sql", ("phone", "company")), TEAM, NOW)
    assert (blocked.contact_id, blocked.stage, blocked.missing) == ("123", "sql", ("phone", "company"))
    assert blocked.contact_writes == {"leadflow_handover_blocked": "sql: missing phone, company"}
    task = blocked.data_task
    assert task is not None
    assert task.subject == "Complete Doe for Sales qualified lead: phone, company"
    assert task.body == "Missing for sql: phone, company. By 2026-11-24 12:00 CET, Olga Ops."
    assert (task.owner_id, task.priority, task.task_type) == ("99", "HIGH", "TODO")
    assert task.due_at == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


def test_a_blocked_handover_has_no_data_task_without_a_configured_or_active_ops_owner() -> None:
    without_gate = config(CONFIG[: CONFIG.index("gate:")] + CONFIG[CONFIG.index("feedback:") :])
    assert plan_blocked(without_gate, lead(), Blocked("sql", ("phone",)), TEAM, NOW).data_task is None
    team = {"11": DANA}
    plan = plan_blocked(config(), lead(), Blocked("sql", ("phone",)), team, NOW)
    assert plan.data_task is None
    assert plan.contact_writes == {"leadflow_handover_blocked": "sql: missing phone"}


def test_an_unblocked_contact_clears_the_note() -> None:
    assert plan_unblocked() == {"leadflow_handover_blocked": ""}


@pytest.mark.parametrize(
    ("status", "feedback"),
    [
        ("CONNECTED", Feedback("accepted")),
        ("IN_PROGRESS", Feedback("accepted")),
        ("UNQUALIFIED", Feedback("rejected", "not qualified")),
        ("BAD_TIMING", Feedback("rejected", "bad timing")),
        ("NEW", None),
        ("", None),
        (None, None),
        ("connected", None),  # internal values are exact
    ],
)
def test_lead_statuses_classify_as_accepted_rejected_or_nothing(status: str | None, feedback: Feedback | None) -> None:
    assert classify_feedback(config(), status) == feedback


@pytest.mark.parametrize(
    ("current", "first"),
    [
        ("salesqualifiedlead", {"lifecyclestage": ""}),
        ("opportunity", {"lifecyclestage": ""}),
        ("12345", {"lifecyclestage": ""}),
        ("lead", {}),
        ("subscriber", {}),
        ("", {}),
        (None, {}),
    ],
)
def test_recycling_clears_the_lifecycle_stage_first_only_when_going_back(
    current: str | None, first: dict[str, str]
) -> None:
    clear, then = plan_recycle(config(), {"lifecyclestage": current})
    assert clear == first
    assert then == {"lifecyclestage": "lead", "hs_lead_status": ""}


def test_recycling_leaves_the_lead_status_alone_unless_configured() -> None:
    quiet = config(CONFIG.replace('  lead_status: ""\n  engagement', "  engagement"))
    _, then = plan_recycle(quiet, {"lifecyclestage": "salesqualifiedlead"})
    assert then == {"lifecyclestage": "lead"}
    assert quiet.recycle.engagement_from_recycle is True


def test_recycling_to_a_set_lead_status() -> None:
    nurture = config(CONFIG.replace('  lead_status: ""\n  engagement', "  lead_status: BAD_TIMING\n  engagement"))
    assert plan_recycle(nurture, {})[1]["hs_lead_status"] == "BAD_TIMING"


def test_the_plan_does_not_depend_on_how_the_team_is_keyed() -> None:
    by_email = {owner.email: owner for owner in TEAM.values()}
    assert plan_handover(config(), "sql", lead(), ROUTED, 1, NOW, by_email) == plan_handover(
        config(), "sql", lead(), ROUTED, 1, NOW, TEAM
    )
