"""Closing what ended handovers created in HubSpot, batched: their tasks completed with a note, a rejected
handover's deal closed lost and its Lead disqualified (where sales answered on the contact), and marketing-ops data
tasks completed once the data arrived.

Each kind costs one batch read and one batch update per 100 records (reads first, so a task sales completed or a
deal already closed is left as it is, and closing twice writes nothing the second time). A record HubSpot refuses
for good is the contact's error (its `last_error`) and logged, not retried: the same request cannot succeed.
Transient failures raise, and the drain is retried as a whole.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from app.ledger.records import HandoverRecord
from app.ledger.store import Ledger
from app.rules.handover.closing import DEAL_READS, TASK_READS, close_deal, close_task, closing_note, reason_text
from app.rules.handover.config import HandoverConfig
from app.rules.handover.leads import PIPELINE_STAGE, LeadStages, close_lead
from app.sync.hubspot.gateway import HubSpotGateway

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskClosing:
    """A task to complete: its id, the key it belongs to (handover or data task), its contact, the note."""

    task_id: str
    key: str
    contact_id: str
    note: str


@dataclass
class Closed:
    """What closing did: the keys whose work is closed, and contact id → why HubSpot refused a write."""

    keys: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def close_ended_work(
    ledger: Ledger,
    gateway: HubSpotGateway,
    config: HandoverConfig,
    unblocked: Mapping[str, str],
    stages: LeadStages | None = None,
) -> tuple[Closed, Closed]:
    """Close a page of ended handovers' work (of any contact), and the open data tasks of the `unblocked`
    contacts (contact id → why: `data-arrived`, `data-moot`, `deleted`); return what each closed. `stages`: the
    portal's lead pipeline as the drain read it (None: no Leads), whose rejected stage disqualifies Leads."""
    ended = ledger.handovers.to_close()
    closed = close_handovers(gateway, config, ended, _successors(ledger, config, ended))
    if stages is not None:
        _close_leads(gateway, stages, [h for h in ended if h.lead_id and h.end_reason == "rejected"], closed)
    open_tasks = ledger.handovers.open_data_tasks(list(unblocked)) if unblocked else {}
    data = [
        TaskClosing(task_id, key, contact_id, closing_note(unblocked[contact_id]))
        for key, (contact_id, task_id) in open_tasks.items()
    ]
    return closed, complete_tasks(gateway, data)


def _successors(ledger: Ledger, config: HandoverConfig, ended: Sequence[HandoverRecord]) -> dict[str, str]:
    """Return, for superseded handovers, the label of the stage whose handover superseded each."""
    superseded = [h for h in ended if h.end_reason == "superseded"]
    if not superseded:
        return {}
    records = ledger.handovers.of_contacts(sorted({h.contact_id for h in superseded}))
    found: dict[str, str] = {}
    for handover in superseded:
        same_cycle = [h for h in records.get(handover.contact_id, []) if h.cycle == handover.cycle]
        later = [h for h in same_cycle if config.ranks_above(h.stage, handover.stage)]
        if later:
            found[handover.key] = config.label(later[-1].stage)
    return found


def close_handovers(
    gateway: HubSpotGateway, config: HandoverConfig, ended: Sequence[HandoverRecord], successors: Mapping[str, str]
) -> Closed:
    """Complete the ended handovers' open tasks and close the rejected ones' deals; `successors`: handover key →
    the label of the stage that superseded it."""
    tasks = [
        TaskClosing(h.task_id, h.key, h.contact_id, _note(config, h, successors))
        for h in ended
        if h.task_id and h.task_completed_at is None
    ]
    closed = complete_tasks(gateway, tasks)
    lost = {h.deal_id: h for h in ended if h.deal_id and h.end_reason == "rejected" and h.deal_outcome is None}
    _close_deals(gateway, config, lost, closed)
    closed.keys = [h.key for h in ended]
    return closed


def complete_tasks(gateway: HubSpotGateway, tasks: Sequence[TaskClosing]) -> Closed:
    """Complete these tasks with their notes (tasks gone or completed already are left alone)."""
    closed = Closed(keys=[task.key for task in tasks])
    if not tasks:
        return closed
    current = gateway.read_objects("task", sorted({task.task_id for task in tasks}), TASK_READS)
    updates: dict[str, dict[str, str]] = {}
    for task in tasks:
        if task.task_id in current and (writes := close_task(current[task.task_id], task.note)) is not None:
            updates[task.task_id] = writes
    refused = gateway.update_objects("task", updates) if updates else {}
    for task in tasks:
        if task.task_id in refused:
            _refused(closed, task.contact_id, "task", task.task_id, refused[task.task_id])
    return closed


def _close_deals(
    gateway: HubSpotGateway, config: HandoverConfig, lost: Mapping[str, HandoverRecord], closed: Closed
) -> None:
    if not lost:
        return
    current = gateway.read_objects("deal", sorted(lost), DEAL_READS)
    updates: dict[str, dict[str, str]] = {}
    for deal_id, handover in lost.items():
        reason = reason_text(config.feedback, handover.outcome_reason)
        if deal_id in current and (writes := close_deal(config.closing, current[deal_id], reason)) is not None:
            updates[deal_id] = writes
    refused = gateway.update_objects("deal", updates) if updates else {}
    for deal_id, why in refused.items():
        _refused(closed, lost[deal_id].contact_id, "deal", deal_id, why)


def _close_leads(
    gateway: HubSpotGateway, stages: LeadStages, rejected: Sequence[HandoverRecord], closed: Closed
) -> None:
    """Disqualify the Leads of handovers sales rejected on the contact (a Lead sales closed is left alone)."""
    if not rejected:
        return
    by_lead = {h.lead_id: h for h in rejected if h.lead_id}
    current = gateway.read_objects("lead", sorted(by_lead), (PIPELINE_STAGE,))
    updates = {lead_id: writes for lead_id, lead in current.items() if (writes := close_lead(stages, lead))}
    refused = gateway.update_objects("lead", updates) if updates else {}
    for lead_id, why in refused.items():
        _refused(closed, by_lead[lead_id].contact_id, "lead", lead_id, why)


def _note(config: HandoverConfig, handover: HandoverRecord, successors: Mapping[str, str]) -> str:
    reason = handover.end_reason or "ended"
    if reason == "rejected":
        return closing_note(reason, reason_text(config.feedback, handover.outcome_reason))
    return closing_note(reason, successors.get(handover.key))


def _refused(closed: Closed, contact_id: str, object_type: str, object_id: str, why: str) -> None:
    closed.errors[contact_id] = f"HubSpot refused closing {object_type} {object_id}: {why}"
    logger.error("handover.close-refused", extra={"contact_id": contact_id, "object": object_id, "reason": why})
