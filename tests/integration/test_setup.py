"""`leadflow setup` through the SDK gateway against the twin: idempotent, additive, loud about conflicts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.properties import OptionInput, PropertyCreate, PropertyGroupCreate, PropertyUpdate

from app.ledger.store import Ledger
from app.rules import ScoringModel, parse_handover, parse_scoring_model
from app.rules.nurture import parse_nurture
from app.rules.properties import (
    GROUP_LABEL,
    GROUP_NAME,
    HANDOVER_BLOCKED,
    HANDOVER_GROUP_LABEL,
    HANDOVER_ID,
    ROUTING_REASON,
    lead_properties,
    sla_contact_properties,
)
from app.rules.scoring.writes import GRADE, SCORE, SCORE_PROPERTIES, STAGE
from app.sync.hubspot.retry import RetryPolicy
from app.sync.hubspot.sdk import SdkGateway
from app.sync.setup import SetupConflict, SetupReport, run_setup
from hubspot_twin import Twin

TOKEN = "setup-token"
TIMEOUT = (2.0, 10.0)
FAST_RETRIES = RetryPolicy(attempts=3, max_seconds=5, initial_backoff=0.01, max_backoff=0.02)
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
SLA_PROPERTIES = [prop.name for prop in sla_contact_properties()]
EXPECTED_TYPES = {
    "leadflow_fit_score": ("number", "number"),
    "leadflow_engagement_score": ("number", "number"),
    "leadflow_score": ("number", "number"),
    "leadflow_grade": ("enumeration", "select"),
    "leadflow_stage": ("enumeration", "select"),
    "leadflow_score_reasons": ("string", "textarea"),
    "leadflow_model": ("string", "text"),
    "leadflow_scored_at": ("datetime", "date"),
}
DEFAULT_STAGES = [("sql", "Sales qualified lead"), ("mql", "Marketing qualified lead")]
DEFAULT_GRADES = [f"{fit}{engagement}" for fit in "ABCD" for engagement in "1234"]


@dataclass
class Portal:
    """The twin over HTTP, Leadflow's gateway to it, and an independent SDK client to read it back."""

    twin: Twin
    gateway: SdkGateway
    client: HubSpot

    def setup(self, ledger: Ledger, model: ScoringModel) -> SetupReport:
        return run_setup(self.gateway, ledger, model, lambda: NOW)

    def contact_property(self, name: str) -> Any:
        return self.client.crm.properties.core_api.get_by_name("contacts", name, _request_timeout=TIMEOUT)

    def options(self, name: str) -> list[tuple[str, str]]:
        return [(option.value, option.label) for option in self.contact_property(name).options]

    def writes(self) -> dict[str, int]:
        """Return the requests that changed the portal's schema since the counts were last reset."""
        return {key: count for key, count in self.twin.request_counts().items() if not key.startswith("GET ")}


@pytest.fixture
def portal() -> Iterator[Portal]:
    twin = Twin(access_tokens={TOKEN})
    with twin.serve() as server:
        yield Portal(
            twin,
            SdkGateway(TOKEN, server.url, TIMEOUT, FAST_RETRIES),
            HubSpot(access_token=TOKEN, host=server.url),
        )


@pytest.fixture
def default_text(config_dir: Path) -> str:
    return (config_dir / "scoring.yaml").read_text(encoding="utf-8")


@pytest.fixture
def default_model(default_text: str) -> ScoringModel:
    return parse_scoring_model(default_text, "scoring.yaml")


def changed_model(text: str, *replacements: tuple[str, str]) -> ScoringModel:
    """Return the model of `text` with each (old, new) replacement made; each old text must be there."""
    for old, new in replacements:
        assert old in text, f"the default model no longer contains {old!r}"
        text = text.replace(old, new)
    return parse_scoring_model(text, "changed.yaml")


NEW_STAGE = (
    "  - id: mql\n",
    "  - id: pql\n    label: Product qualified lead\n    when: fit >= 20 and engagement >= 40\n  - id: mql\n",
)
NEW_FIT_GRADE = (
    "fit:        [[A, 70], [B, 40], [C, 20], [D, 0]]",
    "fit:        [[A, 70], [B, 40], [C, 20], [D, 10], [E, 0]]",
)


def test_the_first_run_creates_the_group_and_every_score_property(
    portal: Portal, ledger: Ledger, default_model: ScoringModel
) -> None:
    report = portal.setup(ledger, default_model)
    assert report.changed
    assert report.group_created
    assert report.created == [*SCORE_PROPERTIES, *SLA_PROPERTIES]
    assert (report.options_added, report.unchanged, report.warnings) == ({}, [], [])
    group = portal.client.crm.properties.groups_api.get_by_name("contacts", GROUP_NAME, _request_timeout=TIMEOUT)
    assert group.label == GROUP_LABEL
    for name, (kind, field_type) in EXPECTED_TYPES.items():
        prop = portal.contact_property(name)
        assert (prop.type, prop.field_type, prop.group_name) == (kind, field_type, GROUP_NAME), name
    assert portal.options(STAGE) == DEFAULT_STAGES
    assert portal.options(GRADE) == [(grade, grade) for grade in DEFAULT_GRADES]
    assert [value for value, _ in portal.options("leadflow_sla_status")] == [
        "on_track",
        "at_risk",
        "breached",
        "met",
        "missed",
    ]
    assert portal.contact_property("leadflow_sla_due_at").type == "datetime"
    assert portal.contact_property("leadflow_response_business_minutes").type == "number"


def test_running_setup_twice_changes_nothing(portal: Portal, ledger: Ledger, default_model: ScoringModel) -> None:
    portal.setup(ledger, default_model)
    portal.twin.reset_request_counts()
    again = portal.setup(ledger, default_model)
    assert not again.changed
    assert (again.group_created, again.created, again.options_added) == (False, [], {})
    assert again.unchanged == [*SCORE_PROPERTIES, *SLA_PROPERTIES]
    assert portal.writes() == {}
    assert portal.options(STAGE) == DEFAULT_STAGES


def test_a_new_stage_and_grade_add_exactly_their_options_and_keep_the_old_ones(
    portal: Portal, ledger: Ledger, default_model: ScoringModel, default_text: str
) -> None:
    portal.setup(ledger, default_model)
    portal.twin.reset_request_counts()
    report = portal.setup(ledger, changed_model(default_text, NEW_STAGE, NEW_FIT_GRADE))
    assert report.changed
    assert report.options_added == {GRADE: ["E1", "E2", "E3", "E4"], STAGE: ["pql"]}
    assert report.created == []
    assert portal.writes() == {
        "PATCH /crm/v3/properties/contacts/leadflow_grade": 1,
        "PATCH /crm/v3/properties/contacts/leadflow_stage": 1,
    }
    assert portal.options(STAGE) == [*DEFAULT_STAGES, ("pql", "Product qualified lead")]
    assert portal.options(GRADE) == [(g, g) for g in [*DEFAULT_GRADES, "E1", "E2", "E3", "E4"]]


def test_options_the_model_dropped_or_marketing_relabelled_are_kept(
    portal: Portal, ledger: Ledger, default_model: ScoringModel, default_text: str
) -> None:
    portal.setup(ledger, default_model)
    relabelled = [
        OptionInput(label="SQL (sales)", value="sql", display_order=0, hidden=False),
        OptionInput(label="MQL", value="mql", display_order=1, hidden=False),
    ]
    portal.client.crm.properties.core_api.update(
        "contacts", STAGE, PropertyUpdate(options=relabelled), _request_timeout=TIMEOUT
    )
    without_mql = changed_model(
        default_text,
        NEW_STAGE,
        ("  - id: mql\n    label: Marketing qualified lead\n    when: fit >= 40 and engagement >= 15\n", ""),
    )
    assert [stage.id for stage in without_mql.stages] == ["sql", "pql"]
    report = portal.setup(ledger, without_mql)
    assert report.options_added == {STAGE: ["pql"]}
    assert portal.options(STAGE) == [("sql", "SQL (sales)"), ("mql", "MQL"), ("pql", "Product qualified lead")]


def test_an_existing_score_property_of_the_wrong_type_is_a_conflict(
    portal: Portal, ledger: Ledger, default_model: ScoringModel
) -> None:
    text_score = PropertyCreate(
        name=SCORE, label="Score (imported)", type="string", field_type="text", group_name="contactinformation"
    )
    portal.client.crm.properties.core_api.create("contacts", text_score, _request_timeout=TIMEOUT)
    with pytest.raises(SetupConflict) as conflict:
        portal.setup(ledger, default_model)
    message = str(conflict.value)
    assert "leadflow_score exists as string/text" in message
    assert "Leadflow needs number/number" in message
    assert "delete or rename it in HubSpot" in message
    existing = portal.contact_property(SCORE)
    assert (existing.type, existing.field_type, existing.label) == ("string", "text", "Score (imported)")


def test_the_types_of_the_properties_the_model_reads_are_recorded_in_the_ledger(
    portal: Portal, ledger: Ledger, default_model: ScoringModel
) -> None:
    report = portal.setup(ledger, default_model)
    contact_names, company_names = default_model.referenced_properties()
    expected_keys = {f"contact.{n}" for n in contact_names} | {f"company.{n}" for n in company_names}
    assert set(report.property_types) == expected_keys
    assert ledger.contacts.property_types() == report.property_types
    known = {
        "company.industry": "enumeration",
        "company.numberofemployees": "number",
        "contact.hs_buying_role": "set",  # HubSpot: enumeration with fieldType checkbox (multiple checkboxes)
        "contact.country": "string",
        "contact.hs_analytics_num_page_views": "number",
    }
    assert {key: report.property_types[key] for key in known} == known


def test_a_property_the_portal_lacks_is_a_warning_and_not_recorded(
    portal: Portal, ledger: Ledger, default_model: ScoringModel, default_text: str
) -> None:
    portal.setup(ledger, default_model)
    custom = changed_model(
        default_text,
        ("      when: contact.country in", "      when: contact.favourite_colour == 'blue' or contact.country in"),
        ("  company.annualrevenue: number\n", "  company.partner_tier: number\n"),
    )
    report = portal.setup(ledger, custom)
    assert sorted(report.warnings) == [
        "the model reads company.partner_tier, which this portal does not have",
        "the model reads contact.favourite_colour, which this portal does not have",
    ]
    recorded = ledger.contacts.property_types()
    assert "contact.favourite_colour" not in recorded
    assert "company.partner_tier" not in recorded
    assert "company.annualrevenue" not in recorded  # the newest run replaced what the old model needed
    assert recorded["contact.country"] == "string"


def test_an_option_marketing_hid_stays_hidden_when_setup_adds_options(
    portal: Portal, ledger: Ledger, default_model: ScoringModel, default_text: str
) -> None:
    portal.setup(ledger, default_model)
    hidden_sql = [
        OptionInput(label="Sales qualified lead", value="sql", display_order=0, hidden=True),
        OptionInput(label="Marketing qualified lead", value="mql", display_order=1, hidden=False),
    ]
    portal.client.crm.properties.core_api.update(
        "contacts", STAGE, PropertyUpdate(options=hidden_sql), _request_timeout=TIMEOUT
    )
    portal.setup(ledger, changed_model(default_text, NEW_STAGE))
    hidden = {option.value: option.hidden for option in portal.contact_property(STAGE).options}
    assert hidden == {"sql": True, "mql": False, "pql": False}


# The handover's properties: the routing reason and blocked note on contacts, the unique handover id on deals/tasks

HANDOVER_CONTACT_TYPES = {ROUTING_REASON: ("string", "textarea"), HANDOVER_BLOCKED: ("string", "text")}
HANDOVER_CREATED = [
    f"contact.{ROUTING_REASON}",
    f"contact.{HANDOVER_BLOCKED}",
    f"deal.{HANDOVER_ID}",
    f"task.{HANDOVER_ID}",
]


def read_property(portal: Portal, api_type: str, name: str) -> Any:
    return portal.client.crm.properties.core_api.get_by_name(api_type, name, _request_timeout=TIMEOUT)


def test_the_first_run_creates_the_handover_properties_and_a_unique_handover_id_on_deals_and_tasks(
    portal: Portal, ledger: Ledger, default_model: ScoringModel
) -> None:
    report = portal.setup(ledger, default_model)
    assert report.handover_groups_created == [f"deal.{GROUP_NAME}", f"task.{GROUP_NAME}"]
    assert report.handover_created == HANDOVER_CREATED
    assert report.handover_unchanged == []
    assert report.handover_lines()[:2] == [f"created   group deal.{GROUP_NAME}", f"created   group task.{GROUP_NAME}"]
    for name, (kind, field_type) in HANDOVER_CONTACT_TYPES.items():
        prop = portal.contact_property(name)
        assert (prop.type, prop.field_type, prop.group_name, prop.has_unique_value) == (
            kind,
            field_type,
            GROUP_NAME,
            False,
        )
    for api_type in ("deals", "tasks"):
        group = portal.client.crm.properties.groups_api.get_by_name(api_type, GROUP_NAME, _request_timeout=TIMEOUT)
        assert group.label == HANDOVER_GROUP_LABEL
        prop = read_property(portal, api_type, HANDOVER_ID)
        assert (prop.type, prop.field_type, prop.group_name, prop.has_unique_value) == (
            "string",
            "text",
            GROUP_NAME,
            True,
        )


def test_a_second_run_leaves_the_handover_properties_as_they_are(
    portal: Portal, ledger: Ledger, default_model: ScoringModel
) -> None:
    portal.setup(ledger, default_model)
    portal.twin.reset_request_counts()
    again = portal.setup(ledger, default_model)
    assert (again.handover_groups_created, again.handover_created) == ([], [])
    assert again.handover_unchanged == HANDOVER_CREATED
    assert again.handover_lines() == [f"unchanged {name}" for name in HANDOVER_CREATED]
    assert portal.writes() == {}


def test_an_existing_leadflow_group_on_deals_is_used_not_recreated(
    portal: Portal, ledger: Ledger, default_model: ScoringModel
) -> None:
    portal.client.crm.properties.groups_api.create(
        "deals", PropertyGroupCreate(name=GROUP_NAME, label="Ours"), _request_timeout=TIMEOUT
    )
    report = portal.setup(ledger, default_model)
    assert report.handover_groups_created == [f"task.{GROUP_NAME}"]
    assert f"deal.{HANDOVER_ID}" in report.handover_created


@pytest.mark.parametrize("api_type", ["deals", "tasks"])
def test_an_existing_handover_id_without_unique_values_is_a_conflict(
    portal: Portal, ledger: Ledger, default_model: ScoringModel, api_type: str
) -> None:
    group = "dealinformation" if api_type == "deals" else "task"
    plain = PropertyCreate(name=HANDOVER_ID, label="Handover", type="string", field_type="text", group_name=group)
    portal.client.crm.properties.core_api.create(api_type, plain, _request_timeout=TIMEOUT)
    with pytest.raises(SetupConflict) as conflict:
        portal.setup(ledger, default_model)
    message = str(conflict.value)
    assert f"{api_type[:-1]} property {HANDOVER_ID} exists without unique values" in message
    assert "cannot make it unique later (hasUniqueValue)" in message
    assert "delete or rename it in HubSpot" in message
    assert read_property(portal, api_type, HANDOVER_ID).has_unique_value is False


def test_an_existing_routing_reason_of_another_type_is_a_conflict(
    portal: Portal, ledger: Ledger, default_model: ScoringModel
) -> None:
    number = PropertyCreate(
        name=ROUTING_REASON, label="Reason", type="number", field_type="number", group_name="contactinformation"
    )
    portal.client.crm.properties.core_api.create("contacts", number, _request_timeout=TIMEOUT)
    with pytest.raises(SetupConflict, match=f"contact property {ROUTING_REASON} exists as number/number"):
        portal.setup(ledger, default_model)


def test_listed_rejection_reasons_become_the_reject_reason_options_and_the_flag_property(
    portal: Portal, ledger: Ledger, default_model: ScoringModel
) -> None:
    stage_ids = default_model.stage_ids
    handover = parse_handover(
        "stages: []\nfeedback:\n  rejected: {UNQUALIFIED: not qualified}\n"
        "  reasons: {no_budget: No budget, no_need: No need}\n",
        stage_ids,
    )
    report = run_setup(portal.gateway, ledger, default_model, lambda: NOW, handover)
    assert {"leadflow_reject_reason", "leadflow_feedback_missing"} <= set(report.created)
    assert portal.options("leadflow_reject_reason") == [("no_budget", "No budget"), ("no_need", "No need")]
    flag = portal.contact_property("leadflow_feedback_missing")
    assert (flag.type, flag.field_type, flag.group_name) == ("string", "text", GROUP_NAME)
    more = parse_handover(
        "stages: []\nfeedback: {rejected: {UNQUALIFIED: not qualified}, reasons: {competitor: Chose a competitor}}\n",
        stage_ids,
    )
    again = run_setup(portal.gateway, ledger, default_model, lambda: NOW, more)
    assert again.options_added == {"leadflow_reject_reason": ["competitor"]}
    assert [value for value, _ in portal.options("leadflow_reject_reason")] == ["no_budget", "no_need", "competitor"]


def test_without_listed_reasons_setup_creates_no_feedback_properties(
    portal: Portal, ledger: Ledger, default_model: ScoringModel
) -> None:
    report = run_setup(portal.gateway, ledger, default_model, lambda: NOW, parse_handover("stages: []\n", ()))
    assert not {"leadflow_reject_reason", "leadflow_feedback_missing"} & set(report.created)


def test_setup_warns_of_the_lists_and_the_sequence_nurture_cannot_deliver_to(
    portal: Portal, ledger: Ledger, default_model: ScoringModel, config_dir: Path
) -> None:
    manual, dynamic = portal.twin.create_list("Checklist", "MANUAL"), portal.twin.create_list("Webinar", "DYNAMIC")
    text = (config_dir / "nurture.yaml").read_text() + (
        f"\ndelivery:\n  lists: {{checklist: '{manual}', webinar-invite: '{dynamic}', whats-new: '424242'}}\n"
        "  sequence: {id: '80000001'}\n"
    )
    nurture = parse_nurture(text, default_model)
    report = run_setup(portal.gateway, ledger, default_model, lambda: NOW, None, nurture)
    assert [w for w in report.warnings if w.startswith("nurture.yaml delivery")] == [
        f"nurture.yaml delivery.lists: step 'webinar-invite' names list {dynamic}, a DYNAMIC list: HubSpot adds no "
        "members to it (make it MANUAL)",
        "nurture.yaml delivery.lists: step 'whats-new' names list 424242, which this portal does not have as a "
        "contact list: its offers join no list",
        "nurture.yaml delivery.sequence: without handover.yaml nobody is handed over, so nobody is enrolled",
    ]


LEADS = "stages: []\nleads:\n  name: '{contact.lastname}'\n"


def test_with_leads_in_the_portal_setup_makes_the_lead_properties_and_records_the_pipeline(
    portal: Portal, ledger: Ledger, default_model: ScoringModel
) -> None:
    report = run_setup(portal.gateway, ledger, default_model, lambda: NOW, parse_handover(LEADS, ()))
    assert report.leads.startswith("on: one Lead per cycle in pipeline lead-pipeline-id (first_touch Attempting")
    assert f"lead.{GROUP_NAME}" in report.handover_groups_created
    assert {f"lead.{info.name}" for info in lead_properties()} <= set(report.handover_created)
    cycle = portal.client.crm.properties.core_api.get_by_name("leads", "leadflow_cycle_id", _request_timeout=TIMEOUT)
    assert (cycle.type, cycle.has_unique_value, cycle.group_name) == ("string", True, GROUP_NAME)
    stages = ledger.leads.stages()
    assert stages is not None and stages.pipeline_id == "lead-pipeline-id"
    assert stages.meaning("unqualified-stage-id") == "rejected" and stages.meaning("new-stage-id") == "open"

    again = run_setup(portal.gateway, ledger, default_model, lambda: NOW, parse_handover(LEADS, ()))
    assert not [name for name in again.handover_created if name.startswith("lead.")]
    assert ledger.leads.stages() == stages


def test_without_leads_in_the_portal_setup_says_so_and_handovers_make_no_lead(
    ledger: Ledger, default_model: ScoringModel
) -> None:
    twin = Twin(access_tokens={TOKEN}, leads=False)
    with twin.serve() as server:
        gateway = SdkGateway(TOKEN, server.url, TIMEOUT, FAST_RETRIES)
        report = run_setup(gateway, ledger, default_model, lambda: NOW, parse_handover(LEADS, ()))
    assert report.leads == "not in this portal (HubSpot answered 403): handovers make no Lead"
    assert not [name for name in report.handover_created if name.startswith("lead.")]
    assert ledger.leads.stages() is None


def test_a_lead_stage_the_pipeline_lacks_fails_setup_naming_it_and_records_nothing(
    portal: Portal, ledger: Ledger, default_model: ScoringModel
) -> None:
    run_setup(portal.gateway, ledger, default_model, lambda: NOW, parse_handover(LEADS, ()))
    wrong = parse_handover(LEADS + "  stages: {rejected: [Lost]}\n", ())
    with pytest.raises(
        SetupConflict, match=r"handover.yaml leads.stages.rejected: .* no stage 'Lost' \(its stages: New"
    ):
        run_setup(portal.gateway, ledger, default_model, lambda: NOW, wrong)
    assert ledger.leads.stages() is not None  # the earlier, valid record stays
