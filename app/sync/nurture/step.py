"""The nurture step of the drain: plan every contact's next nurture step (app/rules/nurture), write the step
offered now, and record offers, completions, conversions and each contact's standing (docs/nurture.md).

Leadflow decides, HubSpot sends: an offer is a write of `leadflow_nurture_track`, `leadflow_nurture_step` (the
content id) and `leadflow_nurture_step_at` with the drain's one batch update (no request of its own; only the
optional delivery adapters, app/sync/nurture/delivery.py, send theirs); one HubSpot workflow per step sends the
content. A step is offered once per contact: the planner never plans a step the
ledger holds, the ledger keeps one row per contact and step, and a drain that died after its write but before
its record finds HubSpot already showing the step and records it without writing again.

It plans after the handover step (which tells it who sales has now and who was recycled) and records in the
drain's one transaction. A waiting step (pacing) keeps its due time in the contact's standing; the `nurture-due`
clock job (app/sync/nurture/due.py) marks the due contacts dirty, and an ordinary drain offers the step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Connection

from app.ledger import nurture as ledger_nurture
from app.ledger.nurture import NewOffer, NurtureStanding
from app.ledger.store import Ledger
from app.rules.nurture import NurtureConfig, NurturePlan, Offer, next_nurture_step, offer_writes, reads_of
from app.rules.properties import NURTURE_PROPERTIES, NURTURE_STEP, NURTURE_STEP_AT
from app.rules.values import to_timestamp
from app.sync.hubspot.gateway import HubSpotGateway
from app.sync.nurture.delivery import NurtureDelivery, Team
from app.sync.nurture.facts import nurture_facts
from app.sync.pipeline import Batch, Member, Reads

REFUSED_RETRY = timedelta(hours=1)  # an offer HubSpot refused (or setup has not made possible) is tried again then
logger = logging.getLogger(__name__)


@dataclass
class NurtureStep:
    """Nurture's share of the drain. One instance per batch: it keeps the batch's plans until they are recorded."""

    config: NurtureConfig
    qualified: frozenset[str]  # the stages that make a contact an MQL (the scoring model's qualified stages)
    ledger: Ledger
    gateway: HubSpotGateway | None = None  # for the optional delivery adapters (None: none run)
    team: Team | None = None  # the sales team by owner id: the sequence's senders
    _history: dict[str, list[Offer]] = field(default_factory=dict, repr=False)
    _plans: dict[str, NurturePlan] = field(default_factory=dict, repr=False)
    _offers: dict[str, NewOffer] = field(default_factory=dict, repr=False)
    _converted: list[str] = field(default_factory=list, repr=False)
    _held: set[str] = field(default_factory=set, repr=False)  # due an offer, but the portal lacks the properties
    _set_up: bool = False  # `leadflow setup` made nurture's properties (recorded with the property types)

    def reads(self) -> Reads:
        contact, company = reads_of(self.config)
        return Reads(frozenset({*contact, *NURTURE_PROPERTIES}), company)

    def prepare(self, batch: Batch) -> None:
        self._history = self.ledger.nurture.offers_of(list(batch.members))
        self._set_up = f"contact.{NURTURE_STEP}" in self.ledger.contacts.property_types()

    def plan(self, batch: Batch) -> None:
        for member in batch.members.values():
            facts = nurture_facts(member, self._history)
            plan = next_nurture_step(self.config, facts, batch.now)
            self._plans[member.contact_id] = plan
            if self._converts(member):
                self._converted.append(member.contact_id)
            if plan.state == "active" and plan.track is not None and plan.step is not None:
                if self._set_up:
                    self._offer(batch, member, plan.track, plan.step)
                else:
                    self._held.add(member.contact_id)
        if self._held:  # a write naming a missing property would fail the contact's whole update
            logger.warning("nurture.not-set-up", extra={"held": len(self._held), "run": "leadflow setup"})

    def apply(self, batch: Batch) -> None:
        """The offers go out with the drain's one contact update; the optional delivery adapters (app/sync/nurture/
        delivery.py) add the offered contacts to their step's list and enroll the contacts handed over now."""
        if self.gateway is not None:
            NurtureDelivery(self.config.delivery, self.gateway, self.ledger, self.team).deliver(batch, self._offers)

    def record(self, batch: Batch, connection: Connection) -> None:
        refused = set(batch.refused) | self._held  # HubSpot refused the write, or it was never sent
        offers = [offer for contact_id, offer in self._offers.items() if contact_id not in refused]
        recorded = ledger_nurture.record_offers(connection, offers)
        completed = [
            (contact_id, offer.step, offer.completed_at)
            for contact_id, plan in self._plans.items()
            for offer in plan.completed
            if offer.completed_at is not None
        ]
        ledger_nurture.record_completed(connection, completed)
        ledger_nurture.record_converted(connection, self._converted, batch.now)
        standings = [self._standing(batch, contact_id, plan, refused) for contact_id, plan in self._plans.items()]
        ledger_nurture.record_standings(connection, standings)
        if recorded:
            batch.count("nurture offers", len(recorded))

    def _offer(self, batch: Batch, member: Member, track: str, step: str) -> None:
        """Queue the offer's writes; a step HubSpot already shows (a drain that died before recording it) is
        recorded as offered when HubSpot says, without writing it again (a workflow would send it twice)."""
        offered_at = batch.now
        if member.contact.get(NURTURE_STEP) == step:
            offered_at = to_timestamp(member.contact.get(NURTURE_STEP_AT)) or batch.now
        else:
            batch.write(member.contact_id, offer_writes(track, step, batch.now))
        self._offers[member.contact_id] = NewOffer(member.contact_id, track, step, offered_at)

    def _converts(self, member: Member) -> bool:
        """Return whether the contact becomes an MQL in this drain (enters a qualified stage from outside them)."""
        return member.assessed().stage in self.qualified and member.previous_stage not in self.qualified

    def _standing(self, batch: Batch, contact_id: str, plan: NurturePlan, refused: set[str]) -> NurtureStanding:
        due = plan.at if plan.state == "waiting" else None
        if plan.state == "active" and contact_id in refused:
            due = batch.now + REFUSED_RETRY
        return NurtureStanding(contact_id, plan.state, plan.track, plan.step, due, batch.now)
