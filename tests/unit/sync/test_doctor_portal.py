"""Doctor's portal reads on the in-memory gateway: what the e2e test's injections leave out (a property of the wrong
type, a deactivated owner, a team nobody is in, a missing pipeline, a lead status HubSpot lacks, a HubSpot error in
one check) is named, and a portal holding what the configuration names is all ok."""

from __future__ import annotations

import dataclasses

import pytest

from app.rules.app_project import features_of, required_scopes
from app.rules.configuration import Configuration, load_configuration
from app.rules.doctor.findings import Finding
from app.rules.doctor.wanted import named_owners, wanted_properties
from app.rules.handover.leads import LeadStages, resolve_lead_stages
from app.rules.handover.routing_config import Pool
from app.rules.properties import PropertyInfo, PropertyOption, lead_properties
from app.sync.doctor.portal import portal_findings
from app.sync.hubspot.errors import PermanentHubSpotError
from app.sync.hubspot.fake import DEFAULT_LEAD_PIPELINE, InMemoryHubSpot
from app.sync.hubspot.gateway import DealPipeline
from tests.conftest import CONFIG_DIR

LEAD_STATUSES = ("NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT", "CONNECTED",
                 "BAD_TIMING")  # fmt: skip


@pytest.fixture
def config() -> Configuration:
    return load_configuration(CONFIG_DIR)


@pytest.fixture
def portal(config: Configuration) -> InMemoryHubSpot:
    """A portal holding everything the default configuration names, as setup and HubSpot make it."""
    fake = InMemoryHubSpot()
    fake.scopes = frozenset(required_scopes(features_of(config)))
    for object_type, properties in wanted_properties(config).items():
        fake.definitions.setdefault(object_type, {}).update({info.name: info for info in properties})
    options = tuple(PropertyOption(value, value, order) for order, value in enumerate(LEAD_STATUSES))
    status = PropertyInfo("hs_lead_status", "Lead Status", "enumeration", "radio", "sales_properties", options=options)
    fake.definitions["contact"]["hs_lead_status"] = status
    for email in named_owners(config):
        fake.add_owner(email)
    fake.pipelines = [DealPipeline("default", "Sales Pipeline", ("appointmentscheduled", "closedwon", "closedlost"))]
    fake.definitions["lead"] = {info.name: info for info in lead_properties()}  # setup made them
    return fake


def recorded(config: Configuration) -> LeadStages:
    """The lead pipeline as setup recorded it for the default configuration in the fake's portal."""
    assert config.handover is not None and config.handover.leads is not None
    return resolve_lead_stages(config.handover.leads, [DEFAULT_LEAD_PIPELINE])


def findings(portal: InMemoryHubSpot, config: Configuration, stages: LeadStages | None = None) -> list[Finding]:
    """Doctor's portal findings, with the lead pipeline setup recorded (`stages`, default: as the portal has it)."""
    return portal_findings(portal, config, lambda: stages or recorded(config))


def problems(found: list[Finding]) -> list[tuple[str, str, str]]:
    """The findings that are not ok, leaving out the properties the fake portal lacks of HubSpot's own."""
    return [(f.status, f.check, f.what) for f in found if f.status != "ok" and " reads " not in f.what]


def test_a_portal_holding_what_the_configuration_names_is_all_ok_but_the_unread_properties(
    portal: InMemoryHubSpot, config: Configuration
) -> None:
    found = findings(portal, config)

    # The fake holds only Leadflow's properties: what the model and nurture read of HubSpot's own is a warning each.
    assert {f.status for f in found} == {"ok", "warn"}
    assert {f.what.split(" reads ")[0] for f in found if f.status == "warn"} == {"scoring.yaml", "nurture.yaml"}


def test_a_property_of_another_type_is_a_conflict_setup_cannot_fix(
    portal: InMemoryHubSpot, config: Configuration
) -> None:
    current = portal.definitions["contact"]["leadflow_score"]
    portal.definitions["contact"]["leadflow_score"] = dataclasses.replace(current, type="string", field_type="text")

    [problem] = [f for f in findings(portal, config) if f.status == "fail"]

    assert problem.what == "contact property leadflow_score is string/text, Leadflow needs number/number"
    assert problem.what_to_do.startswith("delete or rename it in HubSpot")


def test_a_deactivated_owner_a_team_without_owners_and_a_lead_status_hubspot_lacks_are_named(
    portal: InMemoryHubSpot, config: Configuration
) -> None:
    portal.team = [dataclasses.replace(o, active=o.email != "ops@example.com") for o in portal.team]
    assert config.routing is not None
    pools = {**config.routing.pools, "enterprise": Pool("enterprise", team="Enterprise Sales")}
    config = dataclasses.replace(config, routing=dataclasses.replace(config.routing, pools=pools))
    status = portal.definitions["contact"]["hs_lead_status"]
    portal.definitions["contact"]["hs_lead_status"] = dataclasses.replace(
        status, options=tuple(o for o in status.options if o.value != "BAD_TIMING")
    )

    assert problems(findings(portal, config)) == [
        ("fail", "owners", "ops@example.com (handover.yaml gate.data_task.owner) is a deactivated owner"),
        ("warn", "owners", "team 'Enterprise Sales' (routing.yaml pools.enterprise.team) has no active owner"),
        ("fail", "lead statuses",
         "lead status 'BAD_TIMING' (handover.yaml feedback.rejected) is not an option of hs_lead_status"),
    ]  # fmt: skip


def test_a_missing_pipeline_is_named_with_the_portals_pipelines(portal: InMemoryHubSpot, config: Configuration) -> None:
    portal.pipelines = [DealPipeline("partner", "Partner deals", ("new", "won", "lost"))]

    failed = [f for f in findings(portal, config) if f.status == "fail"]

    assert [f.what for f in failed] == [
        "deal pipeline 'default' (handover.yaml stages.sql.deal) does not exist",
        "deal pipeline 'default' (handover.yaml closing.lost_stages.default) does not exist",
    ]
    assert failed[0].what_to_do == "use a pipeline id of this portal (partner)"


def test_a_hubspot_error_fails_its_own_check_and_the_others_still_run(
    portal: InMemoryHubSpot, config: Configuration
) -> None:
    portal.fail_next("owners", PermanentHubSpotError("list owners: forbidden", 403, "MISSING_SCOPES"))

    found = findings(portal, config)

    [failure] = [f for f in found if f.status == "fail"]
    assert failure.check == "owners"
    assert failure.what.startswith("HubSpot refused the read (403)")
    assert ("ok", "pipelines") in {(f.status, f.check) for f in found}


def test_an_introspection_error_other_than_401_fails_the_token_check_and_the_other_reads_still_run(
    portal: InMemoryHubSpot, config: Configuration
) -> None:
    portal.fail_next("token_scopes", PermanentHubSpotError("read token info: forbidden", 403, "FORBIDDEN"))

    found = findings(portal, config)

    [failure] = [f for f in found if f.status == "fail"]
    assert (failure.check, failure.what) == (
        "token",
        "the token's scopes could not be read (403): read token info: forbidden",
    )
    assert {"owners", "pipelines", "lead statuses"} <= {f.check for f in found if f.status == "ok"}


def test_the_contact_lists_nurture_steps_join_must_exist_and_take_members(
    portal: InMemoryHubSpot, config: Configuration
) -> None:
    manual, dynamic = portal.add_list("MANUAL"), portal.add_list("DYNAMIC")
    assert config.nurture is not None
    lists = {"checklist": manual, "case-study": dynamic, "webinar": "404"}
    nurture = dataclasses.replace(config.nurture, delivery=dataclasses.replace(config.nurture.delivery, lists=lists))

    found = [f for f in portal_findings(portal, dataclasses.replace(config, nurture=nurture)) if f.check == "lists"]

    assert [(f.status, f.what) for f in found] == [
        ("fail", f"list {dynamic} (nurture.yaml delivery.lists.case-study) is a DYNAMIC list: HubSpot adds no members "
                 "to it"),
        ("fail", "list 404 (nurture.yaml delivery.lists.webinar) is not a contact list of this portal"),
    ]  # fmt: skip
    nurture = dataclasses.replace(nurture, delivery=dataclasses.replace(nurture.delivery, lists={"checklist": manual}))
    found = [f for f in portal_findings(portal, dataclasses.replace(config, nurture=nurture)) if f.check == "lists"]
    assert [f.status for f in found] == ["ok"]


def test_leads_set_up_as_the_portal_has_them_are_ok_and_each_drift_is_named(
    portal: InMemoryHubSpot, config: Configuration
) -> None:
    [healthy] = [f for f in findings(portal, config) if f.check == "leads"]
    assert (
        healthy.status == "ok"
        and "Attempting = first_touch" in healthy.what
        and "Disqualified = rejected" in healthy.what
    )

    [never] = [f for f in portal_findings(portal, config) if f.check == "leads"]  # setup recorded nothing
    assert (never.status, never.what) == (
        "fail",
        "setup has not recorded the lead pipeline: handovers make no Lead yet",
    )
    moved = dataclasses.replace(recorded(config), pipeline_id="other")
    [changed] = [f for f in findings(portal, config, moved) if f.check == "leads"]
    assert (changed.status, changed.what) == ("fail", "the lead pipeline changed since setup recorded it")

    del portal.definitions["lead"]["leadflow_cycle_id"]
    assert ("fail", "properties", "lead property leadflow_cycle_id does not exist") in problems(
        findings(portal, config)
    )

    assert config.handover is not None and config.handover.leads is not None
    renamed = dataclasses.replace(
        config,
        handover=dataclasses.replace(
            config.handover, leads=dataclasses.replace(config.handover.leads, stages={"accepted": ("Won",)})
        ),
    )
    [unknown] = [f for f in findings(portal, renamed, recorded(config)) if f.check == "leads"]
    assert unknown.status == "fail" and "leads.stages.accepted" in unknown.what and "'Won'" in unknown.what


def test_a_portal_without_leads_is_a_warning_not_a_failure(portal: InMemoryHubSpot, config: Configuration) -> None:
    portal.lead_pipeline_list = None
    [leads] = [f for f in portal_findings(portal, config) if f.check == "leads"]
    assert leads.status == "warn" and leads.what.startswith("HubSpot refuses the Leads (the portal has none")
    assert "remove `leads` from handover.yaml" in leads.what_to_do
