"""Nurture's optional delivery adapters (docs/nurture.md), each off unless config/nurture.yaml's `delivery` names it.

The property write stays the primary channel: Leadflow decides, HubSpot sends. Beside it,

- **lists**: a contact offered a step that has a list joins that MANUAL list (for list-triggered workflows), one
  Lists v3 `memberships/add` request per list per drain batch; adding a member twice changes nothing, so an offer
  tried again (refused, or recorded late) may safely add it again;
- **sequence**: a contact handed over in this drain (its handover planned now) is enrolled in the sales sequence by
  the handover owner's user, sending from the owner's email, once per handover: the enrollment is recorded in the
  ledger as soon as HubSpot made it, and a retried drain that finds HubSpot refusing a second enrollment because
  the contact is in the sequence already records that enrollment instead of enrolling again.

A failure is never swallowed: it is kept on each contact it concerns (`batch.errors`) and logged; the offer itself
stands. Rate limits (`RateLimited`) are not failures of a contact and stop the drain as every other call's do.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from app.ledger.nurture import NewEnrollment, NewOffer
from app.ledger.records import HandoverRecord
from app.ledger.store import Ledger
from app.rules.nurture import Delivery
from app.sync.hubspot.errors import PermanentHubSpotError, TransientHubSpotError
from app.sync.hubspot.gateway import HubSpotGateway
from app.sync.pipeline import Batch

logger = logging.getLogger(__name__)


class Sender(Protocol):
    """A handover's owner as the sequence needs it: the HubSpot user who enrolls, and the address it sends from."""

    @property
    def user_id(self) -> str | None: ...

    @property
    def email(self) -> str: ...


Team = Callable[[], Mapping[str, Sender]]  # the sales team (HubSpot's owners) by owner id
FAILURES = (PermanentHubSpotError, TransientHubSpotError)  # HubSpot said no, or never answered within the retries


@dataclass(frozen=True)
class NurtureDelivery:
    """What the adapters need: the configured delivery, HubSpot, the ledger and the sales team (owners by id)."""

    delivery: Delivery
    gateway: HubSpotGateway
    ledger: Ledger
    team: Team | None = None

    def deliver(self, batch: Batch, offers: Mapping[str, NewOffer]) -> None:
        """Run the configured adapters for the batch: list memberships of this drain's offers, then enrollments."""
        if self.delivery.lists:
            self.join_lists(batch, offers)
        if self.delivery.sequence_id is not None:
            self.enroll_handed_over(batch, self.delivery.sequence_id)

    def join_lists(self, batch: Batch, offers: Mapping[str, NewOffer]) -> None:
        """Add each offered contact to its step's list: one request per list."""
        members: dict[str, list[str]] = {}
        for contact_id, offer in offers.items():
            list_id = self.delivery.lists.get(offer.step)
            if list_id is not None:
                members.setdefault(list_id, []).append(contact_id)
        for list_id, contact_ids in members.items():
            try:
                missing = set(self.gateway.add_list_members(list_id, contact_ids))
            except FAILURES as error:
                self._failed(batch, contact_ids, f"nurture list {list_id}: {error}", "nurture.list-failed")
                continue
            absent = [contact_id for contact_id in contact_ids if contact_id in missing]
            if absent:
                self._failed(batch, absent, f"nurture list {list_id}: HubSpot lacks the contact", "nurture.list-failed")
            if len(absent) < len(contact_ids):
                batch.count("nurture list members", len(contact_ids) - len(absent))

    def enroll_handed_over(self, batch: Batch, sequence_id: str) -> None:
        """Enroll every contact whose handover this drain makes, once per handover."""
        handovers = self._handed_over_now(batch)
        if not handovers:
            return
        done = self.ledger.nurture.enrolled([record.key for record in handovers])
        team = self.team() if self.team is not None else {}
        for record in handovers:
            if record.key in done:
                continue
            owner = team.get(record.owner_id or "")
            if owner is None or not owner.user_id or not owner.email:
                problem = f"nurture sequence {sequence_id}: owner {record.owner_id} has no HubSpot user with an email"
                self._failed(batch, [record.contact_id], problem, "nurture.enroll-failed")
                continue
            enrollment_id = self._enroll(batch, record, sequence_id, owner)
            if enrollment_id is not None:
                new = NewEnrollment(record.key, record.contact_id, sequence_id, enrollment_id, batch.now)
                if self.ledger.nurture.record_enrollment(new):
                    batch.count("nurture enrollments")

    def _handed_over_now(self, batch: Batch) -> list[HandoverRecord]:
        """Return the handovers this drain makes (planned, with an owner) of the contacts sales has now."""
        ids = [member.contact_id for member in batch.members.values() if member.handed_over]
        if not ids:
            return []
        records = self.ledger.handovers.of_contacts(ids)
        return [
            record
            for contact_id in ids
            for record in records.get(contact_id, [])
            if record.status == "planned"
            and record.owner_id
            and record.ended_at is None
            and record.cycle == batch.members[contact_id].cycle
        ]

    def _enroll(self, batch: Batch, record: HandoverRecord, sequence_id: str, owner: Sender) -> str | None:
        """Enroll the contact; return the enrollment's id (HubSpot's, also when it held the enrollment already),
        or None when it failed (kept on the contact)."""
        assert owner.user_id is not None
        try:
            return self.gateway.enroll_in_sequence(sequence_id, record.contact_id, owner.user_id, owner.email)
        except FAILURES as error:
            held = self._held(record.contact_id, sequence_id) if isinstance(error, PermanentHubSpotError) else None
            if held is not None:  # an earlier attempt (a retried drain) enrolled it: record that one
                logger.info("nurture.already-enrolled", extra={"contact_id": record.contact_id, "enrollment": held})
                return held
            self._failed(
                batch, [record.contact_id], f"nurture sequence {sequence_id}: {error}", "nurture.enroll-failed"
            )
            return None

    def _held(self, contact_id: str, sequence_id: str) -> str | None:
        """Return the id of the contact's enrollment in the sequence, if HubSpot holds one."""
        try:
            found = self.gateway.sequence_enrollment(contact_id)
        except FAILURES:
            return None  # the enrollment's own error is what the contact keeps
        return found.id if found is not None and found.sequence_id == sequence_id else None

    def _failed(self, batch: Batch, contact_ids: list[str], problem: str, event: str) -> None:
        for contact_id in contact_ids:
            batch.errors[contact_id] = problem
        logger.error(event, extra={"contacts": len(contact_ids), "problem": problem})
