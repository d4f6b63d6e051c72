"""The webhook subscriptions Leadflow needs: derived from the scoring model and the signal rules."""

from __future__ import annotations

from dataclasses import dataclass

from app.rules.handover.config import HandoverConfig
from app.rules.scoring.model import ScoringModel
from app.rules.scoring.signals import SignalRules
from app.rules.sla.policy import FirstTouch

CONTACT_EVENTS = (
    "contact.creation", "contact.deletion", "contact.restore", "contact.merge", "contact.privacyDeletion",
    "contact.associationChange",
)  # fmt: skip
COMPANY_EVENTS = ("company.deletion", "company.merge")
# Sales' answers to a handover: the contact's lead status, the task's status, the deal's stage.
FEEDBACK = (
    ("contact.propertyChange", "hs_lead_status", None),
    ("object.propertyChange", "hs_task_status", "0-27"),
    ("deal.propertyChange", "dealstage", None),
)
# A Lead's stage and disqualification reason (handover.yaml `leads`): sales working the cycle's Lead.
LEAD_FEEDBACK = (
    ("object.propertyChange", "hs_pipeline_stage", "0-136"),
    ("object.propertyChange", "hs_lead_disqualification_reason", "0-136"),
)
# The rejection reason sales picks (handover.yaml `feedback.reasons`): Leadflow's property, but sales' answer.
REJECT_REASON = ("contact.propertyChange", "leadflow_reject_reason", None)
LEADFLOW_PREFIX = "leadflow_"
# The engagement objects a first touch may be (sla.yaml `first_touch.engagements`), by HubSpot's object type id.
TOUCH_OBJECT_TYPES = {"meeting": "0-47", "call": "0-48", "email": "0-49"}


@dataclass(frozen=True, order=True)
class WebhookSubscription:
    """One subscription of the private app: a type, plus a property name or an object type id where needed."""

    subscription_type: str
    property_name: str | None = None
    object_type_id: str | None = None

    def describe(self) -> str:
        detail = self.property_name or self.object_type_id
        return f"{self.subscription_type} ({detail})" if detail else self.subscription_type


def required_subscriptions(
    model: ScoringModel,
    signals: SignalRules,
    handover: HandoverConfig | None = None,
    first_touch: FirstTouch | None = None,
) -> tuple[WebhookSubscription, ...]:
    """Return every subscription Leadflow needs for this model, these signal rules and (when configured) the
    handover's feedback, the SLA's first touches (the engagement objects that may be one), the rejection reasons
    sales picks and the Leads' stages, in a stable order."""
    contact_props, company_props = model.referenced_properties()
    contact_props = contact_props | signals.watched("contact.propertyChange", "propertyName")
    company_props = company_props | signals.watched("company.propertyChange", "propertyName")
    wanted = [WebhookSubscription(kind) for kind in CONTACT_EVENTS]
    wanted += [WebhookSubscription("contact.propertyChange", name) for name in sorted(_own_excluded(contact_props))]
    if company_props:
        wanted += [WebhookSubscription(kind) for kind in COMPANY_EVENTS]
        wanted += [WebhookSubscription("company.propertyChange", name) for name in sorted(_own_excluded(company_props))]
    object_types = set(signals.watched("object.creation", "objectTypeId"))
    if first_touch is not None:
        object_types |= {TOUCH_OBJECT_TYPES[kind] for kind in first_touch.engagements}
    wanted += [
        WebhookSubscription("object.creation", object_type_id=type_id)
        for type_id in sorted(object_types, key=_type_order)
    ]
    if handover is not None:
        wanted += [WebhookSubscription(kind, name, type_id) for kind, name, type_id in FEEDBACK]
    if handover is not None and handover.feedback.reasons:
        wanted.append(WebhookSubscription(*REJECT_REASON))
    if handover is not None and handover.leads is not None:
        wanted += [WebhookSubscription(kind, name, type_id) for kind, name, type_id in LEAD_FEEDBACK]
    return tuple(dict.fromkeys(wanted))


def _own_excluded(names: frozenset[str]) -> frozenset[str]:
    """Leadflow never subscribes to its own output properties (their changes would be echoes)."""
    return frozenset(name for name in names if not name.startswith(LEADFLOW_PREFIX))


def _type_order(type_id: str) -> tuple[int, ...]:
    """Order object type ids numerically (`0-47` before `0-100`)."""
    return tuple(int(part) if part.isdigit() else 0 for part in type_id.split("-"))
