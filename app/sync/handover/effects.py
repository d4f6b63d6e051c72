"""Carrying out handover plans in HubSpot: deals and tasks upserted by their handover key, then associated.

Upserting by `leadflow_handover_id` (a unique property) makes every effect repeatable: a retry after a timeout
whose request did succeed finds the deal or task it created instead of creating a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.rules.handover.types import DealSpec, HandoverPlan, TaskSpec
from app.rules.properties import HANDOVER_ID
from app.rules.scoring.writes import format_datetime
from app.sync.hubspot.gateway import (
    DEAL_TO_COMPANY,
    DEAL_TO_CONTACT,
    TASK_TO_COMPANY,
    TASK_TO_CONTACT,
    TASK_TO_DEAL,
    HubSpotGateway,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskWork:
    """A task to upsert: its key, its spec, and the records it belongs to."""

    key: str
    spec: TaskSpec
    contact_id: str
    company_id: str | None
    deal_key: str | None = None


@dataclass
class Created:
    """What the effects produced: object ids by handover key, and the keys HubSpot refused, with why."""

    deals: dict[str, str] = field(default_factory=dict)
    tasks: dict[str, str] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


def create_effects(
    gateway: HubSpotGateway,
    plans: Sequence[HandoverPlan],
    tasks: Sequence[TaskWork],
    companies: Mapping[str, str | None],
    taken_over: Mapping[str, str] | None = None,
) -> Created:
    """Upsert the plans' deals, then every task, then associate them with their contacts, companies and deals.

    `taken_over`: handover key → the deal of an earlier handover of the cycle (an MQL's, superseded by the SQL),
    which the plan's deal updates instead of creating a second one: one deal per qualification cycle."""
    created = Created()
    deals = {plan.key: plan.deal for plan in plans if plan.deal is not None}
    existing = {key: deal_id for key, deal_id in (taken_over or {}).items() if key in deals}
    fresh = {key: _deal_properties(spec) for key, spec in deals.items() if key not in existing}
    if fresh:
        upserted = gateway.upsert_objects("deal", HANDOVER_ID, fresh)
        created.deals, created.refused = dict(upserted.ids), dict(upserted.refused)
    if existing:
        refused = gateway.update_objects("deal", {existing[key]: _deal_properties(deals[key]) for key in existing})
        for key, deal_id in existing.items():
            if deal_id in refused:
                created.refused[key] = refused[deal_id]
            else:
                created.deals[key] = deal_id
    if tasks:
        upserted = gateway.upsert_objects("task", HANDOVER_ID, {t.key: _task_properties(t.spec) for t in tasks})
        created.tasks = dict(upserted.ids)
        created.refused.update(upserted.refused)
    for key, reason in created.refused.items():
        logger.error("handover.refused", extra={"handover": key, "reason": reason})
    _associate(gateway, plans, tasks, companies, created)
    return created


def _associate(
    gateway: HubSpotGateway,
    plans: Sequence[HandoverPlan],
    tasks: Sequence[TaskWork],
    companies: Mapping[str, str | None],
    created: Created,
) -> None:
    links: dict[tuple[str, str], list[tuple[str, str, int]]] = {}
    for plan in plans:
        deal_id = created.deals.get(plan.key)
        company_id = companies.get(plan.contact_id)
        if deal_id:
            links.setdefault(("deal", "contact"), []).append((deal_id, plan.contact_id, DEAL_TO_CONTACT))
            if company_id:
                links.setdefault(("deal", "company"), []).append((deal_id, company_id, DEAL_TO_COMPANY))
    for task in tasks:
        task_id = created.tasks.get(task.key)
        if not task_id:
            continue
        links.setdefault(("task", "contact"), []).append((task_id, task.contact_id, TASK_TO_CONTACT))
        if task.company_id:
            links.setdefault(("task", "company"), []).append((task_id, task.company_id, TASK_TO_COMPANY))
        deal_id = created.deals.get(task.deal_key or "")
        if deal_id:
            links.setdefault(("task", "deal"), []).append((task_id, deal_id, TASK_TO_DEAL))
    for (from_type, to_type), pairs in links.items():
        gateway.create_associations(from_type, to_type, pairs)


def _deal_properties(spec: DealSpec) -> dict[str, str]:
    properties = {"dealname": spec.name, "pipeline": spec.pipeline, "dealstage": spec.stage}
    properties["hubspot_owner_id"] = spec.owner_id
    if spec.amount is not None:
        properties["amount"] = spec.amount
    return properties


def _task_properties(spec: TaskSpec) -> dict[str, str]:
    properties = {
        "hs_timestamp": format_datetime(spec.due_at),
        "hs_task_subject": spec.subject,
        "hs_task_body": spec.body,
        "hs_task_type": spec.task_type,
        "hs_task_priority": spec.priority,
        "hubspot_owner_id": spec.owner_id,
    }
    if spec.queue_id:
        properties["hs_queue_membership_ids"] = spec.queue_id
    return properties
