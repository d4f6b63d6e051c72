"""The touches HubSpot's events are, as the edge sees them (sla.yaml's first touch; docs/sla.md).

A lead status moving to a configured value, the handover task completed and a deal moving stage are touches by the
HubSpot user the webhook names (`sourceId` `userId:<id>`), not by an owner: the ledger judges them by that user's
owner (app/ledger/touches.py), and takes them to be the assigned owner's when it does not know the user.
Changes no person made (a workflow, an import, a calculation) are no touches. Engagement objects become touches
later, in the resolver, once their contacts and owner are read.
"""

from __future__ import annotations

from datetime import UTC, datetime

from app.ledger.records import NewTouch
from app.rules.sla.first_touch import Touch, lead_status_counts
from app.rules.sla.policy import FirstTouch
from app.webhooks.events import HubSpotEvent

USER_SOURCE = "userId:"  # HubSpot's `sourceId` of a change a user made
# Changes HubSpot itself or a bulk tool made (workflows, imports, calculations): nobody touched the lead.
MACHINE_SOURCES = frozenset({"AUTOMATION_PLATFORM", "WORKFLOWS", "IMPORT", "CALCULATED", "BATCH_UPDATE", "MIGRATION"})


def by_person(event: HubSpotEvent) -> bool:
    """Return whether a person (not a workflow, an import or a calculation) made the change."""
    return (event.changeSource or "").upper() not in MACHINE_SOURCES


def user_of(event: HubSpotEvent) -> str | None:
    """Return the HubSpot user who made the change (`sourceId` `userId:123` → `123`; None: not a user)."""
    source = event.sourceId or ""
    if not source.startswith(USER_SOURCE):
        return None
    return source.removeprefix(USER_SOURCE) or None


def lead_status_touch(event: HubSpotEvent, policy: FirstTouch | None, contact_id: int) -> tuple[NewTouch, ...]:
    """Return the touch of a contact's lead status moving to a configured value."""
    if policy is None or event.propertyName != "hs_lead_status" or not by_person(event):
        return ()
    if not lead_status_counts(policy, event.propertyValue):
        return ()
    touch = Touch(f"lead_status:{contact_id}:{event.occurredAt}", "lead_status", _at(event), user_id=user_of(event))
    return (NewTouch(touch, contact_id=str(contact_id)),)


def task_touch(event: HubSpotEvent, policy: FirstTouch | None, task_id: int) -> tuple[NewTouch, ...]:
    """Return the touch of a task completed (the ledger finds the handover, and so the contact, with that task)."""
    if policy is None or not by_person(event):
        return ()
    touch = Touch(f"task:{task_id}", "task", _at(event), user_id=user_of(event))
    return (NewTouch(touch, task_id=str(task_id)),)


def deal_stage_touch(event: HubSpotEvent, policy: FirstTouch | None, deal_id: int) -> tuple[NewTouch, ...]:
    """Return the touch of a deal moving stage (the ledger finds the handover with that deal, if any)."""
    if policy is None or not by_person(event):
        return ()
    touch = Touch(f"deal_stage:{deal_id}:{event.occurredAt}", "deal_stage", _at(event), user_id=user_of(event))
    return (NewTouch(touch, deal_id=str(deal_id)),)


def lead_stage_touch(event: HubSpotEvent, policy: FirstTouch | None, lead_id: int) -> tuple[NewTouch, ...]:
    """Return the touch of a Lead moving stage (the ledger finds the handover with that Lead, and counts the move
    only into a stage Leadflow reads: handover.yaml's `leads.stages`)."""
    if policy is None or not by_person(event):
        return ()
    touch = Touch(f"lead_stage:{lead_id}:{event.occurredAt}", "lead_stage", _at(event), user_id=user_of(event))
    return (NewTouch(touch, lead_id=str(lead_id), lead_stage=event.propertyValue),)


def _at(event: HubSpotEvent) -> datetime:
    return datetime.fromtimestamp(event.occurredAt / 1000, tz=UTC)
