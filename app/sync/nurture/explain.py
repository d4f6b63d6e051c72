"""`leadflow nurture --explain CONTACT_ID`: the plan the next drain would make for a contact, with every reason.

The planner gets what a drain gives it: the contact's HubSpot values now (one batch read of the properties nurture
reads; its primary company's when a condition reads one), the scores the last drain recorded, the ledger's
engagements and offers, and whether sales has the lead (an open handover of its current cycle).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from app.ledger.records import sales_has
from app.ledger.store import Ledger
from app.rules.nurture import NurtureConfig, NurtureFacts, Offer, explain, next_nurture_step, reads_of
from app.rules.properties import NURTURE_PROPERTIES
from app.sync.hubspot.gateway import PRIMARY_COMPANY_ID, HubSpotGateway


class UnknownContact(LookupError):
    """The ledger holds nothing of the contact (never drained, or forgotten), or HubSpot no longer has it."""


@dataclass(frozen=True)
class NurtureExplainContext:
    ledger: Ledger
    gateway: Callable[[], HubSpotGateway]
    config: NurtureConfig
    clock: Callable[[], datetime]


def explain_contact(ctx: NurtureExplainContext, contact_id: str, at: datetime | None = None) -> list[str]:
    """Return the lines explaining the contact's nurture plan at `at` (now), then its offers, oldest first."""
    now = at or ctx.clock()
    state = ctx.ledger.contacts.states_of([contact_id]).get(contact_id)
    if state is None or state.deleted_at is not None:
        raise UnknownContact(f"the ledger holds no assessment of contact {contact_id}: never drained, or forgotten")
    contact_reads, company_reads = reads_of(ctx.config)
    gateway = ctx.gateway()
    names = sorted({*contact_reads, *NURTURE_PROPERTIES, PRIMARY_COMPANY_ID})
    contact = gateway.read_objects("contact", [contact_id], names).get(contact_id)
    if contact is None:
        raise UnknownContact(f"HubSpot has no contact {contact_id} (deleted or merged away)")
    company_id = contact.get(PRIMARY_COMPANY_ID)
    company = {}
    if company_reads and company_id:
        company = gateway.read_objects("company", [company_id], sorted(company_reads)).get(company_id, {})
    history = _as_of(ctx.ledger.nurture.offers_of([contact_id]).get(contact_id, []), now)
    handovers = ctx.ledger.handovers.of_contacts([contact_id]).get(contact_id, [])
    facts = NurtureFacts(
        fit=state.fit,
        engagement=state.engagement,
        grade=state.grade,
        stage=state.stage,
        properties={name: value for name, value in contact.items() if value is not None},
        company={name: value for name, value in company.items() if value is not None},
        engagements=tuple(ctx.ledger.contacts.engagements_of([contact_id]).get(contact_id, [])),
        history=tuple(history),
        handed_over=sales_has(handovers, state.qualification_cycle, now),
        recycled_at=state.recycled_at,
    )
    plan = next_nurture_step(ctx.config, facts, now)
    scores = f"fit {state.fit}, engagement {state.engagement}, grade {state.grade or '-'}, stage {state.stage or '-'}"
    heading = f"contact {contact_id} at {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC (the last drain's scores: {scores})"
    return [heading, *explain(plan), *_offer_lines(history)]


def _as_of(history: list[Offer], at: datetime) -> list[Offer]:
    """Return the offers as they stood at `at`: those made by then, a completion after it not yet known."""
    return [
        replace(offer, completed_at=offer.completed_at if offer.completed_at and offer.completed_at <= at else None)
        for offer in history
        if offer.offered_at <= at
    ]


def _offer_lines(history: list[Offer]) -> list[str]:
    if not history:
        return ["offers: none yet"]
    lines = ["offers:"]
    for offer in history:
        line = f"  {offer.offered_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC  {offer.step} ({offer.track})"
        if offer.completed_at is not None:
            line += f", completed {offer.completed_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        lines.append(line)
    return lines
