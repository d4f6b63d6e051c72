"""Translating HubSpot events into ledger signals, through a table keyed by `subscriptionType`.

The supported event types are the keys of `TRANSLATORS`; any other type is acknowledged and counted as
ignored. A translator never decides anything about a lead: it says which contact an event concerns (or that
its contacts are still unknown), which engagement events the signal rules derive from it, and which merges
or privacy deletions the ledger must apply.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from app.ledger.records import AWAITING_RECALL, Merge, NewSignal, NewTouch
from app.rules.handover.leads import DISQUALIFICATION_REASON, PIPELINE_STAGE
from app.rules.properties import REJECT_REASON
from app.rules.sla.first_touch import ENGAGEMENT_KINDS
from app.rules.sla.policy import FirstTouch
from app.webhooks.events import HubSpotEvent
from app.webhooks.touches import deal_stage_touch, lead_stage_touch, lead_status_touch, task_touch

OBJECT_TYPES = {
    "0-1": "contact",
    "0-2": "company",
    "0-3": "deal",
    "0-5": "ticket",
    "0-27": "task",
    "0-46": "note",
    "0-47": "meeting",
    "0-48": "call",
    "0-49": "email",
    "0-136": "lead",
}
OWN_PROPERTY_PREFIX = "leadflow_"
SALES_INPUTS = frozenset({REJECT_REASON})  # Leadflow's properties that sales set: their changes are not echoes


class EventInvalid(Exception):
    """An event lacks a field its type requires; the message names the field."""


class EngagementRules(Protocol):
    def engagement_types(self, event: Mapping[str, object]) -> tuple[str, ...]: ...

    def recalled(self, event: Mapping[str, object]) -> tuple[str, ...]: ...


DEFAULT_DEAL_OUTCOMES: Mapping[str, str] = {"closedwon": "won", "closedlost": "lost"}
TASK_COMPLETED = "COMPLETED"


@dataclass(frozen=True)
class TranslationContext:
    app_id: str | None
    rules: EngagementRules
    deal_outcomes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_DEAL_OUTCOMES))
    first_touch: FirstTouch | None = None  # sla.yaml's first touch; None: no SLA, no touches recorded


@dataclass(frozen=True)
class Translated:
    """What one event means for the ledger; `outcome` is counted (accepted, echo, ignored, …)."""

    outcome: str
    signals: tuple[NewSignal, ...] = ()
    merges: tuple[Merge, ...] = ()
    forgotten: tuple[str, ...] = ()
    touches: tuple[NewTouch, ...] = ()


Translator = Callable[[HubSpotEvent, TranslationContext], Translated]
IGNORED = Translated("ignored")


def translate(event: HubSpotEvent, context: TranslationContext) -> Translated:
    """Translate one event; unknown types are ignored, Leadflow's own writes are dropped as echoes."""
    translator = TRANSLATORS.get(event.subscriptionType)
    if translator is None:
        return IGNORED
    if is_echo(event, context.app_id):
        return Translated("echo")
    return translator(event, context)


def is_echo(event: HubSpotEvent, app_id: str | None) -> bool:
    """Return whether the event reports a change Leadflow itself made (or one of its own properties)."""
    name = event.propertyName or ""
    if name.startswith(OWN_PROPERTY_PREFIX) and name not in SALES_INPUTS:
        return True
    return bool(app_id) and event.changeSource == "INTEGRATION" and event.sourceId == app_id


def dedupe_key(event: HubSpotEvent) -> str:
    """Return the key that identifies a delivery of this event (HubSpot's eventId alone is not unique)."""
    parts: list[object] = [event.portalId, event.subscriptionId, event.eventId, event.objectId, event.occurredAt]
    parts.append(event.propertyName)
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()


def occurred_at(event: HubSpotEvent) -> datetime:
    return datetime.fromtimestamp(event.occurredAt / 1000, tz=UTC)


def _signal(
    event: HubSpotEvent,
    kind: str,
    object_type: str,
    object_id: int,
    contact_id: int | None,
    engagement_types: tuple[str, ...] = (),
) -> NewSignal:
    return NewSignal(
        dedupe_key=dedupe_key(event),
        subscription_type=event.subscriptionType,
        kind=kind,
        object_type=object_type,
        object_id=str(object_id),
        contact_id=None if contact_id is None else str(contact_id),
        occurred_at=occurred_at(event),
        payload=event.model_dump(mode="json", exclude_none=True),
        engagement_types=engagement_types,
    )


def _required(event: HubSpotEvent, field: str) -> Any:
    value = getattr(event, field)
    if value is None or value == []:
        raise EventInvalid(f"{event.subscriptionType} needs {field}")
    return value


def rule_view(event: HubSpotEvent, subscription_type: str) -> dict[str, Any]:
    """Return the event as the signal rules see it, under the legacy subscription type it stands for."""
    return {**event.model_dump(mode="json", exclude_none=True), "subscriptionType": subscription_type}


def contact_event(kind: str) -> Translator:
    """Translate an event that only says "this contact changed" (creation, deletion, restore)."""

    def translate_contact_event(event: HubSpotEvent, _context: TranslationContext) -> Translated:
        contact_id = _required(event, "objectId")
        return Translated("accepted", (_signal(event, kind, "contact", contact_id, contact_id),))

    return translate_contact_event


def contact_property_change(event: HubSpotEvent, context: TranslationContext) -> Translated:
    """Translate a contact's property change; one the rules can only judge with other contact properties as they
    were then waits for the resolver to recall them from HubSpot (its contact is named by `object_id` meanwhile)."""
    contact_id = _required(event, "objectId")
    _required(event, "propertyName")
    view = rule_view(event, "contact.propertyChange")
    if context.rules.recalled(view):
        return Translated("accepted", (_signal(event, AWAITING_RECALL, "contact", contact_id, None),))
    types = context.rules.engagement_types(view)
    signal = _signal(event, "contact.changed", "contact", contact_id, contact_id, types)
    return Translated("accepted", (signal,), touches=lead_status_touch(event, context.first_touch, contact_id))


def contact_merge(event: HubSpotEvent, _context: TranslationContext) -> Translated:
    primary = _required(event, "primaryObjectId")
    survivor = event.newObjectId or primary
    merged = tuple(str(i) for i in {*_required(event, "mergedObjectIds"), primary} if i != survivor)
    signal = _signal(event, "contact.merged", "contact", survivor, survivor)
    return Translated("accepted", (signal,), merges=(Merge(str(survivor), merged),))


def contact_privacy_deletion(event: HubSpotEvent, _context: TranslationContext) -> Translated:
    contact_id = _required(event, "objectId")
    return Translated("forgotten", forgotten=(str(contact_id),))


def association_change(event: HubSpotEvent, _context: TranslationContext) -> Translated:
    association = (_required(event, "associationType") or "").upper()
    from_id, to_id = _required(event, "fromObjectId"), _required(event, "toObjectId")
    if association.startswith("CONTACT_TO_COMPANY"):
        contact_id = from_id
    elif association.startswith("COMPANY_TO_CONTACT"):
        contact_id = to_id
    else:
        return IGNORED
    signal = _signal(event, "contact.company-link", "contact", contact_id, contact_id)
    return Translated("accepted", (signal,))


def company_event(event: HubSpotEvent, _context: TranslationContext) -> Translated:
    """Translate a company change; its contacts are found later, by the resolver."""
    company_id = _required(event, "objectId")
    return Translated("accepted", (_signal(event, "company.changed", "company", company_id, None),))


def company_merge(event: HubSpotEvent, _context: TranslationContext) -> Translated:
    """Translate a company merge: the surviving company's contacts (old and new) are re-assessed."""
    survivor = event.newObjectId or _required(event, "primaryObjectId")
    return Translated("accepted", (_signal(event, "company.changed", "company", survivor, None),))


def object_creation(event: HubSpotEvent, context: TranslationContext) -> Translated:
    """Translate a generic creation: a contact's, or an engagement object's the signal rules count."""
    object_type = OBJECT_TYPES.get(_required(event, "objectTypeId"), "")
    if object_type == "contact":
        return contact_event("contact.created")(event, context)
    types = context.rules.engagement_types(rule_view(event, "object.creation"))
    touching = context.first_touch is not None and object_type in ENGAGEMENT_KINDS
    if not types and not touching:
        return IGNORED
    object_id = _required(event, "objectId")
    return Translated("accepted", (_signal(event, "engagement.created", object_type, object_id, None),))


def object_property_change(event: HubSpotEvent, context: TranslationContext) -> Translated:
    """Translate a generic property change: contacts and companies like the legacy events, tasks and deals as
    sales' feedback on a handover."""
    object_type = OBJECT_TYPES.get(_required(event, "objectTypeId"), "")
    if object_type == "contact":
        return contact_property_change(event, context)
    if object_type == "company":
        return company_event(event, context)
    if object_type == "task":
        return task_feedback(event, context)
    if object_type == "deal":
        return deal_feedback(event, context)
    if object_type == "lead":
        return lead_feedback(event, context)
    return IGNORED


def task_feedback(event: HubSpotEvent, context: TranslationContext) -> Translated:
    """Translate a task's status change: a completed handover task is sales' response, and a touch."""
    if event.propertyName != "hs_task_status" or event.propertyValue != TASK_COMPLETED:
        return IGNORED
    task_id = _required(event, "objectId")
    signal = _signal(event, "handover.task-completed", "task", task_id, None)
    return Translated("accepted", (signal,), touches=task_touch(event, context.first_touch, task_id))


def deal_feedback(event: HubSpotEvent, context: TranslationContext) -> Translated:
    """Translate a deal's stage change: won or lost, when it is one of those stages; a touch, when Leadflow's
    handover has the deal (the ledger knows)."""
    if event.propertyName != "dealstage":
        return IGNORED
    deal_id = _required(event, "objectId")
    touches = deal_stage_touch(event, context.first_touch, deal_id)
    outcome = context.deal_outcomes.get(event.propertyValue or "")
    if outcome is None:
        return Translated("accepted", touches=touches) if touches else IGNORED
    signal = _signal(event, f"handover.deal-{outcome}", "deal", deal_id, None)
    return Translated("accepted", (signal,), touches=touches)


def lead_feedback(event: HubSpotEvent, context: TranslationContext) -> Translated:
    """Translate a Lead's stage or disqualification reason changing: sales working the Lead of a handover (the
    ledger finds its contact, whose drain reads the Lead); a stage move by a person is also a touch."""
    if event.propertyName not in (PIPELINE_STAGE, DISQUALIFICATION_REASON):
        return IGNORED
    lead_id = _required(event, "objectId")
    signal = _signal(event, "handover.lead-changed", "lead", lead_id, None)
    moved = event.propertyName == PIPELINE_STAGE
    return Translated(
        "accepted", (signal,), touches=lead_stage_touch(event, context.first_touch, lead_id) if moved else ()
    )


def object_deletion(event: HubSpotEvent, context: TranslationContext) -> Translated:
    object_type = OBJECT_TYPES.get(_required(event, "objectTypeId"), "")
    if object_type == "contact":
        return contact_event("contact.deleted")(event, context)
    if object_type == "company":
        return company_event(event, context)
    return IGNORED


TRANSLATORS: Mapping[str, Translator] = {
    "contact.creation": contact_event("contact.created"),
    "contact.propertyChange": contact_property_change,
    "contact.deletion": contact_event("contact.deleted"),
    "contact.restore": contact_event("contact.restored"),
    "contact.merge": contact_merge,
    "contact.privacyDeletion": contact_privacy_deletion,
    "contact.associationChange": association_change,
    "company.associationChange": association_change,
    "company.propertyChange": company_event,
    "company.deletion": company_event,
    "company.restore": company_event,
    "company.merge": company_merge,
    "deal.propertyChange": deal_feedback,
    "object.creation": object_creation,
    "object.propertyChange": object_property_change,
    "object.deletion": object_deletion,
}
