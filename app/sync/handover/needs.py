"""What the handover step needs from the composition root (absent when config/handover.yaml does not exist)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.ledger.records import HandoverRecord, SlaStart
from app.rules.handover.config import HandoverConfig
from app.rules.handover.routing_config import RoutingConfig
from app.rules.handover.types import Lead, Owner
from app.rules.properties import FEEDBACK_MISSING, HANDOVER_BLOCKED, REJECT_REASON
from app.sync.handover.notify import Notifier
from app.sync.pipeline import Reads

LEAD_STATUS = "hs_lead_status"
CONTACT_PROPERTIES = frozenset({"hubspot_owner_id", "lifecyclestage", LEAD_STATUS, HANDOVER_BLOCKED, "email"})
COMPANY_PROPERTIES = frozenset({"name", "hubspot_owner_id"})


@dataclass(frozen=True)
class Handovers:
    """What handing leads over needs (absent when config/handover.yaml does not exist)."""

    config: HandoverConfig
    routing: RoutingConfig
    notifier: Notifier
    team: Callable[[], Mapping[str, Owner]]
    contact_url: Callable[[str], str | None]
    # Starts a handover's SLA clock (app/sync/sla/clock.py, when config/sla.yaml exists): its due time is the task's.
    start_clock: Callable[[HandoverRecord, Lead], SlaStart | None] | None = None

    def reads(self) -> Reads:
        """Return the contact and company properties handovers read."""
        contact, company = self.config.referenced_properties()
        routing_contact, routing_company = self.routing.referenced_properties()
        feedback = frozenset({REJECT_REASON, FEEDBACK_MISSING}) if self.config.feedback.reasons else frozenset()
        contact_reads = contact | routing_contact | CONTACT_PROPERTIES | feedback
        return Reads(contact_reads, company | routing_company | COMPANY_PROPERTIES)
