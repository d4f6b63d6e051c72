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
from app.rules.properties import NURTURE_PROPERTIES, NURTURE_STEP, NURTURE_STEP_AT, NURTURE_TRACK
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
    _held: dict[str, list[str]] = field(default_factory=dict, repr=False)  # due an offer HubSpot would not take
    _shown: list[NewOffer] = field(default_factory=list, repr=False)  # offers HubSpot shows and the ledger lacked
    _options: dict[str, frozenset[str]] = field(default_factory=dict, repr=False)  # what setup made in HubSpot
    _track_of: dict[str, str] = field(default_factory=dict, repr=False)  # every configured step id → its track

    def reads(self) -> Reads:
        contact, company = reads_of(self.config)
        return Reads(frozenset({*contact, *NURTURE_PROPERTIES}), company)

    def prepare(self, batch: Batch) -> None:
        self._history = self.ledger.nurture.offers_of(list(batch.members))
        self._options = self.ledger.contacts.property_options()
        self._track_of = {step.id: track.id for track in self.config.tracks for step in track.steps}
        for member in batch.members.values():
            self._recover_shown(batch, member)

    def plan(self, batch: Batch) -> None:
        for member in batch.members.values():
            facts = nurture_facts(member, self._history)
            plan = next_nurture_step(self.config, facts, batch.now)
            self._plans[member.contact_id] = plan
            if self._converts(member):
                self._converted.append(member.contact_id)
            if plan.state == "active" and plan.track is not None and plan.step is not None:
                self._offer(batch, member, plan.track, plan.step)
        if self._held:  # a write HubSpot cannot take (no such property or option) would fail the whole update
            missing = sorted({value for values in self._held.values() for value in values})
            logger.warning("nurture.not-set-up", extra={"held": len(self._held), "missing": missing,
                                                        "run": "leadflow setup"})  # fmt: skip

    def apply(self, batch: Batch) -> None:
        """The offers go out with the drain's one contact update; the optional delivery adapters (app/sync/nurture/
        delivery.py) add the offered contacts to their step's list and enroll the contacts handed over now."""
        if self.gateway is not None:
            NurtureDelivery(self.config.delivery, self.gateway, self.ledger, self.team).deliver(batch, self._offers)

    def record(self, batch: Batch, connection: Connection) -> None:
        refused = set(batch.refused) | set(self._held)  # HubSpot refused the write, or it was never sent
        offers = [offer for contact_id, offer in self._offers.items() if contact_id not in refused]
        recorded = ledger_nurture.record_offers(connection, [*self._shown, *offers])
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
        ledger_nurture.forget_standings(connection, batch.missing)  # deleted in HubSpot: nothing waits for them
        if recorded:
            batch.count("nurture offers", len(recorded))

    def _offer(self, batch: Batch, member: Member, track: str, step: str) -> None:
        """Queue the offer's writes, unless HubSpot lacks the property or the option (setup has not made them)."""
        missing = [
            f"{name}={value}"
            for name, value in ((NURTURE_TRACK, track), (NURTURE_STEP, step))
            if value not in self._options.get(f"contact.{name}", frozenset())
        ]
        if missing:
            self._held[member.contact_id] = missing
            return
        batch.write(member.contact_id, offer_writes(track, step, batch.now))
        self._offers[member.contact_id] = NewOffer(member.contact_id, track, step, batch.now)

    def _recover_shown(self, batch: Batch, member: Member) -> None:
        """Record a step HubSpot shows that the ledger lacks (a drain died between its write and its record): the
        workflow sent it, so it counts as offered when HubSpot says, for the plan and in the ledger, and is never
        written again (a changed `_at` would send it twice)."""
        shown = member.contact.get(NURTURE_STEP)
        history = self._history.setdefault(member.contact_id, [])
        if not shown or shown not in self._track_of or any(offer.step == shown for offer in history):
            return
        track = member.contact.get(NURTURE_TRACK) or ""
        track = track if self.config.track(track) is not None else self._track_of[shown]
        offered_at = to_timestamp(member.contact.get(NURTURE_STEP_AT)) or batch.now
        history.append(Offer(track, shown, offered_at))
        self._shown.append(NewOffer(member.contact_id, track, shown, offered_at))

    def _converts(self, member: Member) -> bool:
        """Return whether the contact becomes an MQL in this drain (enters a qualified stage from outside them)."""
        return member.assessed().stage in self.qualified and member.previous_stage not in self.qualified

    def _standing(self, batch: Batch, contact_id: str, plan: NurturePlan, refused: set[str]) -> NurtureStanding:
        due = plan.at if plan.state == "waiting" else None
        if plan.state == "active" and contact_id in refused:
            due = batch.now + REFUSED_RETRY
        return NurtureStanding(contact_id, plan.state, plan.track, plan.step, due, batch.now)
