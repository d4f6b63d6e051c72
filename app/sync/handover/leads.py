"""Carrying out the cycle's Lead in HubSpot, and reading back what sales did with it.

A Lead is created only with its primary contact (association 578), which a batch upsert cannot carry, so a new
cycle's Lead is batch-created with its associations and its unique `leadflow_cycle_id`. A create HubSpot refuses
because the key is already taken (a retried drain whose first create did land, or a handover the ledger has not
recorded yet) becomes an upsert by that key, which then only updates: one Lead per cycle, however often it runs. A
Lead an earlier handover of the cycle made (the MQL's, when the SQL's handover comes) is updated by its id.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.rules.handover.leads import CYCLE_ID, PIPELINE, READ_BACK
from app.rules.handover.types import HandoverPlan
from app.sync.hubspot.gateway import LEAD_TO_COMPANY, LEAD_TO_PRIMARY_CONTACT, HubSpotGateway, NewRecord, Properties

logger = logging.getLogger(__name__)
KEY_TAKEN = "already has that value"  # HubSpot's refusal of a unique value another record holds


@dataclass
class LeadsMade:
    """The Leads written, by handover key, and the handovers whose Lead HubSpot refused, with why."""

    ids: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def put_leads(
    gateway: HubSpotGateway,
    plans: Sequence[HandoverPlan],
    companies: Mapping[str, str | None],
    known: Mapping[str, str],
) -> LeadsMade:
    """Create or update the Lead of each plan that carries one; `known`: handover key → the cycle's Lead already
    made (by an earlier handover of the cycle)."""
    made = LeadsMade()
    leading = [plan for plan in plans if plan.lead is not None]
    updates = {known[p.key]: p for p in leading if p.key in known}
    if updates:
        refused = gateway.update_objects("lead", {lead_id: _values(plan) for lead_id, plan in updates.items()})
        for lead_id, plan in updates.items():
            if lead_id in refused:
                made.refused[plan.key] = refused[lead_id]
            else:
                made.ids[plan.key] = lead_id
    fresh = {_key(p): p for p in leading if p.key not in known}
    if fresh:
        created = gateway.create_objects("lead", CYCLE_ID, {key: _record(p, companies) for key, p in fresh.items()})
        taken = {key for key, reason in created.refused.items() if KEY_TAKEN in reason}
        made.ids.update({fresh[key].key: lead_id for key, lead_id in created.ids.items()})
        made.refused.update({fresh[key].key: why for key, why in created.refused.items() if key not in taken})
        if taken:
            upserted = gateway.upsert_objects("lead", CYCLE_ID, {key: _values(fresh[key]) for key in taken})
            made.ids.update({fresh[key].key: lead_id for key, lead_id in upserted.ids.items()})
            made.refused.update({fresh[key].key: why for key, why in upserted.refused.items()})
    for key, reason in made.refused.items():
        logger.error("handover.lead-refused", extra={"handover": key, "reason": reason})
    return made


def read_leads(gateway: HubSpotGateway, lead_ids: Sequence[str]) -> dict[str, Properties]:
    """Return the stage and disqualification reason of these Leads (one request per 100; none without ids)."""
    return gateway.read_objects("lead", sorted(set(lead_ids)), READ_BACK) if lead_ids else {}


def _key(plan: HandoverPlan) -> str:
    assert plan.lead is not None
    return plan.lead.key


def _values(plan: HandoverPlan) -> dict[str, str]:
    """Return what a Lead's update writes: everything but its pipeline (sales may have moved it since)."""
    assert plan.lead is not None
    return dict(plan.lead.properties)


def _record(plan: HandoverPlan, companies: Mapping[str, str | None]) -> NewRecord:
    assert plan.lead is not None
    properties = dict(plan.lead.properties)
    if plan.lead.pipeline:
        properties[PIPELINE] = plan.lead.pipeline
    links = [("contact", plan.contact_id, LEAD_TO_PRIMARY_CONTACT)]
    company_id = companies.get(plan.contact_id)
    if company_id:
        links.append(("company", company_id, LEAD_TO_COMPANY))
    return NewRecord(properties, tuple(links))
