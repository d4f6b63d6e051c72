"""HubSpot's Leads as the handover record, the pure part: handover.yaml's `leads`, the stages resolved against the
portal's pipeline, the Lead a handover plans, and what a Lead's stage says of the handover."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from app.rules import ConfigError, parse_handover, plan_handover
from app.rules.handover.config import FeedbackRules, LeadRules
from app.rules.handover.leads import (
    OPEN,
    LeadPipeline,
    LeadStages,
    LeadStagesUnresolved,
    PipelineStage,
    close_lead,
    cycle_key,
    lead_feedback,
    resolve_lead_stages,
)
from app.rules.handover.types import Feedback
from app.rules.sla.first_touch import kind_enabled
from app.rules.sla.policy import FirstTouch
from app.sync.hubspot.fake import DEFAULT_LEAD_PIPELINE as DEFAULT
from tests.unit.rules.test_handover_plans import CONFIG, LABELS, NOBODY, NOW, ROUTED, STAGES, TEAM, config, lead

LEADS = """\
leads:
  name: "{contact.firstname} {contact.lastname} at {company.name} ({grade})"
  type: NEW_BUSINESS
  label: {by_grade: {A: HOT, B: WARM, default: COLD}}
"""
STAGES_OF_DEFAULT = LeadStages(
    "lead-pipeline-id",
    {
        "new-stage-id": OPEN, "attempting-stage-id": "first_touch", "connected-stage-id": "first_touch",
        "qualified-stage-id": "accepted", "unqualified-stage-id": "rejected",
    },
)  # fmt: skip


def rules(extra: str = "") -> LeadRules:
    loaded = parse_handover(CONFIG + LEADS + extra, STAGES, "config/handover.yaml", LABELS).leads
    assert loaded is not None
    return loaded


def load_error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_handover(CONFIG + text, STAGES, "config/handover.yaml", LABELS)
    return caught.value


def test_without_a_leads_section_there_are_no_leads() -> None:
    assert config().leads is None


def test_the_default_stages_resolve_against_hubspots_default_lead_pipeline_by_label() -> None:
    resolved = resolve_lead_stages(rules(), [DEFAULT])
    assert resolved.meanings == STAGES_OF_DEFAULT.meanings
    assert resolved.touching() == frozenset(STAGES_OF_DEFAULT.meanings) - {"new-stage-id"}
    assert resolved.labels["unqualified-stage-id"] == "Disqualified"


def test_stages_and_pipeline_may_be_named_by_id_and_in_any_case() -> None:
    custom = LeadPipeline("77", "Inbound", (PipelineStage("a", "Open"), PipelineStage("b", "Worked"),
                                             PipelineStage("c", "Won"), PipelineStage("d", "Lost")))  # fmt: skip
    named = rules("  pipeline: inbound\n  stages: {first_touch: [b], accepted: [WON], rejected: [d]}\n")
    resolved = resolve_lead_stages(named, [DEFAULT, custom])
    assert resolved.pipeline_id == "77"
    assert resolved.meanings == {"a": OPEN, "b": "first_touch", "c": "accepted", "d": "rejected"}


def test_a_stage_the_pipeline_lacks_fails_naming_the_key_the_name_and_the_stages_there_are() -> None:
    with pytest.raises(LeadStagesUnresolved) as caught:
        resolve_lead_stages(rules("  stages: {accepted: [Sales accepted]}\n"), [DEFAULT])
    message = str(caught.value)
    assert "leads.stages.accepted" in message and "'Sales accepted'" in message
    assert "Qualified (qualified-stage-id)" in message


def test_an_unknown_pipeline_or_none_at_all_fails_clearly() -> None:
    with pytest.raises(LeadStagesUnresolved, match=r"leads.pipeline: .*'Outbound'.*Lead pipeline \(lead-pipeline-id\)"):
        resolve_lead_stages(rules("  pipeline: Outbound\n"), [DEFAULT])
    with pytest.raises(LeadStagesUnresolved, match="no lead pipeline"):
        resolve_lead_stages(rules(), [])


def test_one_stage_named_twice_by_id_and_label_is_refused() -> None:
    both = rules("  stages: {accepted: [Qualified], rejected: [qualified-stage-id]}\n")
    with pytest.raises(LeadStagesUnresolved, match="already accepted"):
        resolve_lead_stages(both, [DEFAULT])


def test_a_stage_in_two_meanings_is_a_config_error() -> None:
    error = load_error(LEADS + "  stages: {first_touch: [Connected], accepted: [connected]}\n")
    assert "leads.stages" in str(error) and "both first_touch and accepted" in str(error)


def test_a_label_by_grade_needs_a_default_and_a_name_its_placeholders() -> None:
    assert "default" in str(load_error("leads:\n  label: {by_grade: {A: HOT}}\n"))
    assert "'name'" in str(load_error("leads:\n  name: '{contact.firstname} {nonsense}'\n"))
    assert (
        "unknown" in str(load_error("leads:\n  colour: red\n")).lower()
        or "extra" in str(load_error("leads:\n  colour: red\n")).lower()
    )


def test_mapped_reasons_must_be_listed_reasons_when_handover_yaml_lists_them() -> None:
    listed = CONFIG.replace("feedback:\n", "feedback:\n  reasons: {no_budget: No budget}\n")
    with pytest.raises(ConfigError, match=r"leads.reasons.*'budget' is not one of feedback.reasons \(no_budget\)"):
        parse_handover(listed + LEADS + "  reasons: {NO_BUDGET: budget}\n", STAGES, "handover.yaml", LABELS)


def test_a_handover_with_an_owner_plans_the_cycles_lead_with_leadflows_values() -> None:
    with_leads = parse_handover(CONFIG + LEADS, STAGES, "config/handover.yaml", LABELS)
    plan = plan_handover(with_leads, "sql", lead(grade="A1"), ROUTED, 2, NOW, TEAM, None, STAGES_OF_DEFAULT)
    assert plan is not None and plan.lead is not None
    assert (
        (plan.lead.key, plan.lead.pipeline)
        == (cycle_key("123", 2), "lead-pipeline-id")
        == ("123-2", "lead-pipeline-id")
    )
    assert dict(plan.lead.properties) == {
        "hs_lead_name": "Jane Doe at Acme GmbH (A1)",
        "hubspot_owner_id": "11",
        "hs_lead_type": "NEW_BUSINESS",
        "hs_lead_label": "HOT",
        "leadflow_score": "95",
        "leadflow_grade": "A1",
        "leadflow_stage": "sql",
        "leadflow_reasons": "+30 Decision maker\n+10 Demo request (1×)",
        "leadflow_model": "m-1",
        "leadflow_sla_due_at": "2026-11-24T13:00:00.000Z",  # four business hours from 10:00 Berlin
    }


def test_no_lead_without_an_owner_without_leads_in_the_portal_or_without_the_section() -> None:
    with_leads = parse_handover(CONFIG + LEADS, STAGES, "config/handover.yaml", LABELS)
    nobody = plan_handover(with_leads, "sql", lead(), NOBODY, 1, NOW, TEAM, None, STAGES_OF_DEFAULT)
    no_portal = plan_handover(with_leads, "sql", lead(), ROUTED, 1, NOW, TEAM, None, None)
    no_section = plan_handover(config(), "sql", lead(), ROUTED, 1, NOW, TEAM, None, STAGES_OF_DEFAULT)
    assert all(p is not None and p.lead is None for p in (nobody, no_portal, no_section))


def test_a_given_sla_due_time_is_the_leads_and_an_empty_name_falls_back_to_the_key() -> None:
    with_leads = parse_handover(CONFIG + "leads:\n  name: '{contact.nickname}'\n", STAGES, "h.yaml", LABELS)
    due = datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    plan = plan_handover(with_leads, "mql", lead(), ROUTED, 1, NOW, TEAM, due, STAGES_OF_DEFAULT)
    assert plan is not None and plan.lead is not None
    assert plan.lead.properties["leadflow_sla_due_at"] == "2026-11-25T08:30:00.000Z"
    assert plan.lead.properties["hs_lead_name"] == "123-1"


@pytest.mark.parametrize(
    ("meaning", "reason", "answer"),
    [
        ("accepted", None, Feedback("accepted")),
        ("rejected", "NO_BUDGET", Feedback("rejected", "NO_BUDGET")),
        ("rejected", None, Feedback("rejected", "disqualified")),
        ("first_touch", None, None),
        (OPEN, None, None),
        (None, None, None),
    ],
)
def test_a_leads_stage_is_acceptance_rejection_or_nothing(
    meaning: str | None, reason: str | None, answer: Feedback | None
) -> None:
    assert lead_feedback(rules(), FeedbackRules(), meaning, reason) == answer


def test_with_listed_reasons_a_disqualification_reason_is_mapped_or_flagged() -> None:
    listed = FeedbackRules(frozenset(), {"UNQUALIFIED": "not qualified"}, {"no_budget": "No budget", "OTHER": "x"})
    mapped = replace(rules(), reasons={"NO_BUDGET": "no_budget"})
    assert lead_feedback(mapped, listed, "rejected", "NO_BUDGET") == Feedback("rejected", "no_budget")
    assert lead_feedback(mapped, listed, "rejected", "OTHER") == Feedback("rejected", "OTHER")
    assert lead_feedback(mapped, listed, "rejected", "BAD_TIMING") == Feedback("rejected", "BAD_TIMING", "unknown")
    assert lead_feedback(mapped, listed, "rejected", "") == Feedback("rejected", "disqualified", "missing")


def test_a_lead_stage_touch_stops_the_clock_unless_sla_yaml_turns_it_off() -> None:
    assert kind_enabled(FirstTouch(), "lead_stage") is True
    assert kind_enabled(FirstTouch(lead_stage_moved=False), "lead_stage") is False


@pytest.mark.parametrize(
    ("stage", "writes"),
    [
        ("new-stage-id", {"hs_pipeline_stage": "unqualified-stage-id"}),
        ("attempting-stage-id", {"hs_pipeline_stage": "unqualified-stage-id"}),
        ("qualified-stage-id", None),  # sales accepted it on the Lead: left as sales left it
        ("unqualified-stage-id", None),  # closed already: closing again writes nothing
    ],
)
def test_a_rejected_handovers_open_lead_is_disqualified_and_a_closed_one_left_alone(
    stage: str, writes: dict[str, str] | None
) -> None:
    assert close_lead(STAGES_OF_DEFAULT, {"hs_pipeline_stage": stage}) == writes
    no_rejected = LeadStages("p", {"new-stage-id": OPEN, "qualified-stage-id": "accepted"})
    assert close_lead(no_rejected, {"hs_pipeline_stage": "new-stage-id"}) is None
