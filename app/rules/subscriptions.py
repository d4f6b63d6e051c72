"""The webhook subscriptions Leadflow needs: derived from the scoring model and the signal rules."""

from __future__ import annotations

from dataclasses import dataclass

from app.rules.scoring.model import ScoringModel
from app.rules.scoring.signals import SignalRules

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
# The rejection reason sales picks (handover.yaml `feedback.reasons`): Leadflow's property, but sales' answer.
REJECT_REASON = ("contact.propertyChange", "leadflow_reject_reason", None)
LEADFLOW_PREFIX = "leadflow_"


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
    model: ScoringModel, signals: SignalRules, handover: bool = False, reject_reason: bool = False
) -> tuple[WebhookSubscription, ...]:
    """Return every subscription Leadflow needs for this model, these signal rules and (when configured) the
    handover's feedback and the rejection reasons sales picks, in a stable order."""
    contact_props, company_props = model.referenced_properties()
    contact_props = contact_props | signals.watched("contact.propertyChange", "propertyName")
    company_props = company_props | signals.watched("company.propertyChange", "propertyName")
    wanted = [WebhookSubscription(kind) for kind in CONTACT_EVENTS]
    wanted += [WebhookSubscription("contact.propertyChange", name) for name in sorted(_own_excluded(contact_props))]
    if company_props:
        wanted += [WebhookSubscription(kind) for kind in COMPANY_EVENTS]
        wanted += [WebhookSubscription("company.propertyChange", name) for name in sorted(_own_excluded(company_props))]
    object_types = signals.watched("object.creation", "objectTypeId")
    wanted += [WebhookSubscription("object.creation", object_type_id=type_id) for type_id in sorted(object_types)]
    if handover:
        wanted += [WebhookSubscription(kind, name, type_id) for kind, name, type_id in FEEDBACK]
    if handover and reject_reason:
        wanted.append(WebhookSubscription(*REJECT_REASON))
    return tuple(dict.fromkeys(wanted))


def _own_excluded(names: frozenset[str]) -> frozenset[str]:
    """Leadflow never subscribes to its own output properties (their changes would be echoes)."""
    return frozenset(name for name in names if not name.startswith(LEADFLOW_PREFIX))
